import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classesOf, parseSplit, splitAcrossDevices } from './split.js';

const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);

test('iid: every sample to exactly one device, sizes within one, every class everywhere', () => {
  const parts = splitAcrossDevices(labels, 10, 8, parseSplit('iid'), 1);
  const all = parts.flatMap((p) => [...p.indices]).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  const sizes = parts.map((p) => p.indices.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  for (const p of parts) assert.deepEqual(p.classes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('by-class:2 over 8 devices: exactly 2 digits per device, every sample dealt once', () => {
  const parts = splitAcrossDevices(labels, 10, 8, parseSplit('by-class:2'), 1);
  parts.forEach((p, d) => {
    assert.deepEqual(p.classes, classesOf(d, 2, 10));
    assert.equal(p.classes.length, 2);
    for (const i of p.indices) assert.ok(p.classes.includes(labels[i]!));
  });
  const all = parts.flatMap((p) => [...p.indices]);
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, 1000);
  assert.deepEqual(classesOf(5, 2, 10), [0, 1]);
  assert.throws(() => parseSplit('by-class'), /by-class:K/);
});
