// The learner's f32 elementary functions and kernels (through
// build/learner-harness.wasm) against plain float64 JavaScript.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { wasmPath } from '../host/paths.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';

interface Harness {
  memory: WebAssembly.Memory;
  expf(x: number): number;
  logf(x: number): number;
  sigmoidf(x: number): number;
  softplusf(x: number): number;
  seedRandom(seed: number): void;
  nextU32(): number;
  nextBelow(n: number): number;
  scratch(bytes: number): number;
  denseReluForward(W: number, b: number, x: number, y: number, R: number, I: number, O: number): void;
  denseReluForwardPlain(W: number, b: number, x: number, y: number, R: number, I: number, O: number): void;
  weightGradientRow(dz: number, x: number, g: number, j: number, R: number, I: number, O: number, scale: number): void;
  weightGradientRowPlain(dz: number, x: number, g: number, j: number, R: number, I: number, O: number, scale: number): void;
  normalizeRows(src: number, dst: number, R: number, N: number): void;
}

async function harness(build = 'learner-harness'): Promise<Harness> {
  const module = await WebAssembly.compile(await readFile(wasmPath(build)));
  return (await WebAssembly.instantiate(module, {})).exports as unknown as Harness;
}

function relativeError(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

test('expf, logf, sigmoidf, softplusf stay within a few f32 ulps of float64', async () => {
  const h = await harness();
  let worstExp = 0,
    worstLog = 0,
    worstSig = 0,
    worstSoft = 0;
  for (let x = -87; x <= 88; x += 0.0137) {
    const xf = Math.fround(x);
    worstExp = Math.max(worstExp, relativeError(h.expf(xf), Math.exp(xf)));
    worstSig = Math.max(worstSig, Math.abs(h.sigmoidf(xf) - 1 / (1 + Math.exp(-xf))));
    worstSoft = Math.max(worstSoft, relativeError(h.softplusf(xf), Math.log1p(Math.exp(-Math.abs(xf))) + Math.max(xf, 0)));
  }
  for (let e = -140; e <= 127; e += 0.31) {
    const x = Math.fround(2 ** e * 1.37);
    worstLog = Math.max(worstLog, Math.abs(h.logf(x) - Math.log(x)) / Math.max(1, Math.abs(Math.log(x))));
  }
  console.log(
    `# max relative error: expf ${worstExp.toExponential(2)}, logf ${worstLog.toExponential(2)}, softplusf ${worstSoft.toExponential(2)}; sigmoidf abs ${worstSig.toExponential(2)}`,
  );
  assert.ok(worstExp < 5e-7 && worstLog < 5e-7 && worstSoft < 1e-6 && worstSig < 1e-6);
  assert.equal(h.expf(100), Infinity);
  assert.equal(h.expf(-200), 0);
  assert.equal(h.logf(0), -Infinity);
  assert.ok(Number.isNaN(h.logf(-1)));
});

test('the wasm PRNG and the reference PRNG give the same stream', async () => {
  const h = await harness();
  for (const seed of [0, 1, 42, 0xffffffff]) {
    h.seedRandom(seed);
    const reference = new Xoshiro128(seed);
    for (let i = 0; i < 1000; i++) assert.equal(h.nextU32() >>> 0, reference.nextU32(), `seed ${seed} draw ${i}`);
    for (let i = 0; i < 100; i++) assert.equal(h.nextBelow(9), reference.nextBelow(9));
  }
});

test('dense ReLU forward and row normalisation match plain loops', async () => {
  const h = await harness();
  const R = 3,
    I = 37,
    O = 11;
  const base = h.scratch((O * I + O + R * I + R * O + R * I) * 4);
  const f32 = new Float32Array(h.memory.buffer);
  const W = base,
    b = W + O * I * 4,
    x = b + O * 4,
    y = x + R * I * 4,
    n = y + R * O * 4;
  const rng = new Xoshiro128(5);
  const fill = (p: number, count: number) => {
    for (let i = 0; i < count; i++) f32[p / 4 + i] = rng.nextUnit() * 2 - 1;
  };
  fill(W, O * I);
  fill(b, O);
  fill(x, R * I);
  h.denseReluForward(W, b, x, y, R, I, O);
  h.normalizeRows(x, n, R, I);
  let worst = 0;
  for (let r = 0; r < R; r++) {
    let ss = 0;
    for (let i = 0; i < I; i++) ss += f32[x / 4 + r * I + i] ** 2;
    for (let i = 0; i < I; i++) worst = Math.max(worst, Math.abs(f32[n / 4 + r * I + i] - f32[x / 4 + r * I + i] / (Math.sqrt(ss / I) + 1e-8)));
    for (let j = 0; j < O; j++) {
      let acc = 0;
      for (let i = 0; i < I; i++) acc += f32[W / 4 + j * I + i] * f32[x / 4 + r * I + i];
      worst = Math.max(worst, Math.abs(f32[y / 4 + r * O + j] - Math.max(acc + f32[b / 4 + j], 0)));
    }
  }
  console.log(`# dense/normalise max |difference| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5);
});

// The scalar kernels share loads between rows (two rows per pass over W; the
// first two live rows of a gradient in one pass over g). Each output still sums
// its terms one by one in the plain loop's order, so the bytes must be equal. The
// SIMD build's gradient row (f32x4, same operations per element) too; its forward
// pass sums in lanes, so test/learner-simd.test.ts holds that one to rounding.
for (const [R, I, O, dead] of [
  [1, 7, 3, []],
  [2, 64, 32, []],
  [3, 37, 11, [1]],
  [4, 5, 6, [0, 3]],
  [5, 33, 4, [0, 1, 2, 3, 4]],
  [6, 16, 2, [2]],
] as Array<[number, number, number, number[]]>) {
  for (const build of ['learner-harness', 'learner-harness.simd'])
    test(`${build}: row-sharing kernels equal the plain loops bit for bit: R=${R} I=${I} O=${O}, dead rows [${dead}]`, async () => {
      const h = await harness(build);
      const rng = new Xoshiro128(R * 97 + I);
      const W = Float32Array.from({ length: O * I }, () => rng.nextUnit() * 2 - 1);
      const b = Float32Array.from({ length: O }, () => rng.nextUnit() - 0.5);
      const x = Float32Array.from({ length: R * I }, (_, k) => (k % 5 === 0 ? 0 : rng.nextUnit() * 2 - 1));
      for (let r = 0; r < R; r++) x[r * I] = x[r * I + I - 1] = -0; // 0 + d * -0 (+ d' * -0) is +0, in a vector lane and in a tail
      const dz = Float32Array.from({ length: R * O }, (_, k) => (dead.includes(Math.floor(k / O)) ? 0 : rng.nextUnit() * 2 - 1));
      const values = [W, b, x, dz];
      const base = h.scratch((O * I + O + 2 * R * I + R * O + 2 * R * O + 2 * I) * 4);
      const f32 = new Float32Array(h.memory.buffer);
      let at = base;
      const place = (v: Float32Array): number => {
        f32.set(v, at / 4);
        const p = at;
        at += v.length * 4;
        return p;
      };
      const [pW, pb, px, pdz] = values.map(place) as [number, number, number, number];
      const yFast = at,
        yPlain = yFast + R * O * 4,
        gFast = yPlain + R * O * 4,
        gPlain = gFast + I * 4;
      const bytes = (p: number, n: number): Uint8Array => new Uint8Array(h.memory.buffer).slice(p, p + n * 4);
      if (build === 'learner-harness') {
        h.denseReluForward(pW, pb, px, yFast, R, I, O);
        h.denseReluForwardPlain(pW, pb, px, yPlain, R, I, O);
        assert.deepEqual(bytes(yFast, R * O), bytes(yPlain, R * O), 'forward');
      }
      for (let j = 0; j < O; j++) {
        f32.fill(Number.NaN, gFast / 4, gFast / 4 + 2 * I); // stale values must not leak through
        h.weightGradientRow(pdz, px, gFast, j, R, I, O, 0.5);
        h.weightGradientRowPlain(pdz, px, gPlain, j, R, I, O, 0.5);
        assert.deepEqual(bytes(gFast, I), bytes(gPlain, I), `gradient row ${j}`);
      }
    });
}
