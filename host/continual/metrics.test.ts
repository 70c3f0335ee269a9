import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyMatrix, continualMetrics, detectionDelays, PrequentialAccuracy } from './metrics.js';

const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('ACC, BWT, FWT of a hand-computed 3-task matrix (GEM eqs. 2-4)', () => {
  const R = [
    [0.9, 0.1, 0.2],
    [0.5, 0.8, 0.3],
    [0.4, 0.6, 0.7],
  ];
  const b = [0.1, 0.2, 0.25];
  const m = continualMetrics(R, b);
  close(m.acc, (0.4 + 0.6 + 0.7) / 3, 'ACC');
  close(m.bwt, (0.4 - 0.9 + (0.6 - 0.8)) / 2, 'BWT'); // -0.35
  close(m.fwt, (0.1 - 0.2 + (0.3 - 0.25)) / 2, 'FWT'); // -0.025
  assert.equal(continualMetrics(R, null).fwt, null, 'FWT needs b');
});

test('no forgetting gives BWT 0; perfect fine-tune forgetting of one-class tasks gives BWT -1', () => {
  const keep = [
    [1, 0],
    [1, 1],
  ];
  assert.equal(continualMetrics(keep).bwt, 0);
  assert.equal(continualMetrics(keep).acc, 1);
  const forget = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const m = continualMetrics(forget, [0, 0, 0]);
  close(m.acc, 1 / 3, 'ACC');
  close(m.bwt, -1, 'BWT');
  close(m.fwt, 0, 'FWT');
  const one = continualMetrics([[0.7]]);
  assert.deepEqual(one, { acc: 0.7, bwt: null, fwt: null });
});

test('accuracyMatrix places task-eval entries and b; a missing row makes the metrics refuse', () => {
  const m = accuracyMatrix(
    [
      { afterTask: -1, task: 0, accuracy: 0.1 },
      { afterTask: -1, task: 1, accuracy: 0.3 },
      { afterTask: 0, task: 0, accuracy: 0.9 },
      { afterTask: 0, task: 1, accuracy: 0.2 },
    ],
    2,
  );
  assert.deepEqual(m.baseline, [0.1, 0.3]);
  assert.deepEqual(m.R, [
    [0.9, 0.2],
    [null, null],
  ]);
  assert.throws(() => continualMetrics(m.R, m.baseline), /R\[1\]\[0\] is missing/);
  assert.throws(() => accuracyMatrix([{ afterTask: 0, task: 2, accuracy: 1 }], 2), RangeError);
});

test('prequential accuracy: overall and over a sliding window; missing predictions are counted, not scored', () => {
  const p = new PrequentialAccuracy(4);
  assert.equal(p.accuracy, null);
  // Labels 0; predictions right, right, wrong, wrong, wrong, wrong.
  for (const pred of [0, 0, 1, 1, 1, 1]) p.add(pred, 0);
  close(p.accuracy, 2 / 6, 'overall');
  close(p.windowAccuracy, 0 / 4, 'window');
  p.add(0, 0);
  close(p.windowAccuracy, 1 / 4, 'window after one right');
  p.add(null, 3);
  p.add(2, -1);
  assert.equal(p.missing, 1);
  assert.equal(p.n, 7);
});

test('detection delays: first alarm after each boundary; alarms before any boundary, repeated or beyond the horizon are false', () => {
  const d = detectionDelays([0, 1000, 2000], [500, 1120, 1150, 2600], 300);
  assert.deepEqual(d.delays, [120, null]);
  assert.equal(d.falseAlarms, 3); // 500 (before a boundary), 1150 (a second alarm for 1000), 2600 (600 after 2000)
});
