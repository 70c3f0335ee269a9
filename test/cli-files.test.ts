// `ffedge stream --source csv:FILE` on files like real sensor logs: a
// timestamp column, ';' cells, class words, one reading per row.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath } from '../host/paths.js';
import { Rng } from '../host/sources/prng.js';
import { ffedge } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-files-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';

// 3 activities in runs of 20 readings; ax's level and ay's spread tell them apart.
const rng = new Rng(3);
const names = ['walk', 'idle', 'run'];
const rows = ['timestamp;ax;ay;az;activity'];
for (let run = 0; run < 45; run++) {
  const k = run % 3;
  for (let r = 0; r < 20; r++) {
    rows.push(
      [run * 200 + r * 10, k * 0.5 + rng.uniform(-0.3, 0.3), rng.uniform(-1, 1) * (k + 1) * 0.3, rng.uniform(-0.2, 0.2), names[k]]
        .map((v) => (typeof v === 'number' ? v.toFixed(3) : v))
        .join(';'),
    );
  }
}
const file = join(work, 'activity.csv');
writeFileSync(file, rows.join('\n') + '\n');

describe('on the virtual device', { skip }, () => {
  test('a ; log with a timestamp and class words trains; the class numbers are printed and saved', async () => {
    const log = join(work, 'run.jsonl');
    const checkpoint = join(work, 'run.ffck');
    const r = await ffedge('stream', '--source', `csv:${file}`, '--epochs', '3', '--log', log, '--save-checkpoint', checkpoint);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /classes from the labels in .*activity\.csv: 0=idle 1=run 2=walk/);
    assert.match(r.stderr, /not inputs: timestamp/);
    assert.match(r.stdout, /\(900 samples, 3 inputs\)/);
    for (const saved of [join(work, 'run.classes.json'), checkpoint.replace(/\.ffck$/, '.classes.json')]) {
      assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')).classes, ['idle', 'run', 'walk']);
    }
    const accuracy = Number(/final accuracy ([0-9.]+)/.exec(r.stdout)![1]);
    assert.ok(accuracy > 0.6, `accuracy ${accuracy}, chance 0.33`);
  });

  test('--window/--hop make samples of consecutive rows; --columns picks inputs', async () => {
    const r = await ffedge(
      'stream',
      '--source',
      `csv:${file}`,
      '--window',
      '10',
      '--hop',
      '10',
      '--columns',
      'ax,ay',
      '--quiet',
      '--log',
      join(work, 'windows.jsonl'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(90 samples, 20 inputs\)/, '900 rows / 10 per window; 2 columns x 10 rows');
  });

  test('labels the device would refuse are reported with file and line before sending', async () => {
    const numbered = join(work, 'numbered.csv');
    writeFileSync(numbered, 'a,b,label\n1,2,0\n2,3,1\n3,4,4\n');
    const r = await ffedge('stream', '--source', `csv:${numbered}`, '--classes', '3', '--quiet', '--log', join(work, 'n.jsonl'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /numbered\.csv:4: column 3: label 4 is not below classes = 3/);
  });
});
