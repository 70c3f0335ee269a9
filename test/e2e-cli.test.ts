// The `ffedge` command as a user runs it: the compiled dist/host/cli.js in a
// child process, on the virtual device. Exit codes and messages are part of
// the interface: 0 ok, 1 device/learner refusal, 2 usage, 3 no link.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffedge } from './cli-run.js';
import { parseLog } from '../host/logs/records.js';
import { lastConfusion } from '../host/logs/confusion.js';
import { wasmPath } from '../host/paths.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';

test('--help works on every command and lists the exit codes', async () => {
  const top = await ffedge('--help');
  assert.equal(top.code, 0);
  for (const name of ['stream', 'ports', 'logs', 'checkpoint']) assert.match(top.stdout, new RegExp(`\\b${name}\\b`));
  assert.match(top.stdout, /Exit codes/);
  for (const command of [['stream'], ['ports'], ['logs', 'summary'], ['logs', 'csv'], ['checkpoint', 'get'], ['checkpoint', 'put']]) {
    const r = await ffedge(...command, '--help');
    assert.equal(r.code, 0, `${command.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: ffedge/);
  }
});

test('usage errors exit 2 with a message', async () => {
  const unknown = await ffedge('stream', '--no-such-flag');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option/);
  const layers = await ffedge('stream', '--layers', 'abc', '--quiet');
  assert.equal(layers.code, 2);
  assert.match(layers.stderr, /--layers must be layer widths/);
  const source = await ffedge('stream', '--source', 'nonsense', '--quiet');
  assert.equal(source.code, 2);
  assert.match(source.stderr, /unknown --source/);
  const missing = await ffedge('logs', 'summary', join(work, 'missing.jsonl'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
});

test('a port that does not exist exits 3 and says what to do', async () => {
  const r = await ffedge('stream', '--port', '/dev/ttyFFEDGE-missing', '--samples', '10', '--quiet', '--log', join(work, 'none.jsonl'));
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^ffedge: cannot open serial port \/dev\/ttyFFEDGE-missing/);
  assert.match(r.stderr, /ffedge ports/);
});

test('ports prints ports or says why it cannot', async () => {
  const r = await ffedge('ports');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.length > 0 || r.stderr.length > 0);
});

describe('on the virtual device', { skip }, () => {
  const log = join(work, 'run.jsonl');
  const checkpoint = join(work, 'run.ffck');

  test('stream trains, evaluates, writes the log and the plot, and prints a summary', async () => {
    const r = await ffedge(
      'stream',
      '--source',
      'imu',
      '--samples',
      '400',
      '--eval-every',
      '200',
      '--eval-samples',
      '100',
      '--layers',
      '32,16',
      '--log',
      log,
      '--save-checkpoint',
      checkpoint,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /connecting to virtual device/);
    assert.match(r.stderr, /training/);
    assert.match(r.stdout, /Goodness per layer/);
    assert.match(r.stdout, /trained 400 samples/);
    assert.match(r.stdout, /plot: .*run\.svg/);
    const records = parseLog(readFileSync(log, 'utf8'));
    assert.equal(records.filter((x) => x.type === 'train').length, 400);
    const evals = records.filter((x) => x.type === 'eval');
    assert.equal(evals.length, 2);
    // The confusion matrix after the run agrees with the last evaluation's accuracy per class.
    const confusion = lastConfusion(records)!;
    assert.equal(confusion.step, 400);
    const recall = confusion.matrix.map((row, i) => row[i]! / row.reduce((a, b) => a + b, 0));
    evals[1]!.perClass!.forEach((p, i) => assert.ok(Math.abs(p! - recall[i]!) < 1e-9, `class ${i}: eval ${p}, confusion ${recall[i]}`));
    assert.match(r.stdout, /Confusion matrix at step 400/);
    assert.ok(records.some((x) => x.type === 'link'));
    assert.match(readFileSync(join(work, 'run.svg'), 'utf8'), /^<svg|<\?xml/);
    assert.ok(existsSync(checkpoint));
  });

  test('logs summary and logs csv read that log', async () => {
    const summary = await ffedge('logs', 'summary', log, '--svg', join(work, 'summary.svg'));
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /400 train/);
    assert.match(summary.stdout, /Confusion matrix at step 400 \(goodness; 100 held-out samples/);
    assert.match(summary.stdout, /^idle +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +[0-9.]+ +[0-9.-]+$/m);
    assert.ok(existsSync(join(work, 'summary.svg')));
    const csv = await ffedge('logs', 'csv', log, '-o', join(work, 'run.csv'));
    assert.equal(csv.code, 0, csv.stderr);
    const lines = readFileSync(join(work, 'run.csv'), 'utf8').trim().split('\n');
    assert.match(lines[0]!, /^type,t,seq,step/);
    assert.ok(lines.length > 800, `${lines.length} CSV lines: 2 layers x 400 samples + evals + links`);
  });

  test('checkpoint put loads a saved model into a fresh device; a stream can start from it', async () => {
    const put = await ffedge('checkpoint', 'put', checkpoint, '--quiet');
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /loaded \d+ bytes of weights/);
    const resumed = await ffedge(
      'stream',
      '--samples',
      '50',
      '--layers',
      '32,16',
      '--load-checkpoint',
      checkpoint,
      '--quiet',
      '--log',
      join(work, 'resumed.jsonl'),
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    const get = await ffedge('checkpoint', 'get', join(work, 'fresh.ffck'), '--quiet');
    assert.equal(get.code, 1, 'a fresh virtual device has no model to download');
    assert.match(get.stderr, /not configured/);
  });

  test('a model too big for the emulated MCU exits 1 with the numbers', async () => {
    const r = await ffedge('stream', '--ram-limit', '65536', '--layers', '256,256', '--samples', '10', '--quiet', '--log', join(work, 'big.jsonl'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ffedge: the device refused: the model needs at least \d+ bytes/);
  });

  test('--config FILE.json sets the model; flags override it', async () => {
    const config = join(work, 'model.json');
    writeFileSync(config, JSON.stringify({ layers: [24], learningRate: 0.002, negatives: 'hard' }));
    const r = await ffedge('stream', '--config', config, '--layers', '20,10', '--samples', '60', '--quiet', '--log', join(work, 'config.jsonl'));
    assert.equal(r.code, 0, r.stderr);
    const meta = parseLog(readFileSync(join(work, 'config.jsonl'), 'utf8')).find((x) => x.type === 'meta')!;
    assert.deepEqual((meta.config as { layers: number[] }).layers, [20, 10]);
    assert.equal((meta.config as { negatives: string }).negatives, 'hard');
  });

  test('csv:FILE streams a file with a held-out split', async () => {
    const rows: string[] = ['a,b,c,d,label'];
    for (let i = 0; i < 120; i++) {
      const k = i % 3;
      rows.push([k === 0 ? 1 : 0, k === 1 ? 1 : 0, k === 2 ? 1 : 0, (i % 7) / 7, k].join(','));
    }
    const file = join(work, 'tiny.csv');
    writeFileSync(file, rows.join('\n'));
    const r = await ffedge('stream', '--source', `csv:${file}`, '--layers', '12', '--epochs', '3', '--quiet', '--log', join(work, 'csv.jsonl'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained 288 samples/, '3 epochs of the 96 rows left after holding out 20%');
  });
});
