// Issue 16 item 4, "no lost work at the edges", against the real CLI in a
// child process: outputs checked before training, SIGTERM/SIGHUP saving like
// Ctrl-C, a quiet serial sensor ending a run that is then saved, EPIPE on
// stdout, a full disk, and no stray temporary files.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath } from '../host/paths.js';
import { cliPath, ffedge, type CliResult } from './cli-run.js';
import { exampleLog } from './support/example-log.js';
import { feedBoard, hasSocat, ptyPair } from './support/sensor-pty.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-edges-'));
after(() => rmSync(work, { recursive: true, force: true }));
const noDevice = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built';
const noSocat = hasSocat() ? false : 'socat is not installed (scripts/setup-toolchains.sh installs it)';
const STACK = /^\s+at /m;

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  return dir;
}

test('--save-checkpoint into a missing folder fails before training, naming the flag', { skip: noDevice }, async () => {
  const dir = folder('missing-folder');
  const r = await ffedge('stream', '--samples', '50', '--quiet', '--log', join(dir, 'run.jsonl'), '--save-checkpoint', join(dir, 'nope', 'model.ffck'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ffedge: --save-checkpoint .*nope\/model\.ffck: the folder .*nope does not exist; create it/m);
  assert.deepEqual(readdirSync(dir), [], 'no log: nothing was trained');
  const plot = await ffedge('stream', '--samples', '50', '--quiet', '--log', join(dir, 'run.jsonl'), '--plot', join(dir, 'nope', 'run.svg'));
  assert.equal(plot.code, 2, plot.stderr);
  assert.match(plot.stderr, /^ffedge: --plot .*: the folder .*nope does not exist/m);
  assert.deepEqual(readdirSync(dir), []);
});

test('--save-checkpoint onto a directory: refused at once, no stray temporary file', { skip: noDevice }, async () => {
  const dir = folder('onto-dir');
  mkdirSync(join(dir, 'ck'));
  const r = await ffedge('stream', '--samples', '50', '--quiet', '--log', join(dir, 'run.jsonl'), '--save-checkpoint', join(dir, 'ck'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ffedge: --save-checkpoint .*ck is a directory; give a file such as .*ck\/model\.ffck$/m);
  assert.deepEqual(readdirSync(dir), ['ck']);
  assert.deepEqual(readdirSync(join(dir, 'ck')), []);
});

test(
  '--log /dev/full: a disk-full message with exit code 2, no stack trace',
  { skip: noDevice || (existsSync('/dev/full') ? false : 'no /dev/full') },
  async () => {
    const r = await ffedge('stream', '--samples', '50', '--quiet', '--log', '/dev/full');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^ffedge: cannot write --log \/dev\/full: no space left on the device \(disk full\)/m);
    assert.doesNotMatch(r.stderr, STACK);
    assert.ok(statSync('/dev/full').isCharacterDevice());
  },
);

test('EPIPE on stdout (the reader went away, as `| head` does) ends quietly with exit 0', async () => {
  const log = join(folder('epipe'), 'run.jsonl');
  writeFileSync(
    log,
    exampleLog({ steps: 200, layers: 2 })
      .map((x) => JSON.stringify(x))
      .join('\n') + '\n',
  );
  const child = spawn(process.execPath, [cliPath, 'logs', 'summary', log, '--no-plot'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // no reader: every write gets EPIPE
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});

/** A long `ffedge stream` that is stopped by `signal` once its log holds training records. */
async function stopWith(signal: NodeJS.Signals): Promise<{ result: CliResult; dir: string }> {
  const dir = folder(`signal-${signal}`);
  const child = spawn(process.execPath, [cliPath, 'stream', '--epochs', '100', '--log', join(dir, 'run.jsonl'), '--save-checkpoint', join(dir, 'model.ffck')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const closed = new Promise<number | null>((r) => child.on('close', r));
  const deadline = Date.now() + 30_000;
  while (!(existsSync(join(dir, 'run.jsonl')) && readFileSync(join(dir, 'run.jsonl'), 'utf8').split('"type":"train"').length > 50)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no training records:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await closed;
  clearTimeout(timer);
  return { result: { code, stdout, stderr }, dir };
}

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} stops like Ctrl-C: the samples in flight finish, checkpoint, summary and plot are saved`, { skip: noDevice, timeout: 90_000 }, async () => {
    const { result, dir } = await stopWith(signal);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`${signal}: finishing the samples in flight, then saving`));
    assert.match(result.stderr, /saved weights to .*model\.ffck/);
    assert.match(result.stdout, /trained \d+ samples in/);
    assert.ok(statSync(join(dir, 'model.ffck')).size > 0);
    assert.ok(existsSync(join(dir, 'run.svg')));
    assert.deepEqual(readdirSync(dir).sort(), ['model.ffck', 'run.jsonl', 'run.svg']);
  });
}

test(
  'a serial sensor that goes quiet ends the run with a checkpoint, summary, plot and the flag to change',
  { skip: noDevice || noSocat, timeout: 60_000 },
  async () => {
    const dir = folder('quiet-sensor');
    const { board, sensor, stop } = await ptyPair(dir);
    try {
      const out = join(dir, 'out');
      mkdirSync(out);
      const run = ffedge(
        'stream',
        '--source',
        `serial-sensor:${sensor}`,
        '--sensor-timeout',
        '1',
        '--window',
        '8',
        '--log',
        join(out, 'run.jsonl'),
        '--save-checkpoint',
        join(out, 'model.ffck'),
      );
      const trained = () => existsSync(join(out, 'run.jsonl')) && readFileSync(join(out, 'run.jsonl'), 'utf8').split('"type":"train"').length > 10;
      // 6 channels and a label per line, as an IMU board prints them; the label changes every window.
      await feedBoard(
        board,
        (i) => `${Array.from({ length: 6 }, (_, c) => (Math.sin(i / 5 + c) * 0.5).toFixed(3)).join(',')},${Math.floor(i / 8) % 5}`,
        trained,
      );
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /the sensor on .*sensor sent nothing for 1 s: ending the run and saving what was trained \(--sensor-timeout SECONDS waits longer/);
      assert.match(r.stdout, /trained \d+ samples/);
      assert.deepEqual(readdirSync(out).sort(), ['model.ffck', 'run.jsonl', 'run.svg']);
    } finally {
      stop();
    }
  },
);
