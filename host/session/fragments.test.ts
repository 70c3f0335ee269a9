import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestPartValues, costPerValue, PartSizer, sampleWireBytes, splitSample } from './fragments.js';
import { encodeMessage } from '../protocol/index.js';
import type { LinkStats } from './types.js';

const stats = (device: LinkStats['device'], retransmits = 0, pingsSent = 0): LinkStats => ({
  host: { frames: 0, badCrc: 0, malformed: 0, tooLarge: 0 },
  device,
  retransmits,
  duplicates: 0,
  repliesLost: 0,
  undecodable: 0,
  pingsSent,
  probedLosses: 0,
  timeouts: 0,
  congestionWindow: 8,
});

test('part size: whole frames on a clean link, smaller parts as damage grows', () => {
  assert.equal(bestPartValues(192, 4, 0), 0);
  assert.equal(bestPartValues(192, 4, 0.0001), 0, 'parts must promise a real gain');
  const sizes = [0.001, 0.002, 0.005, 0.01].map((e) => bestPartValues(192, 4, e));
  assert.ok(
    sizes.every((v) => v > 0 && v < 192),
    `${sizes}`,
  );
  for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! <= sizes[i - 1]!, `${sizes}`);
  // At 0.5% the chosen size beats its neighbours in the model.
  const best = sizes[2]!;
  assert.ok(costPerValue(best, 4, 0.005) <= costPerValue(best * 2, 4, 0.005));
  assert.ok(costPerValue(best, 4, 0.005) <= costPerValue(Math.max(1, best >> 1), 4, 0.005));
});

test('splitSample: consecutive slices covering [0, total), the fields of the whole', () => {
  const values = Float32Array.from({ length: 50 }, (_, i) => i);
  const parts = splitSample({ type: 'INFER', kind: 'negative', label: -1, encoding: 'f32', values }, 16);
  assert.deepEqual(
    parts.map((p) => [p.type, p.first, p.values.length, p.total]),
    [
      ['INFER_PART', 0, 16, 50],
      ['INFER_PART', 16, 16, 50],
      ['INFER_PART', 32, 16, 50],
      ['INFER_PART', 48, 2, 50],
    ],
  );
  assert.deepEqual(
    parts.flatMap((p) => Array.from(p.values)),
    Array.from(values),
  );
  assert.ok(parts.every((p) => p.kind === 'negative' && p.label === -1));
  const q = splitSample({ type: 'SAMPLE', kind: 'positive', label: 2, encoding: 'int8', scale: 0.5, values: [1, 2, 3] }, 2);
  assert.deepEqual(
    q.map((p) => [p.type, p.scale, Array.from(p.values)]),
    [
      ['SAMPLE_PART', 0.5, [1, 2]],
      ['SAMPLE_PART', 0.5, [3]],
    ],
  );
});

test("sampleWireBytes bounds the encoded frame length within COBS's overhead", () => {
  for (const n of [1, 16, 60, 192, 1000]) {
    const bound = sampleWireBytes(n, 4);
    for (const fill of [0, 1.0000001]) {
      const frame = encodeMessage({ type: 'SAMPLE', kind: 'positive', label: 1, encoding: 'f32', values: new Float32Array(n).fill(fill) }, 0x0101);
      assert.ok(frame.length <= bound && frame.length >= bound - 1 - Math.floor(bound / 254), `${n} values of ${fill}: ${frame.length} vs ${bound}`);
    }
  }
});

test('PartSizer: parts until the first estimate, whole frames once the link proves clean', () => {
  const sizer = new PartSizer();
  assert.ok(sizer.valuesPerPart(192, 'f32') > 0, 'unknown link: parts');
  for (let i = 0; i < 16; i++) sizer.sent(100);
  sizer.observe(stats(null));
  assert.equal(sizer.valuesPerPart(192, 'f32'), 0, 'nothing re-sent, no PONG: clean');
  assert.equal(sizer.stats.byteDamage, 0);
});

test('PartSizer: estimates per-byte damage from the device counters and the mean frame length', () => {
  const sizer = new PartSizer();
  for (let i = 0; i < 100; i++) sizer.sent(100);
  // 100 frames of 100 bytes, 40 damaged: 1 - 0.6^(1/100) = 0.51% per byte.
  sizer.observe(stats({ framesOk: 60, badCrc: 30, malformed: 10, tooLarge: 0 }, 50));
  assert.ok(Math.abs(sizer.stats.byteDamage - (1 - 0.6 ** (1 / 100))) < 1e-9, `${sizer.stats.byteDamage}`);
  const values = sizer.valuesPerPart(192, 'f32');
  assert.ok(values > 0 && values < 48, `${values}`);
  assert.equal(new PartSizer('off').valuesPerPart(192, 'f32'), 0);
  assert.equal(new PartSizer(40).valuesPerPart(192, 'f32'), 40);
  assert.equal(new PartSizer(400).valuesPerPart(192, 'f32'), 0, 'a part as large as the sample is the whole');
  assert.throws(() => new PartSizer(0), /options\.fragments/);
});
