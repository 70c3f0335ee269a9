// Small deterministic data for the learner tests: class c lights every input
// i with i % classes == c, plus uniform noise (an LCG, so no PRNG of the
// project is under test here). And the max-abs-difference the tests print.

import assert from 'node:assert/strict';

export function classBlobs(n: number, size: number, classes: number, seed: number, on: number, noise: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const labels = Array.from({ length: n }, () => Math.floor(next() * classes));
  const inputs = labels.map((y) => Float32Array.from({ length: size }, (_, i) => (i % classes === y ? on : 0) + noise * next()));
  return { inputs, labels };
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
