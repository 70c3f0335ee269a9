// The SIMD build against the scalar build: the scalar kernels are the
// reference. Kernel by kernel (same inputs into both harness modules) and
// for the whole learner (same config and samples into both ff-core builds).
// Lane-wise sums reorder the additions, so dot products agree to rounding;
// element-wise kernels (axpy) agree exactly.

import test from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { wasmPath } from "../host/paths.js";
import { Learner } from "../host/learner/learner.js";
import { Xoshiro128 } from "../host/learner/reference/prng.js";

interface Harness {
  memory: WebAssembly.Memory;
  scratch(bytes: number): number;
  denseReluForward(W: number, b: number, x: number, y: number, R: number, I: number, O: number): void;
  weightGradientRow(dz: number, x: number, g: number, j: number, R: number, I: number, O: number, scale: number): void;
}

async function load(name: string): Promise<Harness> {
  const module = await WebAssembly.compile(await readFile(wasmPath(name)));
  return (await WebAssembly.instantiate(module, {})).exports as unknown as Harness;
}

test("the SIMD build really uses SIMD and the scalar build does not", async () => {
  const scalar = await readFile(wasmPath("ff-core"));
  const simd = await readFile(wasmPath("ff-core.simd"));
  assert.ok(WebAssembly.validate(scalar) && WebAssembly.validate(simd));
  const watScalar = await readFile(wasmPath("ff-core").replace(/\.wasm$/, ".wat"), "utf8");
  const watSimd = await readFile(wasmPath("ff-core.simd").replace(/\.wasm$/, ".wat"), "utf8");
  assert.equal(/\bf32x4\./.test(watScalar), false, "scalar build has f32x4 code");
  assert.equal(/\bf32x4\./.test(watSimd), true, "SIMD build has no f32x4 code");
});

for (const [R, I, O] of [[1, 5, 3], [2, 64, 16], [3, 37, 11], [20, 784, 9]]) {
  test(`SIMD kernels match the scalar reference: R=${R} I=${I} O=${O}`, async () => {
    const scalar = await load("learner-harness"), simd = await load("learner-harness.simd");
    const rng = new Xoshiro128(R * 1000 + I);
    const values = Float32Array.from({ length: O * I + O + R * I + R * O }, () => rng.nextUnit() * 2 - 1);
    const outputs: Float32Array[] = [], gradients: Float32Array[] = [];
    for (const h of [scalar, simd]) {
      const base = h.scratch((values.length + R * O + I) * 4);
      const f32 = new Float32Array(h.memory.buffer);
      f32.set(values, base / 4);
      const W = base, b = W + O * I * 4, x = b + O * 4, dz = x + R * I * 4, y = dz + R * O * 4, g = y + R * O * 4;
      h.denseReluForward(W, b, x, y, R, I, O);
      outputs.push(new Float32Array(h.memory.buffer).slice(y / 4, y / 4 + R * O));
      h.weightGradientRow(dz, x, g, O - 1, R, I, O, 0.5);
      gradients.push(new Float32Array(h.memory.buffer).slice(g / 4, g / 4 + I));
    }
    let worst = 0;
    for (let k = 0; k < outputs[0].length; k++) worst = Math.max(worst, Math.abs(outputs[0][k] - outputs[1][k]));
    console.log(`# forward max |SIMD - scalar| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5 * Math.sqrt(I));
    assert.deepEqual(gradients[1], gradients[0], "weight-gradient rows are element-wise: identical");
  });
}

test("the SIMD learner trains like the scalar learner", async () => {
  const config = { inputSize: 50, layers: [40, 30], classes: 6, batch: 4, seed: 2, learningRate: 0.005, headLearningRate: 0.005 };
  const scalar = await Learner.load(), simd = await Learner.load({ wasm: wasmPath("ff-core.simd") });
  scalar.configure(config); simd.configure(config);
  assert.deepEqual(simd.exportWeights(), scalar.exportWeights(), "same initial weights");
  const rng = new Xoshiro128(9);
  for (let s = 0; s < 20; s++) {
    const labels = Array.from({ length: 4 }, () => rng.nextBelow(6));
    const x = Float32Array.from({ length: 200 }, (_, i) => (i % 6 === labels[Math.floor(i / 50)] ? 1 : 0) + rng.nextUnit() * 0.3);
    scalar.train(x, labels); simd.train(x, labels);
  }
  const a = scalar.weights(), b = simd.weights();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  console.log(`# learner weights after 20 steps: max |SIMD - scalar| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-4);
});
