import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogLineParser, LogParseError, loadLog, parseLog, parseRecordLine, validateRecord, type LogRecord } from './records.js';
import { exampleLog } from '../../test/support/example-log.js';

const train = {
  type: 'train',
  t: 1700000000000,
  seq: 5,
  step: 4,
  label: 3,
  predicted: 3,
  layers: [
    { gpos: 2.5, gneg: 0.75, loss: 0.31, active: 0.4, hoyer: 0.55 },
    { gpos: 1, gneg: null, loss: null, active: 1, hoyer: 0 },
  ],
};
const evalRec = { type: 'eval', t: 1, step: 100, accuracy: 0.9, n: 2004, perClass: [1, 0.8, null] };
const link = { type: 'link', t: 1, framesDropped: 0, crcErrors: 2, retransmits: 3, duplicates: 1 };
const meta = { type: 'meta', t: 1, config: { threshold: 2 }, device: { runtime: 'wasi' }, note: 'extra fields are kept' };

test('valid records of every type pass and keep their fields', () => {
  for (const r of [train, evalRec, link, meta, { type: 'train', t: 0, seq: 0, step: 0, label: -1, layers: [train.layers[0]] }]) {
    assert.deepEqual(validateRecord(JSON.parse(JSON.stringify(r))), r);
  }
  assert.equal((validateRecord(meta) as { note?: string }).note, 'extra fields are kept');
});

test('the fields the session adds are declared and checked when present', () => {
  const session = [
    { ...train, sample: 12 },
    { ...evalRec, mode: 'head' },
    { ...link, repliesLost: 1, hostDropped: { frames: 40, badCrc: 1, malformed: 0, tooLarge: 0 }, deviceDropped: null },
    {
      ...link,
      repliesLost: 0,
      hostDropped: { frames: 40, badCrc: 0, malformed: 0, tooLarge: 0 },
      deviceDropped: { framesOk: 39, badCrc: 2, malformed: 0, tooLarge: 1 },
    },
    { ...meta, arenaUsed: 43824 },
  ];
  for (const r of session) assert.deepEqual(validateRecord(JSON.parse(JSON.stringify(r))), r);
  const cases: [unknown, RegExp][] = [
    [{ ...train, sample: -1 }, /^sample must be an integer >= 0/],
    [{ ...evalRec, mode: 'vote' }, /^mode must be one of goodness, head when present, got "vote"/],
    [{ ...link, repliesLost: 0.5 }, /^repliesLost must be an integer >= 0/],
    [{ ...link, hostDropped: null }, /^hostDropped must be an object when present/],
    [{ ...link, hostDropped: { frames: 1, badCrc: 0, malformed: 0 } }, /^hostDropped\.tooLarge must be an integer >= 0/],
    [{ ...link, deviceDropped: { framesOk: 1, badCrc: -1, malformed: 0, tooLarge: 0 } }, /^deviceDropped\.badCrc must be an integer >= 0/],
  ];
  for (const [value, message] of cases) assert.throws(() => validateRecord(value), { name: 'LogRecordError', message });
});

const resetRec = { type: 'reset', t: 1, reset: 1, reason: 'LINK_DESYNC: unprompted HELLO', fromSample: 40, replayed: 13 };

test('a reset record (host/session/recovery.ts) is valid', () => {
  assert.deepEqual(validateRecord(resetRec), resetRec);
});

test('invalid records name the bad field', () => {
  const cases: [unknown, RegExp][] = [
    [[1], /must be a JSON object/],
    [
      { ...train, type: 'trian' },
      /^type must be one of meta, train, eval, link, boundary, drift, prequential, task-eval, continual-summary, end, reset, got "trian"/,
    ],
    [{ ...train, t: '2024' }, /^t must be a finite number/],
    [{ ...train, seq: -1 }, /^seq must be an integer >= 0, got -1/],
    [{ ...train, step: 1.5 }, /^step must be an integer/],
    [{ ...train, label: -2 }, /^label must be an integer >= -1/],
    [{ ...train, predicted: 'x' }, /^predicted must be a finite number/],
    [{ ...train, layers: [] }, /^layers must be a non-empty array/],
    [{ ...train, layers: [{ ...train.layers[0], gneg: '1' }] }, /^layers\[0\]\.gneg must be a number or null/],
    [{ ...train, layers: [train.layers[0], { ...train.layers[0], hoyer: 1.7 }] }, /^layers\[1\]\.hoyer must be in \[0, 1\], got 1\.7/],
    [{ ...evalRec, accuracy: null }, /^accuracy must be a number, got null/],
    [{ ...evalRec, n: -3 }, /^n must be an integer >= 0/],
    [{ ...evalRec, perClass: [0.5, 2] }, /^perClass\[1\] must be in \[0, 1\]/],
    [{ ...link, retransmits: undefined }, /^retransmits must be a finite number/],
    [{ ...meta, config: 'x' }, /^config must be an object/],
    [{ ...resetRec, reset: 0 }, /^reset must be an integer >= 1/],
    [{ ...resetRec, replayed: -1 }, /^replayed must be an integer >= 0/],
    [{ ...resetRec, reason: 3 }, /^reason must be a string/],
  ];
  for (const [value, re] of cases) assert.throws(() => validateRecord(value), { name: 'LogRecordError', message: re }, JSON.stringify(value));
});

test('parse errors carry the line number', () => {
  const text = [JSON.stringify(meta), '', JSON.stringify(train), '{"type":"eval","t":1,"step":1,"accuracy":1.2,"n":1}', JSON.stringify(link)].join('\n') + '\n';
  assert.throws(
    () => parseLog(text, { source: 'run.jsonl' }),
    (err: unknown) => {
      assert.ok(err instanceof LogParseError);
      assert.equal(err.line, 4);
      assert.equal(err.message, 'run.jsonl:4: accuracy must be in [0, 1], got 1.2');
      return true;
    },
  );
  assert.throws(() => parseRecordLine('{"type":', 9, 'x'), { name: 'LogParseError', line: 9, message: /^x:9: not valid JSON/ });
});

test('a truncated last line is skipped and reported, or rejected when strict', () => {
  const whole = [meta, train].map((r) => JSON.stringify(r)).join('\n') + '\n';
  const text = whole + JSON.stringify(link).slice(0, 20);
  const seen: [number, string][] = [];
  const records = parseLog(text, { onTruncatedTail: (line, t) => seen.push([line, t]) });
  assert.deepEqual(records, [meta, train]);
  assert.deepEqual(seen, [[3, JSON.stringify(link).slice(0, 20)]]);
  assert.throws(() => parseLog(text, { strict: true }), { name: 'LogParseError', line: 3 });
  // A complete last record without a newline is fine; CRLF too.
  assert.deepEqual(parseLog(whole.replace(/\n/g, '\r\n') + JSON.stringify(link)), [meta, train, link]);
  // A bad line that is not the last one is always an error.
  assert.throws(() => parseLog('{"type":\n' + whole), { name: 'LogParseError', line: 1 });
});

test('chunked feeding gives the same records at every split point', () => {
  const records = exampleLog({ steps: 12, layers: 2 });
  const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  for (let cut = 0; cut <= text.length; cut += 7) {
    const p = new LogLineParser();
    const got: LogRecord[] = [];
    p.feed(text.slice(0, cut), (r) => got.push(r));
    p.feed(text.slice(cut), (r) => got.push(r));
    p.end((r) => got.push(r));
    assert.deepEqual(got, records, `cut at ${cut}`);
  }
});

test('loadLog streams a file (multi-chunk) with the same result', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-records-'));
  try {
    const records = exampleLog({ steps: 1500, layers: 3 });
    const path = join(dir, 'run.jsonl');
    await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    assert.deepEqual(await loadLog(path), records);
    await writeFile(path, JSON.stringify(meta) + '\n' + '{"type":"link","t":1}\n');
    await assert.rejects(loadLog(path), { name: 'LogParseError', line: 2, message: new RegExp(`${path}:2: framesDropped`) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a reply-lost train record and the end record are declared and checked', () => {
  const lost = { type: 'train', t: 1, seq: 9, step: null, label: 2, layers: null, replyLost: true, sample: 8 };
  const end = { type: 'end', t: 2, ok: false, reason: 'DeviceTimeoutError: ...', trained: 3576, inDoubt: 8 };
  for (const r of [lost, end, { ...end, ok: true, reason: 'completed', inDoubt: 0 }]) assert.deepEqual(validateRecord(JSON.parse(JSON.stringify(r))), r);
  assert.throws(() => validateRecord({ ...lost, step: 4 }), /step must be null when replyLost/);
  assert.throws(() => validateRecord({ ...lost, replyLost: false }), /replyLost must be true/);
  assert.throws(() => validateRecord({ ...lost, replyLost: undefined }), /step must be a finite number/);
  assert.throws(() => validateRecord({ ...end, inDoubt: -1 }), /inDoubt must be an integer >= 0/);
  assert.throws(() => validateRecord({ ...end, ok: 'no' }), /ok must be true or false/);
});
