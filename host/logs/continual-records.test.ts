// The continual-learning records (boundary, drift, prequential, task-eval,
// continual-summary) through the parser, the summary, the plot and CSV.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordRows } from './export-csv.js';
import { goodnessPlotSvg } from './plot-svg.js';
import { parseLog, validateRecord, type LogRecord } from './records.js';
import { renderSummary, summarize } from './summary.js';

const layer = { gpos: 3, gneg: 1, loss: 0.5, active: 0.5, hoyer: 0.3 };
function log(complete: boolean, predictions: boolean): LogRecord[] {
  const R = [
    [0.9, 0.1],
    [0.4, 0.8],
  ];
  const b = [0.5, 0.2];
  const out: LogRecord[] = [{ type: 'meta', t: 0, config: { algorithm: 'ff' } }];
  b.forEach((accuracy, task) => out.push({ type: 'task-eval', t: 1, step: 0, afterTask: -1, task, accuracy, n: 10 }));
  for (let k = 0; k < 2; k++) {
    out.push({ type: 'boundary', t: 2, sample: k * 100, step: k * 100, task: k, from: k ? k - 1 : null, kind: 'abrupt', name: `T${k}` });
    for (let i = 0; i < 100; i++) out.push({ type: 'train', t: 3, seq: i, step: k * 100 + i + 1, label: k, layers: [layer] });
    if (predictions)
      out.push({
        type: 'prequential',
        t: 4,
        sample: k * 100 + 99,
        step: k * 100 + 100,
        task: k,
        accuracy: 0.7,
        n: 100 * (k + 1),
        window: 50,
        windowAccuracy: 0.6,
      });
    if (k === 1) out.push({ type: 'drift', t: 4, sample: 130, step: 130, task: 1 });
    if (k === 1 && !complete) break;
    R[k]!.forEach((accuracy, task) => out.push({ type: 'task-eval', t: 5, step: (k + 1) * 100, afterTask: k, task, accuracy, n: 10 }));
  }
  if (complete) {
    out.push({
      type: 'continual-summary',
      t: 6,
      tasks: 2,
      R,
      baseline: b,
      acc: 0.6,
      bwt: -0.5,
      fwt: 0.1 - 0.2,
      prequential: predictions ? 0.7 : null,
      prequentialN: predictions ? 200 : 0,
      taskNames: ['T0', 'T1'],
    });
  }
  return out;
}

test('continual records validate; bad ones name the field', () => {
  const text =
    log(true, true)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n';
  assert.equal(parseLog(text).length, log(true, true).length);
  assert.throws(() => validateRecord({ type: 'boundary', t: 0, sample: 0, step: 0, task: 0, from: null, kind: 'sudden' }), /kind/);
  assert.throws(() => validateRecord({ type: 'task-eval', t: 0, step: 0, afterTask: -2, task: 0, accuracy: 0.5, n: 1 }), /afterTask/);
  assert.throws(
    () =>
      validateRecord({
        type: 'continual-summary',
        t: 0,
        tasks: 2,
        R: [[1, 0]],
        baseline: null,
        acc: 1,
        bwt: null,
        fwt: null,
        prequential: null,
        prequentialN: 0,
      }),
    /R must be an array of 2 rows/,
  );
});

test('summary prints R with b, ACC/BWT/FWT computed from the task-eval records, prequential accuracy and drift alarms', () => {
  const s = summarize(log(true, true));
  assert.deepEqual(s.continual?.R, [
    [0.9, 0.1],
    [0.4, 0.8],
  ]);
  assert.equal(s.continual?.driftAlarms.length, 1);
  const text = renderSummary(s);
  assert.match(text, /R\[i\]\[j\] \(%\)\s+task 0 T0\s+task 1 T1/);
  assert.match(text, /untrained \(b\)\s+50\.0\s+20\.0/);
  assert.match(text, /after task 1\s+40\.0\s+80\.0/);
  // ACC (0.4+0.8)/2, BWT 0.4-0.9, FWT 0.1-0.2: the hand-computed values.
  assert.match(text, /ACC 60\.0%\s+BWT -50\.0 points\s+FWT -10\.0 points/);
  assert.match(text, /Prequential \(test-then-train\) accuracy: 70\.0% over 200 samples; last 50: 60\.0%/);
  assert.match(text, /1 drift alarm \(at samples 130\)/);
  assert.deepEqual(s.counts, { meta: 1, train: 200, eval: 0, link: 0, end: 0 });
});

test('summary says n/a, not a number, for missing predictions and an unfinished R', () => {
  assert.match(renderSummary(summarize(log(true, false))), /Prequential accuracy: n\/a \(device sent no predictions\)/);
  const partial = renderSummary(summarize(log(false, false)));
  assert.match(partial, /ACC\/BWT\/FWT: n\/a \(R is incomplete/);
  assert.match(partial, /after task 1\s+-\s+-/);
  assert.equal(summarize(log(true, true).filter((r) => r.type === 'train' || r.type === 'meta')).continual, null);
});

test('the plot has a per-task accuracy panel and marks boundaries and drift alarms on every panel', () => {
  const svg = goodnessPlotSvg(log(true, true));
  assert.match(svg, /data-panel="tasks"/);
  for (const id of ['task0', 'task1', 'prequential']) assert.match(svg, new RegExp(`data-series="${id}"`));
  const panels = (svg.match(/data-panel="/g) ?? []).length;
  assert.equal((svg.match(/data-vline="boundary"/g) ?? []).length, panels, 'one boundary (task 1) per panel; the start of the stream is not marked');
  assert.equal((svg.match(/data-vline="drift"/g) ?? []).length, panels);
  assert.doesNotMatch(goodnessPlotSvg(log(true, true).filter((r) => r.type === 'train')), /data-panel="tasks"|data-vline/);
});

test('CSV export carries the continual records as JSON in the meta column', () => {
  const rows = recordRows({ type: 'task-eval', t: 1, step: 5, afterTask: 0, task: 1, accuracy: 0.5, n: 3 });
  assert.equal(rows[0]!.type, 'task-eval');
  assert.equal(rows[0]!.step, 5);
  assert.deepEqual(JSON.parse(String(rows[0]!.meta)), { step: 5, afterTask: 0, task: 1, accuracy: 0.5, n: 3 });
});
