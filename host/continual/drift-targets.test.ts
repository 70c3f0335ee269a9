import test from 'node:test';
import assert from 'node:assert/strict';
import { driftTargets, driftTargetsMet, recoverySamples } from './drift-targets.js';
import { PrequentialAccuracy } from './metrics.js';

/** Window accuracies of a hit sequence, as the runner computes them. */
function windowed(hits: number[], window: number): number[] {
  const p = new PrequentialAccuracy(window);
  return hits.map((h) => {
    p.add(h, 1);
    return p.windowAccuracy!;
  });
}

test('recovery: counted from the boundary to the end of the first full post-drift window back in the band', () => {
  // 20 samples at 80%, then 10 at 0%, then 100%: window 5, band 0.05.
  const hits = [...Array.from({ length: 20 }, (_, i) => (i % 5 === 0 ? 0 : 1)), ...Array(10).fill(0), ...Array(20).fill(1)];
  const acc = windowed(hits, 5);
  const r = recoverySamples(acc, 20, 5);
  assert.equal(r.before, 0.8);
  // Window ending at 33 holds 30..33 (1) and 29 (0): 0.8 -> back.
  assert.equal(r.samples, 14);
  assert.equal(recoverySamples(windowed([...Array(20).fill(1), ...Array(10).fill(0)], 5), 20, 5).samples, null);
  assert.throws(() => recoverySamples(acc, 3, 5), /needs 5 samples before it/);
});

test('driftTargets: first alarm within the horizon after the boundary is the detection, the rest false; rate over the run', () => {
  const acc = Array(40_000).fill(0.8);
  const t = driftTargets(20_000, [5_000, 20_150, 30_000], acc, 500);
  assert.deepEqual(t, { delay: 150, falseAlarms: 2, falsePer10k: 0.5, before: 0.8, recovery: 500, lowest: 0.8 });
  assert.equal(driftTargetsMet(t), true);
  assert.equal(driftTargetsMet(driftTargets(20_000, [20_301], acc, 500)), false, 'too late');
  assert.equal(driftTargetsMet(driftTargets(20_000, [1, 2, 3, 4, 5, 20_100], acc, 500)), false, '1.25 false alarms per 10k');
  assert.deepEqual(driftTargets(20_000, [26_839], acc, 500).delay, null, 'long after the change: not its detection');
  assert.equal(driftTargets(20_000, [26_839], acc, 500).falseAlarms, 1);
  assert.equal(driftTargets(20_000, [], acc, 500).delay, null);
  assert.equal(driftTargetsMet(driftTargets(20_000, [], acc, 500)), false, 'never detected');
});
