import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imuGestureDataset } from '../sources/imu-gestures.js';
import { parseDrift } from './drift.js';
import { classIncremental, defaultTaskGroups, domainDrift, parseTaskGroups, recurringClasses, taskColumn, type BaseData, type Scenario } from './scenarios.js';
import { loadTaskFile } from './task-file.js';

const imu = (seed: number): BaseData => ({
  name: 'imu',
  inputSize: 96,
  classes: 5,
  channels: 6,
  train: imuGestureDataset(400, { seed, steps: 16 }).packed,
  eval: imuGestureDataset(100, { seed: seed + 100, steps: 16 }).packed,
});
const all = (s: Scenario) => Array.from(s.stream());
const hash = (s: Scenario) =>
  all(s)
    .map((x) => `${x.task}:${x.label}:${x.inputs[0]!.toFixed(6)}:${x.inputs[50]!.toFixed(6)}`)
    .join('|');

test('class-incremental: tasks hold only their classes, boundaries at the task starts, eval sets split by class', () => {
  const s = classIncremental(imu(1), defaultTaskGroups(5, 1), { seed: 7 });
  assert.equal(s.tasks.length, 5);
  const stream = all(s);
  assert.equal(stream.length, s.length);
  assert.equal(s.length, 400); // each gesture's 80 rows once
  assert.deepEqual(
    s.boundaries.map((b) => b.sample),
    [0, 80, 160, 240, 320],
  );
  assert.deepEqual(
    s.boundaries.map((b) => b.from),
    [null, 0, 1, 2, 3],
  );
  for (const x of stream) {
    assert.equal(x.label, x.task, 'task k holds gesture k');
    const b = s.boundaries[x.task]!;
    assert.ok(x.index >= b.sample && x.index < b.sample + s.tasks[x.task]!.trainCount);
  }
  s.tasks.forEach((t, k) => assert.ok(t.eval.count > 0 && [...t.eval.labels].every((l) => l === k)));
  const mnistLike = defaultTaskGroups(10, 2);
  assert.deepEqual(mnistLike, [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
    [8, 9],
  ]);
});

test('same seed, same stream; another seed, another stream (order and data)', () => {
  const a = classIncremental(
    imu(1),
    [
      [0, 1],
      [2, 3, 4],
    ],
    { seed: 7 },
  );
  const b = classIncremental(
    imu(1),
    [
      [0, 1],
      [2, 3, 4],
    ],
    { seed: 7 },
  );
  const c = classIncremental(
    imu(1),
    [
      [0, 1],
      [2, 3, 4],
    ],
    { seed: 8 },
  );
  assert.equal(hash(a), hash(b));
  assert.equal(hash(a), hash(a), 'a second pass is the same');
  assert.notEqual(hash(a), hash(c));
  const d1 = domainDrift(imu(2), [parseDrift('noise:0.2')], { seed: 3 });
  const d2 = domainDrift(imu(2), [parseDrift('noise:0.2')], { seed: 3 });
  const d3 = domainDrift(imu(2), [parseDrift('noise:0.2')], { seed: 4 });
  assert.equal(hash(d1), hash(d2));
  assert.notEqual(hash(d1), hash(d3));
});

test('task order and sizes are configurable: --tasks groups and samples per task (cycling with a fresh order)', () => {
  const groups = parseTaskGroups('tilt,idle/shake', 5, ['idle', 'shake', 'circle', 'tap', 'tilt']);
  assert.deepEqual(groups, [[4, 0], [1]]);
  const s = classIncremental(imu(1), groups, { seed: 1, samplesPerTask: 200 });
  assert.deepEqual(
    s.boundaries.map((b) => b.sample),
    [0, 200],
  );
  const stream = all(s);
  assert.equal(stream.length, 400);
  assert.ok(stream.slice(0, 200).every((x) => x.label === 4 || x.label === 0));
  assert.ok(stream.slice(200).every((x) => x.label === 1));
  assert.throws(() => parseTaskGroups('0,1/1', 5), /class 1 is in two tasks/);
  assert.throws(() => parseTaskGroups('0/9', 5), /not a class/);
});

test('domain drift: task k under drift k, eval sets transformed the same way; gradual mixing only inside its window', () => {
  const base = imu(3);
  const s = domainDrift(base, [parseDrift('gain:2')], { seed: 1, gradual: 50 });
  assert.equal(s.tasks.length, 2);
  assert.deepEqual(
    s.boundaries.map((b) => [b.sample, b.kind, b.until]),
    [
      [0, 'abrupt', undefined],
      [200, 'gradual', 250],
    ],
  );
  // Held-out set of task 1 = task 0's doubled.
  s.tasks[1]!.eval.inputs.forEach((v, i) => assert.equal(v, Math.fround(s.tasks[0]!.eval.inputs[i]! * 2)));
  const stream = all(s);
  const window = stream.slice(200, 250);
  const old = window.filter((x) => x.task === 0).length;
  assert.ok(old > 5 && old < 45, `the old condition fades out over the window (${old} of 50)`);
  assert.ok(window.slice(0, 10).filter((x) => x.task === 0).length > window.slice(40).filter((x) => x.task === 0).length);
  assert.ok(stream.slice(250).every((x) => x.task === 1));
  assert.ok(stream.slice(0, 200).every((x) => x.task === 0));
  const abrupt = domainDrift(base, [parseDrift('rotate:30'), parseDrift('offset:0.1')], { seed: 1 });
  assert.deepEqual(
    abrupt.tasks.map((t) => t.name),
    ['clean', 'rotate:30', 'offset:0.1'],
  );
});

test("recurring: A -> B -> A, the third task shares A's held-out set", () => {
  const s = domainDrift(imu(4), [parseDrift('rotate:30')], { seed: 1, recurring: true });
  assert.deepEqual(
    s.tasks.map((t) => t.name),
    ['clean', 'rotate:30', 'clean (again)'],
  );
  assert.equal(s.tasks[2]!.eval, s.tasks[0]!.eval);
  const c = recurringClasses(imu(4), [[0, 1], [2]], { seed: 1 });
  assert.deepEqual(
    c.tasks.map((t) => t.classes),
    [[0, 1], [2], [0, 1]],
  );
  assert.equal(c.boundaries.length, 3);
});

test('task-column files: segments in file order, held-out rows per task value, recurring values share eval sets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cl-task-'));
  try {
    const rows = ['a,b,task,label'];
    const tasks = [...Array(20).fill('indoor'), ...Array(20).fill('outdoor'), ...Array(10).fill('indoor')];
    tasks.forEach((t, i) => rows.push(`${i},${i % 3},${t},${i % 2}`));
    writeFileSync(join(dir, 'x.csv'), rows.join('\n') + '\n');
    const csv = await loadTaskFile(join(dir, 'x.csv'), 'task', { label: 'label' });
    assert.deepEqual(csv.tasks, tasks);
    assert.equal(csv.data.inputSize, 2, 'the task column is not an input');
    const s = taskColumn({ name: 'x', inputSize: 2, classes: 2, rows: csv.data.packed }, csv.tasks, { seed: 1, holdout: 0.2 });
    assert.deepEqual(
      s.tasks.map((t) => t.name),
      ['indoor', 'outdoor', 'indoor (again)'],
    );
    assert.equal(s.tasks[2]!.eval, s.tasks[0]!.eval);
    assert.equal(s.tasks[0]!.eval.count + s.tasks[1]!.eval.count, 6 + 4);
    const stream = all(s);
    assert.equal(stream.length, 50 - 10);
    const firstInputs = stream.map((x) => x.inputs[0]!);
    assert.deepEqual(
      firstInputs,
      [...firstInputs].sort((a, b) => a - b),
      'file order kept',
    );
    writeFileSync(join(dir, 'y.jsonl'), tasks.map((t, i) => JSON.stringify({ inputs: [i, 1], label: i % 2, task: t })).join('\n') + '\n');
    const jsonl = await loadTaskFile(join(dir, 'y.jsonl'), 'task');
    assert.deepEqual(jsonl.tasks, tasks);
    await assert.rejects(loadTaskFile(join(dir, 'x.csv'), 'segment', { label: 'label' }), /no column named "segment"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
