// `ffedge stream --source serial-sensor:PORT` against a board simulated on a
// socat pty pair: a wrong --channels or baud ends with the flag to change
// instead of hanging, the channel count and rate are detected when --channels
// is left out, and bad lines are counted while the run goes on.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath } from '../host/paths.js';
import { ffedge, type CliResult } from './cli-run.js';
import { feedBoard, hasSocat, ptyPair } from './support/sensor-pty.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-sensor-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = !existsSync(wasmPath('ff-device'))
  ? 'build/ff-device.wasm not built'
  : hasSocat()
    ? false
    : 'socat is not installed (scripts/setup-toolchains.sh installs it)';

/** Runs ffedge with `args` (SENSOR replaced by the pty) while the board prints `line(i)`. */
async function withBoard(
  name: string,
  line: (i: number) => string,
  args: string[],
  pace?: { batch: number; everyMs: number },
): Promise<CliResult & { log: string }> {
  const dir = join(work, name);
  mkdirSync(dir);
  const { board, sensor, stop } = await ptyPair(dir);
  try {
    const log = join(dir, 'run.jsonl');
    let done = false;
    const run = ffedge(...args.map((a) => a.replace('SENSOR', sensor)), ...(args[0] === 'stream' ? ['--log', log] : [])).finally(() => {
      done = true;
    });
    await feedBoard(board, line, () => done, 40_000, pace);
    return { ...(await run), log };
  } finally {
    stop();
  }
}

const reading = (i: number, channels: number): string => Array.from({ length: channels }, (_, c) => (Math.sin(i / 7 + c) * 0.8).toFixed(3)).join(',');

test('a wrong --channels ends at once with the count the board sends and the flag to pass', { skip, timeout: 60_000 }, async () => {
  const r = await withBoard('wrong-channels', (i) => reading(i, 3), [
    'stream',
    '--source',
    'serial-sensor:SENSOR',
    '--channels',
    '6',
    '--samples',
    '20',
    '--quiet',
  ]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /^ffedge: .*sensor sends lines of 3 numbers but --channels is 6: pass --channels 3 \(or --channels 2 if the last number is the class label\)/m,
  );
});

test('garbage (a wrong baud rate) ends with a message naming --sensor-baud, with or without --channels', { skip, timeout: 60_000 }, async () => {
  const garbage = (i: number): string => String.fromCharCode(...Array.from({ length: 12 }, (_, k) => 0x80 + ((i * 31 + k * 7) % 120)));
  for (const channels of [['--channels', '6'], []]) {
    const r = await withBoard(`baud${channels.length}`, garbage, ['stream', '--source', 'serial-sensor:SENSOR', ...channels, '--samples', '20', '--quiet']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^ffedge: .*none readable .*check --sensor-baud \(now 115200\) against the baud rate the board prints at/m);
  }
});

test('without --channels: channels, label column and rate detected; bad lines counted live', { skip, timeout: 60_000 }, async () => {
  // 4 numbers and a label; every 25th line damaged. One line every 10 ms: ~100 readings/s.
  const line = (i: number): string => (i % 25 === 24 ? '1.0,oops' : `${reading(i, 4)},${Math.floor(i / 20) % 3}`);
  const r = await withBoard('detect', line, ['stream', '--source', 'serial-sensor:SENSOR', '--window', '4', '--classes', '3', '--samples', '40'], {
    batch: 1,
    everyMs: 10,
  });
  assert.equal(r.code, 0, r.stderr);
  const detected = /detected on .*sensor: 4 channels and a class label, ~(\d+) readings\/s \(from \d+ lines; --channels N skips the detection\)/.exec(r.stderr);
  assert.ok(detected, r.stderr);
  assert.ok(Number(detected[1]) >= 30 && Number(detected[1]) <= 150, `rate ${detected[1]}/s for one line every 10 ms`);
  assert.match(r.stderr, /sensor: \d+ bad lines? so far \(line \d+: expected 4 or 5 \(with label\) values, got 2\)/);
  const meta = readFileSync(r.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((x) => x.type === 'meta' && x.config);
  assert.equal(meta.config.inputSize, 16, '4 channels x window 4');
});

test('ffedge record captures a labelled stream to CSV, appends a second label, and stream trains on the file', { skip, timeout: 90_000 }, async () => {
  const csv = join(work, 'gestures.csv');
  const values = (i: number): string => reading(i, 3);
  const shake = await withBoard('record-shake', values, [
    'record',
    '--sensor',
    'SENSOR',
    '--label',
    'shake',
    '--out',
    csv,
    '--channels',
    '3',
    '--readings',
    '60',
  ]);
  assert.equal(shake.code, 0, shake.stderr);
  assert.match(shake.stdout, /gestures\.csv: 60 readings of 3 channels labelled shake/);
  // Detected channels this time; the board's own label column is replaced by --label.
  const idle = await withBoard('record-idle', (i) => `${values(i + 1000)},7`, [
    'record',
    '--sensor',
    'SENSOR',
    '--label',
    'idle',
    '--out',
    csv,
    '--readings',
    '40',
  ]);
  assert.equal(idle.code, 0, idle.stderr);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'time_ms,ch1,ch2,ch3,label');
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.equal(rows.length, 100);
  assert.deepEqual([...new Set(rows.map((r) => r[4]))], ['shake', 'idle']);
  // Every value is one the board printed (3 decimals), in the board's order.
  const printed = new Set(Array.from({ length: 5000 }, (_, i) => values(i)));
  assert.ok(
    rows.slice(0, 60).every((r) =>
      printed.has(
        r
          .slice(1, 4)
          .map((v) => Number(v).toFixed(3))
          .join(','),
      ),
    ),
  );
  const train = await ffedge('stream', '--source', `csv:${csv}`, '--window', '5', '--samples', '10', '--quiet', '--log', join(work, 'from-record.jsonl'));
  assert.equal(train.code, 0, train.stderr);
});

test('ffedge record: an --out in a missing folder is refused before the port is opened', async () => {
  const r = await ffedge('record', '--sensor', '/dev/ttyFFEDGE-none', '--label', 'x', '--out', join(work, 'no', 'x.csv'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ffedge: --out .*x\.csv: the folder .* does not exist/m);
});
