// build/learner-harness.wasm: the learner's inner functions exported one by
// one, so host tests can hold each kernel to its plain reference (not part
// of any shipped module).

import { expf, logf, sigmoidf, softplusf } from "./mathf32";
import { seedRandom, nextU32, nextUnit, nextBelow } from "./prng";
import { denseReluForward, denseReluForwardPlain, normalizeRows, weightGradientRow, weightGradientRowPlain } from "./dense";

import { replaySetup, replayOffer, replayLabel, replayLoad, filled } from "./replay";
import { driftSetup, driftUpdate } from "./drift";

export { replaySetup, replayOffer, replayLabel, replayLoad, driftSetup, driftUpdate };
export function replayFilled(): i32 { return filled; }
export { expf, logf, sigmoidf, softplusf, seedRandom, nextU32, nextUnit, nextBelow, denseReluForward, denseReluForwardPlain, normalizeRows, weightGradientRow, weightGradientRowPlain };

/** Scratch memory for kernel tests: grows the memory to `bytes` and returns the base. */
export function scratch(bytes: i32): usize {
  const base = (__heap_base + 15) & ~<usize>15;
  const have = <usize>memory.size() << 16;
  const end = base + <usize>bytes;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >>> 16));
  return base;
}
