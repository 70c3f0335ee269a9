// The SIMD build against the scalar build: the scalar kernels are the
// reference. Kernel by kernel (same inputs into both harness modules) and
// for the whole learner (same config and samples into both ff-core builds).
// Lane-wise sums reorder the additions, so dot products agree to rounding;
// element-wise kernels (the weight-gradient row, Adam) agree exactly.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { wasmPath } from '../host/paths.js';
import { Learner } from '../host/learner/learner.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';

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

test('the SIMD build really uses SIMD and the scalar build does not', async () => {
  const scalar = await readFile(wasmPath('ff-core'));
  const simd = await readFile(wasmPath('ff-core.simd'));
  assert.ok(WebAssembly.validate(scalar) && WebAssembly.validate(simd));
  const watScalar = await readFile(wasmPath('ff-core').replace(/\.wasm$/, '.wat'), 'utf8');
  const watSimd = await readFile(wasmPath('ff-core.simd').replace(/\.wasm$/, '.wat'), 'utf8');
  assert.equal(/\bf32x4\./.test(watScalar), false, 'scalar build has f32x4 code');
  assert.equal(/\bf32x4\./.test(watSimd), true, 'SIMD build has no f32x4 code');
});

for (const [R, I, O] of [
  [1, 5, 3],
  [2, 64, 16],
  [3, 37, 11],
  [20, 784, 9],
]) {
  test(`SIMD kernels match the scalar reference: R=${R} I=${I} O=${O}`, async () => {
    const scalar = await load('learner-harness'),
      simd = await load('learner-harness.simd');
    const rng = new Xoshiro128(R * 1000 + I);
    const values = Float32Array.from({ length: O * I + O + R * I + R * O }, () => rng.nextUnit() * 2 - 1);
    const outputs: Float32Array[] = [],
      gradients: Float32Array[] = [];
    for (const h of [scalar, simd]) {
      const base = h.scratch((values.length + R * O + I) * 4);
      const f32 = new Float32Array(h.memory.buffer);
      f32.set(values, base / 4);
      const W = base,
        b = W + O * I * 4,
        x = b + O * 4,
        dz = x + R * I * 4,
        y = dz + R * O * 4,
        g = y + R * O * 4;
      h.denseReluForward(W, b, x, y, R, I, O);
      outputs.push(new Float32Array(h.memory.buffer).slice(y / 4, y / 4 + R * O));
      h.weightGradientRow(dz, x, g, O - 1, R, I, O, 0.5);
      gradients.push(new Float32Array(h.memory.buffer).slice(g / 4, g / 4 + I));
    }
    let worst = 0;
    for (let k = 0; k < outputs[0].length; k++) worst = Math.max(worst, Math.abs(outputs[0][k] - outputs[1][k]));
    console.log(`# forward max |SIMD - scalar| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5 * Math.sqrt(I));
    assert.deepEqual(gradients[1], gradients[0], 'weight-gradient rows are element-wise: identical');
  });
}

// Dead units (dz = 0 in some rows, or all) take the SIMD gradient kernel's other paths:
// the first non-zero row need not be row 0, and a column of zeros is a fill.
for (const [R, I, dead] of [
  [1, 13, [0]],
  [2, 12, [0]],
  [2, 37, [1]],
  [3, 21, [1]],
  [5, 64, [0, 2]],
  [2, 9, []],
] as Array<[number, number, number[]]>) {
  test(`SIMD weight-gradient row with dz = 0 in rows [${dead}] of R=${R} I=${I}: bit-identical`, async () => {
    const O = 4;
    const scalar = await load('learner-harness'),
      simd = await load('learner-harness.simd');
    const rng = new Xoshiro128(R * 31 + I);
    const dz = Float32Array.from({ length: R * O }, (_, k) => (dead.includes(Math.floor(k / O)) ? 0 : rng.nextUnit() * 2 - 1));
    for (let r = 0; r < R; r++) dz[r * O + 3] = 0; // unit 3 is off in every row
    const x = Float32Array.from({ length: R * I }, () => rng.nextUnit() * 2 - 1);
    for (let j = 0; j < O; j++) {
      const rows: Uint8Array[] = [];
      for (const h of [scalar, simd]) {
        const base = h.scratch((dz.length + x.length + I) * 4);
        const f32 = new Float32Array(h.memory.buffer);
        f32.set(dz, base / 4);
        f32.set(x, base / 4 + dz.length);
        const g = base + (dz.length + x.length) * 4;
        f32.fill(Number.NaN, g / 4, g / 4 + I); // stale values must not leak through
        h.weightGradientRow(base, base + dz.length * 4, g, j, R, I, O, 0.5);
        rows.push(new Uint8Array(h.memory.buffer).slice(g, g + I * 4));
      }
      assert.deepEqual(rows[1], rows[0], `unit ${j}: bytes differ`);
    }
  });
}

test('the SIMD learner trains like the scalar learner', async () => {
  const config = { inputSize: 50, layers: [40, 30], classes: 6, batch: 4, seed: 2, learningRate: 0.005, headLearningRate: 0.005 };
  const scalar = await Learner.load(),
    simd = await Learner.load({ wasm: wasmPath('ff-core.simd') });
  scalar.configure(config);
  simd.configure(config);
  assert.deepEqual(simd.exportWeights(), scalar.exportWeights(), 'same initial weights');
  const rng = new Xoshiro128(9);
  for (let s = 0; s < 20; s++) {
    const labels = Array.from({ length: 4 }, () => rng.nextBelow(6));
    const x = Float32Array.from({ length: 200 }, (_, i) => (i % 6 === labels[Math.floor(i / 50)] ? 1 : 0) + rng.nextUnit() * 0.3);
    scalar.train(x, labels);
    simd.train(x, labels);
  }
  const a = scalar.weights(),
    b = simd.weights();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  console.log(`# learner weights after 20 steps: max |SIMD - scalar| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-4);
});

// With a fan-in under 4 the SIMD dot product has no lanes (only its scalar tail,
// in the scalar order), so everything else (the gradient rows and Adam, whose bias
// update runs 37 = 2 x 16 + 4 + 1 parameters through every path of adamSimd)
// must leave the two builds bit-identical.
test('element-wise SIMD kernels (gradient row, Adam) keep the learner bit-identical to scalar', async () => {
  const config = { inputSize: 1, classes: 2, overlay: 'prepend' as const, layers: [37], softmaxHead: false, seed: 5, learningRate: 0.01, weightDecay: 0.01 };
  const scalar = await Learner.load(),
    simd = await Learner.load({ wasm: wasmPath('ff-core.simd') });
  scalar.configure(config);
  simd.configure(config);
  const rng = new Xoshiro128(11);
  for (let s = 0; s < 50; s++) {
    const label = rng.nextBelow(2);
    const x = Float32Array.of(label + rng.nextUnit() * 0.5);
    scalar.train(x, [label]);
    simd.train(x, [label]);
  }
  assert.deepEqual(simd.exportWeights(), scalar.exportWeights());
});
