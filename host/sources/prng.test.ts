import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, mixSeed, shuffledIndices } from './prng.js';

// Naive reference of xorshift32 in BigInt, written from the paper's definition.
function referenceXorshift32(state: bigint, count: number): number[] {
  const mask = 0xffffffffn;
  const out: number[] = [];
  let x = state;
  for (let i = 0; i < count; i++) {
    x = (x ^ (x << 13n)) & mask;
    x = x ^ (x >> 17n);
    x = (x ^ (x << 5n)) & mask;
    out.push(Number(x));
  }
  return out;
}

test('Rng follows the xorshift32 recurrence from its mixed seed', () => {
  for (const seed of [0, 1, 42, 2 ** 40 + 7]) {
    const rng = new Rng(seed);
    const got = Array.from({ length: 1000 }, () => rng.nextU32());
    const start = mixSeed(seed) || 0x6d2b79f5;
    assert.deepEqual(got, referenceXorshift32(BigInt(start), 1000));
  }
});

test('equal seeds give equal streams, different seeds differ', () => {
  const a = new Rng(7),
    b = new Rng(7),
    c = new Rng(8);
  const sa = Array.from({ length: 64 }, () => a.nextU32());
  const sb = Array.from({ length: 64 }, () => b.nextU32());
  const sc = Array.from({ length: 64 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
});

test('int(n) stays in range and is roughly uniform (chi-square)', () => {
  const rng = new Rng(123);
  const n = 10,
    draws = 100_000;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) {
    const k = rng.int(n);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n);
    counts[k]++;
  }
  const expected = draws / n;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
  assert.ok(chi2 < 27.9, `chi2 = ${chi2}, counts ${counts}`);
});

test('normal() has mean ~0 and variance ~1', () => {
  const rng = new Rng(5);
  const n = 50_000;
  let s = 0,
    s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    assert.ok(Number.isFinite(z));
    s += z;
    s2 += z * z;
  }
  const mean = s / n,
    variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.03, `variance ${variance}`);
});

test('shuffledIndices is a deterministic permutation', () => {
  const p = shuffledIndices(1000, 9);
  assert.deepEqual(
    Array.from(p).sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(p, shuffledIndices(1000, 9));
  assert.notDeepEqual(p, shuffledIndices(1000, 10));
  // Not the identity (probability 1/1000! of a false failure).
  assert.ok(p.some((v, i) => v !== i));
  assert.equal(shuffledIndices(0, 1).length, 0);
});

test('bad arguments are TypeErrors naming the argument', () => {
  assert.throws(() => new Rng(1.5), { name: 'TypeError', message: /seed/ });
  assert.throws(() => new Rng(1).int(0), { name: 'TypeError', message: /\bn\b/ });
  assert.throws(() => shuffledIndices(-1, 0), { name: 'TypeError', message: /\bn\b/ });
});
