import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCsv, loadJsonl, loadSampleFile, parseCsv, parseJsonl, SampleFileError, windowRows } from './files.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ffedge-files-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rows = [
  [0.5, -1, 2e-3, 1],
  [1.25, 3, 4, 0],
  [-0.75, 0, 8.5, 2],
];

test('CSV with header and a named label column', () => {
  const text = 'ax,ay,az,gesture\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  const ds = parseCsv(text, { label: 'gesture' });
  assert.equal(ds.inputSize, 3);
  assert.equal(ds.packed.count, 3);
  assert.equal(ds.classes, 3, 'classes = max label + 1');
  assert.deepEqual(ds.inputColumns, ['ax', 'ay', 'az']);
  assert.deepEqual(
    Array.from(ds.packed.labels),
    rows.map((r) => r[3]),
  );
  assert.deepEqual(
    Array.from(ds.packed.inputs),
    rows.flatMap((r) => r.slice(0, 3).map(Math.fround)),
  );
});

test('CSV without header: label by index (negative from the end), or no label at all', () => {
  const text = rows.map((r) => [r[3], ...r.slice(0, 3)].join(';')).join('\r\n');
  const first = parseCsv(text, { delimiter: ';', label: 0, header: false });
  assert.deepEqual(
    Array.from(first.packed.labels),
    rows.map((r) => r[3]),
  );
  assert.equal(first.inputSize, 3);
  const last = parseCsv(rows.map((r) => r.join(',')).join('\n'), { label: -1 });
  assert.deepEqual(
    Array.from(last.packed.labels),
    rows.map((r) => r[3]),
  );
  const none = parseCsv(rows.map((r) => r.join(',')).join('\n'));
  assert.equal(none.inputSize, 4);
  assert.equal(none.classes, 0);
  assert.deepEqual(Array.from(none.packed.labels), [-1, -1, -1]);
});

test('CSV skips blank and # lines, accepts class names and empty labels', () => {
  const text = '# recorded 2024\n\n1,2,shake\n3,4,\n5,6,idle\n';
  const ds = parseCsv(text, { label: -1, classNames: ['idle', 'shake'] });
  assert.deepEqual(Array.from(ds.packed.labels), [1, -1, 0]);
  assert.equal(ds.classes, 2);
  assert.deepEqual(ds.classNames, ['idle', 'shake']);
});

test('CSV errors carry the line number and say what is wrong', () => {
  const bad = (text: string, opts: Parameters<typeof parseCsv>[1], line: number, re: RegExp) => {
    assert.throws(
      () => parseCsv(text, opts, 'x.csv'),
      (err: unknown) => {
        assert.ok(err instanceof SampleFileError, String(err));
        assert.equal(err.line, line);
        assert.equal(err.file, 'x.csv');
        assert.match(err.message, new RegExp(`^x\\.csv:${line}: `));
        assert.match(err.message, re);
        return true;
      },
    );
  };
  bad('a,b,c\n1,2,3\n\n4,5\n', {}, 4, /expected 3 columns, got 2/);
  bad('a,b,c\n1,2,3\n4,oops,6\n', {}, 3, /column 2 \('b'\) is not a number: "oops"/);
  bad('1,2,3\n4,5,NaN\n', {}, 2, /column 3 is not a number/);
  bad('1,2,1.5\n', { label: -1 }, 1, /label 1.5 is not an integer/);
  bad('1,2,7\n', { label: -1, classes: 3 }, 1, /label 7 is not below classes = 3/);
  bad('a,b\n1,2\n', { label: 'y' }, 1, /no label column named 'y'; columns are: a, b/);
  bad('1,2\n', { label: 5 }, 1, /label column index 5 does not exist/);
  bad('# only a comment\n', {}, 1, /no samples/);
  bad('1,2,3\n4,5,6,7\n', { label: 2 }, 2, /expected 3 columns \(2 inputs \+ label\), got 4/);
});

test('bad arguments are TypeErrors naming the argument', () => {
  assert.throws(() => parseCsv('1,2', { delimiter: '::' }), { name: 'TypeError', message: /options\.delimiter/ });
  assert.throws(() => parseCsv('1,2', { label: 1.5 }), { name: 'TypeError', message: /options\.label/ });
  assert.throws(() => parseCsv('1,2', { label: 'y', header: false }), { name: 'TypeError', message: /options\.label/ });
  assert.throws(() => parseCsv('1,2', { header: 'yes' as unknown as boolean }), { name: 'TypeError', message: /options\.header/ });
  assert.throws(() => parseJsonl('{}', { inputSize: 0 }), { name: 'TypeError', message: /options\.inputSize/ });
  assert.throws(() => parseJsonl('{}', { classes: 2, classNames: ['a'] }), { name: 'TypeError', message: /options\.classes/ });
  return assert.rejects(loadCsv(''), { name: 'TypeError', message: /path/ });
});

test('JSONL samples, optional labels, and located errors', () => {
  const text = rows.map((r) => JSON.stringify({ inputs: r.slice(0, 3), label: r[3] })).join('\n') + '\n{"inputs":[9,9,9]}\n';
  const ds = parseJsonl(text);
  assert.equal(ds.packed.count, 4);
  assert.deepEqual(Array.from(ds.packed.labels), [...rows.map((r) => r[3]), -1]);
  const bad = (t: string, line: number, re: RegExp, opts = {}) =>
    assert.throws(
      () => parseJsonl(t, opts, 'd.jsonl'),
      (e: unknown) => {
        assert.ok(e instanceof SampleFileError);
        assert.equal(e.line, line);
        assert.match(e.message, re);
        return true;
      },
    );
  bad('{"inputs":[1,2]}\n{"inputs":[1,2', 2, /not valid JSON/);
  bad('{"inputs":[1,2]}\n\n{"inputs":[1,2,3]}', 3, /has 3 values, expected 2/);
  bad('{"inputs":[1,"2"]}', 1, /"inputs"\[1\] is not a finite number/);
  bad('[1,2]', 1, /expected an object/);
  bad('{"inputs":[1],"label":1.5}', 1, /label 1.5 is not an integer/);
  bad('{"inputs":[1],"label":"x"}', 1, /label "x" is not one of the classes a, b/, { classNames: ['a', 'b'] });
  const words = parseJsonl('{"inputs":[1],"label":"walk"}\n{"inputs":[2],"label":"idle"}\n{"inputs":[3]}\n');
  assert.deepEqual(Array.from(words.packed.labels), [1, 0, -1], 'word labels: the sorted words are the classes');
  assert.deepEqual(words.classNames, ['idle', 'walk']);
  bad('{"inputs":[1,2]}', 1, /expected 3/, { inputSize: 3 });
});

test('files load line by line and match the in-memory parsers', async () => {
  const csvPath = join(dir, 'a.csv');
  const csvText = 'ax,ay,az,label\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
  await writeFile(csvPath, csvText);
  const fromFile = await loadSampleFile(csvPath, { label: 'label' });
  const fromText = parseCsv(csvText, { label: 'label' });
  assert.deepEqual(fromFile.packed.inputs, fromText.packed.inputs);
  assert.deepEqual(fromFile.packed.labels, fromText.packed.labels);
  assert.equal(fromFile.name, csvPath);

  const jsonlPath = join(dir, 'a.jsonl');
  await writeFile(jsonlPath, rows.map((r) => JSON.stringify({ inputs: r.slice(0, 3), label: r[3] })).join('\n'));
  const j = await loadJsonl(jsonlPath);
  assert.deepEqual(j.packed.inputs, fromText.packed.inputs);
  const seen = [];
  for await (const s of j.samples()) seen.push(s.label);
  assert.deepEqual(
    seen,
    rows.map((r) => r[3]),
  );

  // Many rows (buffer growth) and an error far down the file.
  const many = Array.from({ length: 5000 }, (_, i) => `${i},${i * 0.5},${i % 4}`);
  many[4321] = '1,2';
  const bigPath = join(dir, 'big.csv');
  await writeFile(bigPath, many.join('\n'));
  await assert.rejects(loadCsv(bigPath, { label: -1 }), { name: 'SampleFileError', line: 4322 });
  many[4321] = '4321,2160.5,1';
  await writeFile(bigPath, many.join('\n'));
  const big = await loadCsv(bigPath, { label: -1 });
  assert.equal(big.packed.count, 5000);
  assert.equal(big.packed.inputs[2 * 4999], 4999);
  assert.equal(big.packed.labels[4999], 4999 % 4);
  await assert.rejects(loadSampleFile(join(dir, 'a.txt')), { name: 'TypeError', message: /\.csv/ });
});

test('CSV like a logger writes it: ; or tab detected, word labels numbered in sorted order, timestamp not an input', () => {
  const text = 'timestamp;ax;ay;activity\n10;0.5;1;walk\n20;0.25;2;idle\n30;1;3;walk\n40;2;4;\n';
  const ds = parseCsv(text, { label: -1 });
  assert.deepEqual(ds.inputColumns, ['ax', 'ay']);
  assert.deepEqual(ds.droppedColumns, ['timestamp']);
  assert.deepEqual(ds.classNames, ['idle', 'walk']);
  assert.equal(ds.namesFromFile, true);
  assert.deepEqual(Array.from(ds.packed.labels), [1, 0, 1, -1]);
  assert.deepEqual(Array.from(ds.lines), [2, 3, 4, 5]);
  const tabs = parseCsv(text.replaceAll(';', '\t'), { label: 'activity' });
  assert.deepEqual(Array.from(tabs.packed.inputs), Array.from(ds.packed.inputs));
  // Names given (e.g. from the training file): the same numbering, and an unknown word is an error.
  const again = parseCsv('ax,ay,activity\n1,2,walk\n', { label: -1, classNames: ['idle', 'walk'] });
  assert.deepEqual(Array.from(again.packed.labels), [1]);
  assert.throws(
    () => parseCsv('ax,ay,activity\n1,2,run\n', { label: -1, classNames: ['idle', 'walk'] }, 'e.csv'),
    /e\.csv:2: .*"run" is not one of the classes idle, walk/,
  );
});

test('CSV columns: chosen by name or index, in the given order, or dropped', () => {
  const text = 't,ax,ay,az,label\n1,10,20,30,0\n2,11,21,31,1\n';
  assert.deepEqual(Array.from(parseCsv(text, { label: -1, columns: ['az', 1] }).packed.inputs), [30, 10, 31, 11]);
  assert.deepEqual(parseCsv(text, { label: -1, columns: ['t', 'ax'] }).inputColumns, ['t', 'ax'], 'columns may name a timestamp on purpose');
  assert.deepEqual(parseCsv(text, { label: -1, drop: ['ay'] }).inputColumns, ['ax', 'az']);
  assert.throws(() => parseCsv(text, { label: -1, columns: ['gx'] }), /no input column named 'gx'; columns are: t, ax, ay, az, label/);
  assert.throws(() => parseCsv(text, { label: -1, columns: ['label'] }), /is the label; it cannot also be an input/);
});

test('CSV garbage and wrong delimiters get messages that say what to do', () => {
  assert.throws(() => parseCsv('1,2,0\n\u0000\u0001\u0002\n', {}, 'b.csv'), /b\.csv:2: byte 0x00: this is not a text CSV file/);
  assert.throws(() => parseCsv('a;b;label\n1;2;0\n', { label: -1, delimiter: ',' }, 's.csv'), /s\.csv:1: .*looks ';'-separated: pass --delimiter ';'/);
  assert.throws(() => parseCsv('a,b,label\n1,2,0\n1,1e39,1\n', { label: -1 }, 'f.csv'), /f\.csv:3: column 2 \('b'\): 1e39 does not fit a 32-bit float/);
  assert.throws(() => parseCsv('0.1,0.2,0.53\n', { label: -1 }), /label 0.53 is not an integer.*--label-column none/);
  assert.throws(() => parseJsonl('{"inputs":[1e39],"label":0}\n', {}, 'f.jsonl'), /f\.jsonl:1: "inputs"\[0\] = 1e\+39 does not fit a 32-bit float/);
});

test('windowRows: N consecutive rows per sample every hop rows, labelled by the majority (a tie: the latest row)', () => {
  const rows = [
    [1, 'a'],
    [2, 'a'],
    [3, 'b'],
    [4, 'b'],
    [5, 'b'],
    [6, ''],
    [7, 'a'],
  ];
  const ds = parseCsv('x,label\n' + rows.map((r) => r.join(',')).join('\n'), { label: -1 }, 'w.csv');
  const w = windowRows(ds, 3, 2);
  assert.equal(w.inputSize, 3);
  assert.deepEqual(Array.from(w.packed.inputs), [1, 2, 3, 3, 4, 5, 5, 6, 7]);
  assert.deepEqual(Array.from(w.packed.labels), [0, 1, 0], 'a,a,b -> a; b,b,b -> b; b,-,a -> tie, the latest row: a');
  assert.deepEqual(Array.from(w.lines), [4, 6, 8]);
  assert.deepEqual(w.windowed, { window: 3, hop: 2 });
  assert.equal(windowRows(ds, 2).packed.count, 3, 'hop defaults to the window; the short tail is dropped');
  assert.throws(() => windowRows(ds, 8), /7 rows make no window of 8 rows/);
});
