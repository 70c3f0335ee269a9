// The device's replay buffer (assembly/learner/replay.ts) through
// build/learner-harness.wasm, held to its plain reference
// (host/learner/reference/reservoir.ts), and its statistical properties with
// fixed seeds. The drift detector: test/drift-detector.test.ts.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { wasmPath } from '../host/paths.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';
import { ReferenceReservoir, type ReservoirMode, type ReservoirStorage } from '../host/learner/reference/reservoir.js';

interface Harness {
  memory: WebAssembly.Memory;
  seedRandom(seed: number): void;
  scratch(bytes: number): number;
  replaySetup(at: number, mode: number, capacity: number, inputs: number, classes: number, storage: number): void;
  replayOffer(input: number, label: number): number;
  replayLabel(i: number): number;
  replayLoad(i: number, dst: number): number;
  replayFilled(): number;
}

async function harness(): Promise<Harness> {
  const module = await WebAssembly.compile(await readFile(wasmPath('learner-harness')));
  return (await WebAssembly.instantiate(module, {})).exports as unknown as Harness;
}

const MODES: Record<ReservoirMode, number> = { reservoir: 1, 'class-balanced': 2 };
const STORAGES: Record<ReservoirStorage, number> = { raw: 0, int4: 2 };

/** A wasm buffer of `capacity` slots for D inputs and C classes, seeded; returns offer/load helpers. */
function wasmReservoir(h: Harness, mode: ReservoirMode, capacity: number, D: number, C: number, seed: number, storage: ReservoirStorage = 'raw') {
  const base = h.scratch(capacity * (12 + 4 * Math.ceil(D / 4)) + 8 * C + 8 * D + 64);
  const input = base,
    out = base + 4 * D,
    region = base + 8 * D;
  h.replaySetup(region, MODES[mode], capacity, D, C, STORAGES[storage]);
  h.seedRandom(seed);
  return {
    offer(values: ArrayLike<number>, label: number): number {
      new Float32Array(h.memory.buffer, input, D).set(Array.from(values));
      return h.replayOffer(input, label);
    },
    load(i: number): { label: number; values: Float32Array } {
      const label = h.replayLoad(i, out);
      return { label, values: new Float32Array(h.memory.buffer, out, D).slice() };
    },
  };
}

for (const [mode, storage] of [
  ['reservoir', 'raw'],
  ['class-balanced', 'raw'],
  ['reservoir', 'int4'],
  ['class-balanced', 'int4'],
] as const) {
  test(`replay ${mode}, storage ${storage}: the wasm buffer makes the reference's draws and stores the same samples`, async () => {
    const h = await harness();
    const D = 7,
      C = 4,
      capacity = 12,
      seed = 11;
    const wasm = wasmReservoir(h, mode, capacity, D, C, seed, storage);
    const ref = new ReferenceReservoir(mode, capacity, C, new Xoshiro128(seed), storage);
    const data = new Xoshiro128(99);
    for (let t = 0; t < 400; t++) {
      const values = Array.from({ length: D }, () => (data.nextUnit() * 2 - 1) * (1 + (t % 5)));
      const label = t % 9 < 6 ? 0 : data.nextBelow(C); // skewed classes
      assert.equal(wasm.offer(values, label), ref.offer(values, label), `sample ${t}`);
    }
    assert.equal(h.replayFilled(), capacity);
    for (let i = 0; i < capacity; i++) {
      const got = wasm.load(i);
      assert.equal(got.label, ref.labels[i], `slot ${i} label`);
      assert.deepEqual(Array.from(got.values), Array.from(ref.load(i)), `slot ${i} values`);
    }
  });
}

test('replay reservoir: every position of the stream is kept with probability N/t (chi-square over 400 seeds)', async () => {
  const h = await harness();
  const T = 100,
    N = 10,
    seeds = 400;
  const kept = new Array<number>(T).fill(0);
  for (let s = 0; s < seeds; s++) {
    const wasm = wasmReservoir(h, 'reservoir', N, 1, 2, 1000 + s);
    for (let t = 0; t < T; t++) wasm.offer([t], t); // the label records the position
    for (let i = 0; i < N; i++) kept[h.replayLabel(i)]!++;
  }
  const expected = (seeds * N) / T;
  const chi2 = kept.reduce((sum, k) => sum + (k - expected) ** 2 / expected, 0);
  // 99 degrees of freedom: mean 99, sd 14; 170 is beyond the 99.99th percentile.
  console.log(`reservoir uniformity: chi-square ${chi2.toFixed(1)} over ${T} positions (99 dof), first ${kept[0]}, last ${kept[T - 1]}, expected ${expected}`);
  assert.ok(chi2 < 170, `chi-square ${chi2}`);
});

test('replay class-balanced: a skewed stream fills equal class quotas; the plain reservoir does not', async () => {
  const h = await harness();
  const C = 3,
    N = 30;
  const rng = new Xoshiro128(5);
  const labels: number[] = [];
  for (let i = 0; i < 300; i++) labels.push(0);
  for (let i = 0; i < 60; i++) labels.splice(rng.nextBelow(labels.length + 1), 0, 1);
  for (let i = 0; i < 20; i++) labels.splice(rng.nextBelow(labels.length + 1), 0, 2);
  const counts = (mode: ReservoirMode): number[] => {
    const wasm = wasmReservoir(h, mode, N, 2, C, 17);
    labels.forEach((l, t) => wasm.offer([t, -t], l));
    const c = new Array<number>(C).fill(0);
    for (let i = 0; i < N; i++) c[h.replayLabel(i)]!++;
    return c;
  };
  const balanced = counts('class-balanced'),
    plain = counts('reservoir');
  console.log(`class counts in a 30-slot buffer from 300/60/20 samples: class-balanced ${balanced}, reservoir ${plain}`);
  assert.deepEqual(balanced, [10, 10, 10]);
  assert.ok(plain[0]! > 15, `reservoir keeps the stream's skew: ${plain}`);
});
