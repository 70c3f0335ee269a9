// The device's Page-Hinkley detector (assembly/learner/drift.ts): through
// build/learner-harness.wasm and through the learner's own goodness signal,
// held to the plain reference (host/learner/reference/page-hinkley.ts), and
// its behaviour on streams with known change points (fixed seeds).

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { wasmPath } from '../host/paths.js';
import { Learner } from '../host/learner/learner.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';
import { ReferencePageHinkley } from '../host/learner/reference/page-hinkley.js';
import { DRIFT_DETECTION } from '../host/continual/strategies.js';
import { imuDriftScenario, driftConfig } from '../host/bench/continual-drift.js';

interface Harness {
  driftSetup(delta: number, threshold: number, minSamples: number, falls: number): void;
  driftUpdate(x: number): number;
}

async function harness(): Promise<Harness> {
  const module = await WebAssembly.compile(await readFile(wasmPath('learner-harness')));
  return (await WebAssembly.instantiate(module, {})).exports as unknown as Harness;
}

function bernoulli(rng: Xoshiro128, p: number): number {
  return rng.nextUnit() < p ? 1 : 0;
}
/** Box-Muller from the reference PRNG. */
function normal(rng: Xoshiro128): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextUnit())) * Math.cos(2 * Math.PI * rng.nextUnit());
}

test("Page-Hinkley: the wasm raises exactly the reference's alarms; a rise only when watching rises, a fall only when watching falls", async () => {
  const h = await harness();
  for (const falls of [false, true]) {
    h.driftSetup(0.005, 20, 30, falls ? 1 : 0);
    const ref = new ReferencePageHinkley({ threshold: 20, falls });
    const rng = new Xoshiro128(3);
    const alarms: number[] = [];
    for (let t = 0; t < 5000; t++) {
      const level = t < 1500 ? 0.5 : t < 3000 ? 2.5 : 0.2;
      const x = Math.fround(level + (rng.nextUnit() - 0.5));
      const got = h.driftUpdate(x) !== 0;
      assert.equal(got, ref.update(x), `sample ${t}`);
      if (got) alarms.push(t);
    }
    assert.equal(
      alarms.some((t) => t >= 1500 && t < 1700),
      !falls,
      `alarm after the rise only when watching rises: ${alarms}`,
    );
    assert.equal(
      alarms.some((t) => t >= 3000 && t < 3300),
      falls,
      `alarm after the fall only when watching falls: ${alarms}`,
    );
  }
});

test('Page-Hinkley (River defaults) over a 0/1 error stream: raises within 300 samples of 10% -> 60%, at most 1 alarm in 10,000 stationary samples', async () => {
  const h = await harness();
  h.driftSetup(0.005, 50, 30, 0);
  const rng = new Xoshiro128(21);
  const alarms: number[] = [];
  for (let t = 0; t < 12_000; t++) {
    if (h.driftUpdate(bernoulli(rng, t < 10_000 ? 0.1 : 0.6)) !== 0) alarms.push(t);
  }
  const before = alarms.filter((t) => t < 10_000);
  const after = alarms.find((t) => t >= 10_000);
  console.log(`page-hinkley: false alarms in 10,000 stationary samples ${before.length}; detection delay ${after === undefined ? 'none' : after - 10_000}`);
  assert.ok(before.length <= 1, `false alarms at ${before}`);
  assert.ok(after !== undefined && after - 10_000 <= 300, `detected at ${after}`);
});

test('the tuned goodness detector (DRIFT_DETECTION): silent while goodness climbs as the model learns, raises within 300 samples of a fall of half its noise', async () => {
  // Goodness-like: sd 2 per sample, climbing from 4 to 7 over the first 8,000 samples (learning), then flat; falls by 1 at 12,000.
  const h = await harness();
  h.driftSetup(DRIFT_DETECTION.delta, DRIFT_DETECTION.threshold, DRIFT_DETECTION.minSamples, 1);
  const rng = new Xoshiro128(5);
  const alarms: number[] = [];
  for (let t = 0; t < 14_000; t++) {
    const level = 4 + 3 * Math.min(1, t / 8000) - (t >= 12_000 ? 1 : 0);
    if (h.driftUpdate(Math.fround(level + 2 * normal(rng))) !== 0) alarms.push(t);
  }
  const after = alarms.find((t) => t >= 12_000);
  console.log(
    `goodness detector: alarms before the fall ${alarms.filter((t) => t < 12_000).length} in 12,000; delay ${after === undefined ? 'none' : after - 12_000}`,
  );
  assert.deepEqual(
    alarms.filter((t) => t < 12_000),
    [],
  );
  assert.ok(after !== undefined && after - 12_000 <= 300, `detected at ${after}`);
});

test("the learner's goodness signal: its alarms are the reference's, fed the learner's own per-step goodness (IMU clean -> gain x2)", async () => {
  // 12,000 clean samples (the model near its plateau: goodness still climbing hides a fall), then 600 at gain x2.
  const clean = 12_000;
  const scenario = imuDriftScenario('gain:2', 1, clean);
  const learner = await Learner.load();
  learner.configure(driftConfig(scenario.inputSize, scenario.classes));
  const ref = new ReferencePageHinkley({
    delta: DRIFT_DETECTION.delta,
    threshold: DRIFT_DETECTION.threshold,
    minSamples: DRIFT_DETECTION.minSamples,
    falls: true,
  });
  const device: number[] = [],
    reference: number[] = [];
  for (const s of scenario.stream()) {
    if (s.index >= clean + 600) break;
    const stats = learner.train(s.inputs, [s.label]);
    // The device sums the layers' positive goodness in f32 (continual.ts: runContinual).
    const total = stats.layers.reduce((sum, l) => Math.fround(sum + l.goodnessPositive), 0);
    if (learner.lastDrifts()[0]) device.push(s.index);
    if (ref.update(total)) reference.push(s.index);
  }
  console.log(`learner goodness alarms ${device}`);
  assert.deepEqual(device, reference);
  assert.ok(
    device.some((t) => t >= clean),
    `the gain change is detected: ${device}`,
  );
});
