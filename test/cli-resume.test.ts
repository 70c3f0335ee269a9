// Resuming from a checkpoint with the real CLI: a checkpoint of another shape
// is refused in numbers before anything is sent, and a resumed run's log
// continues the step count of the run that saved the checkpoint.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath } from '../host/paths.js';
import { ffedge } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-resume-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built';
const at = (name: string): string => join(work, name);
const records = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('a checkpoint of another shape: "shape mismatch" with both sizes, exit 2, before training', { skip }, async () => {
  const saved = await ffedge('stream', '--samples', '20', '--quiet', '--layers', '64,32', '--log', at('shape-a.jsonl'), '--save-checkpoint', at('shape.ffck'));
  assert.equal(saved.code, 0, saved.stderr);
  const r = await ffedge('stream', '--samples', '20', '--quiet', '--layers', '32,16', '--log', at('shape-b.jsonl'), '--load-checkpoint', at('shape.ffck'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^ffedge: shape mismatch: --load-checkpoint .*shape\.ffck holds [\d,]+ bytes for layers \d+ -> 64 -> 32, 5 classes.*, the model needs [\d,]+ for \d+ -> 32 -> 16, 5 classes/m,
  );
  assert.doesNotMatch(r.stderr, /protocol error|CHECKPOINT_SEQUENCE/);
  assert.equal(existsSync(at('shape-b.jsonl')), false, 'refused before the device was opened');
});

test('a resumed run continues the step count: resumedFrom in its meta records, steps after the checkpoint', { skip }, async () => {
  const first = await ffedge('stream', '--samples', '60', '--quiet', '--log', at('run1.jsonl'), '--save-checkpoint', at('run.ffck'));
  assert.equal(first.code, 0, first.stderr);
  const second = await ffedge(
    'stream',
    '--samples',
    '40',
    '--quiet',
    '--log',
    at('run2.jsonl'),
    '--load-checkpoint',
    at('run.ffck'),
    '--save-checkpoint',
    at('run2.ffck'),
  );
  assert.equal(second.code, 0, second.stderr);
  const log = records(at('run2.jsonl'));
  const steps = log.filter((r) => r.type === 'train').map((r) => r.step as number);
  assert.deepEqual([steps[0], steps[steps.length - 1], steps.length], [61, 100, 40]);
  for (const meta of log.filter((r) => r.type === 'meta')) assert.deepEqual(meta.resumedFrom, { checkpoint: at('run.ffck'), steps: 60 });
  assert.ok(log.filter((r) => r.type === 'eval').every((r) => (r.step as number) === 100));
  assert.match(second.stdout, /steps 61\.\.100/);
  // And a third run from the second's checkpoint goes on from 100.
  const third = await ffedge('stream', '--samples', '5', '--quiet', '--log', at('run3.jsonl'), '--load-checkpoint', at('run2.ffck'));
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /steps 101\.\.105/);
});

test('ffedge eval: a saved model on the same held-out samples gives the accuracy and confusion matrix the training run ended with', { skip }, async () => {
  const trained = await ffedge('stream', '--samples', '600', '--quiet', '--log', at('eval-train.jsonl'), '--save-checkpoint', at('eval.ffck'));
  assert.equal(trained.code, 0, trained.stderr);
  const final = /final accuracy (\d\.\d+) on (\d+) held-out samples/.exec(trained.stdout)!;
  const r = await ffedge('eval', at('eval.ffck'), '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^accuracy ${final[1]!.replace('.', '\\.')} on ${final[2]} held-out samples of imu .*after 600 steps$`, 'm'));
  const matrix = (text: string) => text.slice(text.indexOf('true \\ predicted')).split('\n').slice(0, 7).join('\n');
  assert.equal(matrix(r.stdout), matrix(trained.stdout));
  assert.equal(existsSync(at('eval-train.svg')), true);
});

test('ffedge eval: a source of another shape is a shape mismatch (exit 2)', { skip }, async () => {
  writeFileSync(at('small.csv'), 'a,b,label\n' + Array.from({ length: 20 }, (_, i) => `${i},${i * 2},${i % 2}`).join('\n') + '\n');
  const r = await ffedge('eval', at('run.ffck'), '--source', `csv:${at('small.csv')}`, '--quiet');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ffedge: shape mismatch: .*run\.ffck holds a model of 192 inputs and 5 classes; --source csv:.* gives 2 inputs and 2 classes/m);
});
