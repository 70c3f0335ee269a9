import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNumber, renderSummary, renderTable, summarize, summarizeFile } from './summary.js';
import { exampleLog } from '../../test/support/example-log.js';
import type { EvalRecord, LogRecord, TrainRecord } from './records.js';

const close = (a: number | null, b: number, what: string) => {
  assert.ok(a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

test('window means, separation, slope and accuracies match a direct computation', () => {
  const records = exampleLog({ steps: 1000, layers: 3, seed: 4 });
  const s = summarize(records, { windowFraction: 0.2 });
  const train = records.filter((r): r is TrainRecord => r.type === 'train');
  const steps = train.map((r) => r.step);
  const lo = Math.min(...steps),
    hi = Math.max(...steps);
  assert.deepEqual(s.steps, { first: lo, last: hi });
  const first = train.filter((r) => r.step <= lo + 0.2 * (hi - lo));
  const last = train.filter((r) => r.step >= hi - 0.2 * (hi - lo));
  assert.equal(s.layers.length, 3);
  const avg = (rs: TrainRecord[], f: (r: TrainRecord) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  for (let l = 0; l < 3; l++) {
    const L = s.layers[l];
    assert.equal(L.layer, l + 1);
    assert.equal(L.first.count, first.length);
    assert.equal(L.last.count, last.length);
    close(
      L.first.gpos,
      avg(first, (r) => r.layers[l].gpos!),
      'first gpos',
    );
    close(
      L.last.gneg,
      avg(last, (r) => r.layers[l].gneg!),
      'last gneg',
    );
    close(L.last.separation, avg(last, (r) => r.layers[l].gpos!) - avg(last, (r) => r.layers[l].gneg!), 'last separation');
    close(
      L.first.hoyer,
      avg(first, (r) => r.layers[l].hoyer!),
      'first hoyer',
    );
    close(
      L.last.active,
      avg(last, (r) => r.layers[l].active!),
      'last active',
    );
    // Least squares slope, written out the textbook way.
    const xs = train.map((r) => r.step),
      ys = train.map((r) => r.layers[l].loss!);
    const mx = xs.reduce((a, b) => a + b) / xs.length,
      my = ys.reduce((a, b) => a + b) / ys.length;
    const b = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    close(L.lossSlopePer1k, b * 1000, 'loss slope');
    // The example run learns: separation grows, loss falls.
    assert.ok(L.last.separation! > L.first.separation!);
    assert.ok(L.lossSlopePer1k! < 0);
  }
  const acc = (rs: TrainRecord[]) => rs.filter((r) => r.predicted === r.label).length / rs.length;
  close(s.trainAccuracy.first.accuracy, acc(first), 'train acc first');
  close(s.trainAccuracy.last.accuracy, acc(last), 'train acc last');
  close(s.trainAccuracy.overall.accuracy, acc(train), 'train acc overall');
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  assert.equal(s.evals.length, evals.length);
  assert.equal(s.bestEval!.accuracy, Math.max(...evals.map((e) => e.accuracy)));
  assert.equal(s.lastEval!.step, Math.max(...evals.map((e) => e.step)));
  assert.deepEqual(s.counts, { meta: 1, train: 1000, eval: evals.length, link: records.filter((r) => r.type === 'link').length, end: 0 });
  assert.equal(s.link, records.filter((r) => r.type === 'link').at(-1));
});

test('null metrics are left out; unlabelled or unpredicted samples do not count for accuracy', () => {
  const rec = (step: number, gneg: number | null, label: number, predicted?: number): TrainRecord => ({
    type: 'train',
    t: step,
    seq: step,
    step,
    label,
    ...(predicted !== undefined ? { predicted } : {}),
    layers: [{ gpos: 2, gneg, loss: null, active: 0.5, hoyer: null }],
  });
  const s = summarize([rec(0, 1, 1, 1), rec(1, null, -1, 3), rec(2, 3, 2), rec(3, null, 0, 1)]);
  assert.equal(s.layers[0].overall.gneg, 2);
  assert.equal(s.layers[0].overall.separation, 0);
  assert.equal(s.layers[0].overall.loss, null);
  assert.equal(s.layers[0].lossSlopePer1k, null);
  assert.deepEqual(s.trainAccuracy.overall, { n: 2, accuracy: 0.5 });
  // Window edges are inclusive: steps 0..10 with 10% windows -> first = steps 0, 1; last = steps 9, 10.
  const edge = summarize(
    Array.from({ length: 11 }, (_, k) => rec(k, k, 0)),
    { windowFraction: 0.1 },
  );
  assert.equal(edge.layers[0].first.count, 2);
  assert.equal(edge.layers[0].first.gneg, 0.5);
  assert.equal(edge.layers[0].last.count, 2);
  assert.equal(edge.layers[0].last.gneg, 9.5);
  const empty = summarize([]);
  assert.equal(empty.steps, null);
  assert.equal(empty.layers.length, 0);
  assert.match(renderSummary(empty), /0 train, 0 eval, 0 link, 0 meta; no train records/);
  assert.throws(() => summarize([], { windowFraction: 0 }), { name: 'TypeError', message: /windowFraction/ });
});

test('renderTable aligns every column', () => {
  const t = renderTable(
    ['name', 'value'],
    [
      ['a', '1.5'],
      ['longer name', '-12.25'],
    ],
    ['left', 'right'],
  );
  const lines = t.split('\n');
  assert.equal(lines.length, 4);
  assert.ok(
    lines.every((l) => l.length === lines[0].length),
    t,
  );
  assert.equal(lines[3], 'longer name  -12.25');
  assert.equal(lines[2], 'a' + ' '.repeat(15) + '1.5'); // 'a' padded to 11, 2 between, '1.5' padded to 6
});

test('renderSummary: aligned tables with a row per layer and the numbers of the summary', () => {
  const records: LogRecord[] = exampleLog({ steps: 500, layers: 2, evalEvery: 20 });
  const s = summarize(records);
  const text = renderSummary(s, { maxEvalRows: 5 });
  assert.match(text, /500 train, 25 eval/);
  assert.match(text, /windows: first 10% = steps 0\.\.49, last 10% = steps 450\.\.499/);
  assert.match(text, /config: algorithm=ff layers=784-500-500 threshold=2/);
  // Each table: header, rule, rows all the same width (right-aligned numbers).
  const blocks = text.split('\n\n');
  const tables = blocks.filter((b) => /\n-+ {2}-+/.test(b));
  assert.equal(tables.length, 3, text);
  for (const b of tables) {
    const lines = b.split('\n').slice(1);
    assert.ok(
      lines.every((l) => l.length === lines[0].length),
      b,
    );
  }
  const goodness = tables[0].split('\n');
  assert.equal(goodness.length, 1 + 2 + 2);
  assert.ok(goodness[3].trim().startsWith('1 ') && goodness[3].includes(formatNumber(s.layers[0].last.gpos)));
  const evalRows = tables[2].split('\n').slice(3);
  assert.equal(evalRows.length, 5);
  assert.match(evalRows[0], /^\s*20\s/);
  assert.match(evalRows[4], /^\s*500\s/);
  assert.match(text, /Train accuracy from predictions: first 0\.\d{3} \(n 50\)/);
  assert.match(text, /Link \(cumulative\): \d+ frames dropped/);
  assert.ok(!/[^\x20-\x7e\n]/.test(text), 'ASCII only');
});

test('formatNumber keeps widths small and readable', () => {
  assert.equal(formatNumber(0.123456), '0.123');
  assert.equal(formatNumber(12.3456), '12.35');
  assert.equal(formatNumber(123.456), '123.5');
  assert.equal(formatNumber(12345.6), '12,346');
  assert.equal(formatNumber(0.0000123), '1.23e-5');
  assert.equal(formatNumber(null), '-');
  assert.equal(formatNumber(0), '0.000');
});

test('summarizeFile equals summarize on the same records', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-summary-'));
  try {
    const records = exampleLog({ steps: 800, layers: 2 });
    const path = join(dir, 'run.jsonl');
    await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    assert.deepEqual(await summarizeFile(path), summarize(records));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reply-lost train records are counted, not averaged; the end record is summarised', () => {
  const layer = { gpos: 2, gneg: 1, loss: 0.5, active: 0.5, hoyer: 0.5 };
  const records: LogRecord[] = [
    { type: 'train', t: 1, seq: 0, step: 1, label: 0, layers: [layer] },
    { type: 'train', t: 2, seq: 1, step: null, label: 1, layers: null, replyLost: true },
    { type: 'train', t: 3, seq: 2, step: 3, label: 0, layers: [layer] },
    { type: 'end', t: 4, ok: false, reason: 'DeviceTimeoutError: the device stopped answering', trained: 3, inDoubt: 8 },
  ];
  const s = summarize(records);
  assert.equal(s.counts.train, 3);
  assert.equal(s.repliesLost, 1);
  assert.equal(s.layers[0]!.count, 2, 'metrics only from records that have them');
  assert.deepEqual(s.steps, { first: 1, last: 3 });
  assert.equal(s.end?.trained, 3);
  const text = renderSummary(s);
  assert.match(text, /3 train \(1 with the reply lost\)/);
  assert.match(text, /run stopped \(DeviceTimeoutError\): 3 samples trained for certain; up to 8 more sent past the last record may also have been trained/);
});

test('the summary counts device resets and the samples trained again from snapshots', () => {
  const records: LogRecord[] = [
    ...exampleLog(),
    { type: 'reset', t: 5, reset: 1, reason: 'LINK_DESYNC: unprompted HELLO', fromSample: 40, replayed: 13 },
    { type: 'reset', t: 6, reset: 2, reason: 'NOT_CONFIGURED: the device forgot its config', fromSample: 80, replayed: 7 },
  ];
  const s = summarize(records);
  assert.deepEqual(s.resets, { count: 2, replayed: 20 });
  assert.match(renderSummary(s), /Device resets: 2, recovered from snapshots; 20 samples trained again/);
  assert.equal(summarize(exampleLog()).resets, null);
});

test('a device without a RAM limit reads as arenaFree=unlimited, not 4294888592 (as the connect line says)', () => {
  const device = { protocolVersion: 3, window: 8, maxPayload: 4096, arenaFree: 4294888592, buildId: 1, runtime: 'ff-edge/wasi', transport: 'virtual' };
  const records: LogRecord[] = [{ type: 'meta', t: 0, config: { inputSize: 4 }, device, arenaUsed: 100 }, ...exampleLog().filter((r) => r.type !== 'meta')];
  const text = renderSummary(summarize(records));
  assert.match(text, /device: .*arenaFree=unlimited/);
  assert.doesNotMatch(text, /4294888592/);
  const limited = renderSummary(summarize([{ type: 'meta', t: 0, config: {}, device: { ...device, arenaFree: 52276 }, arenaUsed: 1 }]));
  assert.match(limited, /arenaFree=52,276 B/);
});
