import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, csvCell, exportCsv, recordsToCsv } from './export-csv.js';
import { exampleLog } from '../../test/support/example-log.js';
import type { EvalRecord, LinkRecord, MetaRecord, TrainRecord } from './records.js';

/** A small RFC 4180 reader written for the test (quotes, doubled quotes, commas and newlines in quotes). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [],
    cell = '',
    quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  assert.equal(cell + row.join(''), '', 'text ends with a newline');
  return rows;
}

test('one row per train record per layer, one per eval/link, header first', () => {
  const records = exampleLog({ steps: 50, layers: 3, evalEvery: 10, linkEvery: 25 });
  const rows = readCsv(recordsToCsv(records));
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  const body = rows.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
  const train = records.filter((r): r is TrainRecord => r.type === 'train');
  const evals = records.filter((r): r is EvalRecord => r.type === 'eval');
  const links = records.filter((r): r is LinkRecord => r.type === 'link');
  assert.equal(body.length, train.length * 3 + evals.length + links.length);
  assert.ok(rows.every((r) => r.length === CSV_COLUMNS.length));
  const trainRows = body.filter((r) => r.type === 'train');
  train.forEach((rec, k) => {
    for (let l = 0; l < 3; l++) {
      const row = trainRows[k * 3 + l];
      assert.equal(Number(row.step), rec.step);
      assert.equal(Number(row.layer), l + 1);
      assert.equal(Number(row.gpos), rec.layers[l].gpos);
      assert.equal(Number(row.hoyer), rec.layers[l].hoyer);
      assert.equal(Number(row.predicted), rec.predicted);
      assert.equal(row.accuracy, '');
    }
  });
  const evalRows = body.filter((r) => r.type === 'eval');
  assert.deepEqual(
    evalRows.map((r) => Number(r.accuracy)),
    evals.map((e) => e.accuracy),
  );
  assert.deepEqual(evalRows[0].perClass.split(';').map(Number), evals[0].perClass);
  assert.equal(evalRows[0].layer, '');
  assert.deepEqual(
    body.filter((r) => r.type === 'link').map((r) => Number(r.retransmits)),
    links.map((l) => l.retransmits),
  );
  assert.equal(body.filter((r) => r.type === 'meta').length, 0, 'meta skipped by default');
});

test('nulls are empty cells; meta JSON survives quoting; type filter', () => {
  const meta: MetaRecord = { type: 'meta', t: 5, config: { name: 'a "quoted", comma\nline', layers: [1, 2] } };
  const train: TrainRecord = { type: 'train', t: 6, seq: 0, step: 0, label: -1, layers: [{ gpos: 1, gneg: null, loss: null, active: 0.5, hoyer: 0.25 }] };
  const rows = readCsv(recordsToCsv([meta, train], { includeMeta: true }));
  assert.equal(rows.length, 3);
  const metaCell = rows[1][CSV_COLUMNS.indexOf('meta')];
  assert.deepEqual(JSON.parse(metaCell), { config: meta.config });
  assert.equal(rows[2][CSV_COLUMNS.indexOf('gneg')], '');
  assert.equal(rows[2][CSV_COLUMNS.indexOf('predicted')], '');
  assert.equal(readCsv(recordsToCsv([meta, train], { types: ['meta'] })).length, 2);
  assert.equal(csvCell('x,y'), '"x,y"');
  assert.equal(csvCell(Number.NaN), '');
  assert.throws(() => recordsToCsv([], { types: ['nope' as 'meta'] }), { name: 'TypeError', message: /options\.types/ });
});

test('exportCsv streams a file and matches recordsToCsv', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-csv-'));
  try {
    const records = exampleLog({ steps: 3000, layers: 2 });
    const log = join(dir, 'run.jsonl'),
      csv = join(dir, 'run.csv');
    await writeFile(log, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const result = await exportCsv(log, csv);
    assert.equal(await readFile(csv, 'utf8'), recordsToCsv(records));
    assert.equal(result.records, records.filter((r) => r.type !== 'meta').length);
    assert.equal(result.rows, readCsv(await readFile(csv, 'utf8')).length - 1);
    await writeFile(log, '{"type":"eval","t":1,"step":1,"accuracy":0.5,"n":1}\n{"type":"eval"}\n');
    const before = await readFile(csv, 'utf8');
    await assert.rejects(exportCsv(log, csv), { name: 'LogParseError', line: 2 });
    assert.equal(await readFile(csv, 'utf8'), before, 'a failed export leaves the old CSV alone');
    assert.deepEqual((await readdir(dir)).sort(), ['run.csv', 'run.jsonl'], 'no temporary file left');
    await assert.rejects(exportCsv(log, join(dir, 'missing', 'x.csv')), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
