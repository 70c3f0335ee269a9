// The opt-in relaxed-SIMD build (build/ff-core.relaxed.wasm) against the plain
// reference. It is NOT bit-identical (relaxed_madd may fuse), so it is held to
// stated tolerances: Adam kernel against a float32 TypeScript transcription of
// the scalar loop (optimizer.ts), which the deterministic SIMD kernel matches
// bit for bit; the whole learner against the SIMD build after training.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { wasmPath } from '../host/paths.js';
import { Learner } from '../host/learner/learner.js';
import { enableRelaxedSimd } from '../host/learner/relaxed-simd.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';

interface Kernels {
  memory: WebAssembly.Memory;
  scratch(bytes: number): number;
  adamSimd(p: number, g: number, n: number, stateOffset: number, b1: number, b2: number, step: number, eps: number, decay: number): void;
}

async function kernels(name: string): Promise<Kernels> {
  await enableRelaxedSimd();
  return (await WebAssembly.instantiate(await WebAssembly.compile(await readFile(wasmPath(name))), {})).exports as unknown as Kernels;
}

/** optimizer.ts's scalar Adam, every operation rounded to float32 in its order. */
function adamReference(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  b1: number,
  b2: number,
  step: number,
  eps: number,
  decay: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < w.length; i++) {
    m[i] = f(f(b1 * m[i]) + f(f(1 - b1) * g[i]));
    v[i] = f(f(b2 * v[i]) + f(f(f(1 - b2) * g[i]) * g[i]));
    w[i] = f(f(w[i] - f(f(step * m[i]) / f(f(Math.sqrt(v[i])) + eps))) - f(decay * w[i]));
  }
}

test('the relaxed build uses relaxed_madd; the deterministic SIMD build does not', async () => {
  const relaxed = await readFile(wasmPath('ff-core.relaxed').replace(/\.wasm$/, '.wat'), 'utf8');
  const simd = await readFile(wasmPath('ff-core.simd').replace(/\.wasm$/, '.wat'), 'utf8');
  assert.match(relaxed, /f32x4\.relaxed_madd/);
  assert.doesNotMatch(simd, /relaxed/);
});

test('relaxed Adam stays within 1e-6 of the largest possible weight movement of the scalar reference over 20 steps', async () => {
  const n = 4 * 16 + 4 + 3; // every path: 16 per iteration, 4, scalar tail
  const rng = new Xoshiro128(3);
  const f = Math.fround,
    steps = 20,
    b1 = f(0.9),
    b2 = f(0.999),
    eta = 0.003,
    decay = f(0.003 * 0.01);
  const results: Array<{ w: Float32Array; m: Float32Array; v: Float32Array }> = [];
  const gradients = Array.from({ length: steps }, () => Float32Array.from({ length: n }, (_, i) => (rng.nextUnit() * 2 - 1) * 10 ** -(i % 7)));
  const w0 = Float32Array.from({ length: n }, () => rng.nextUnit() * 2 - 1);
  for (const name of ['kernels.simd', 'kernels.relaxed', 'reference']) {
    const w = w0.slice(),
      m = new Float32Array(n),
      v = new Float32Array(n);
    let p1 = 1,
      p2 = 1;
    for (let t = 0; t < steps; t++) {
      p1 = Math.fround(p1 * b1);
      p2 = Math.fround(p2 * b2);
      const c2 = Math.fround(Math.sqrt(Math.fround(1 - p2)));
      const step = Math.fround(eta * Math.fround(c2 / Math.fround(1 - p1))),
        eps = Math.fround(1e-8 * c2);
      if (name === 'reference') {
        adamReference(w, m, v, gradients[t], b1, b2, step, eps, decay);
        continue;
      }
      const k = await kernels(name);
      const base = k.scratch(4 * n * 4),
        f32 = new Float32Array(k.memory.buffer),
        at = base / 4;
      f32.set(w, at);
      f32.set(m, at + n);
      f32.set(v, at + 2 * n);
      f32.set(gradients[t], at + 3 * n);
      k.adamSimd(base, base + 3 * n * 4, n, n * 4, b1, b2, step, eps, decay);
      const out = new Float32Array(k.memory.buffer);
      w.set(out.subarray(at, at + n));
      m.set(out.subarray(at + n, at + 2 * n));
      v.set(out.subarray(at + 2 * n, at + 3 * n));
    }
    results.push({ w, m, v });
  }
  const [simd, relaxed, reference] = results;
  assert.deepEqual(simd.w, reference.w, 'the TS reference is the scalar loop: the SIMD kernel matches it bit for bit');
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(relaxed.w[i] - reference.w[i]) / (steps * eta));
  console.log(`# relaxed Adam: max |w - reference| / (steps * eta) = ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-6, `relaxed Adam drifted ${worst} of the largest possible movement`);
});

test('the relaxed learner trains like the SIMD learner: weights within 1e-4 after 20 steps, same predictions', async () => {
  const config = { inputSize: 50, layers: [40, 30], classes: 6, batch: 4, seed: 2, learningRate: 0.005, headLearningRate: 0.005 };
  const simd = await Learner.load({ wasm: wasmPath('ff-core.simd') }),
    relaxed = await Learner.load({ wasm: await enableRelaxedSimd() });
  simd.configure(config);
  relaxed.configure(config);
  const rng = new Xoshiro128(9);
  const probe: Float32Array[] = [];
  for (let s = 0; s < 20; s++) {
    const labels = Array.from({ length: 4 }, () => rng.nextBelow(6));
    const x = Float32Array.from({ length: 200 }, (_, i) => (i % 6 === labels[Math.floor(i / 50)] ? 1 : 0) + rng.nextUnit() * 0.3);
    simd.train(x, labels);
    relaxed.train(x, labels);
    probe.push(x.slice(0, 50));
  }
  const a = simd.weights(),
    b = relaxed.weights();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  console.log(`# learner weights after 20 steps: max |relaxed - SIMD| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-4);
  for (const x of probe) assert.equal(relaxed.predict(x).label, simd.predict(x).label);
});
