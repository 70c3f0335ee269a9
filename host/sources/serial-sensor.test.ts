import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort, SerialPortMock } from 'serialport';
import { Rng } from './prng.js';
import { IMU_BOARD_NORMALIZE, GESTURES, imuBoardLines, imuGestureSample } from './imu-gestures.js';
import {
  FormatCheck,
  guessFormat,
  SensorWindower,
  SerialSensorError,
  SerialSensorSource,
  windowLines,
  type BadLine,
  type SensorPort,
} from './serial-sensor.js';
import type { Sample } from './sample.js';

/** Naive reference: split readings into runs of consecutive good lines, cut windows at 0, hop, 2hop... in each run. */
function referenceWindows(rows: (number[] | null)[], window: number, hop: number): Float32Array[] {
  const out: Float32Array[] = [];
  let run: number[][] = [];
  const flushRun = () => {
    for (let start = 0; start + window <= run.length; start += hop) out.push(Float32Array.from(run.slice(start, start + window).flat()));
    run = [];
  };
  for (const r of rows) {
    if (r === null) flushRun();
    else run.push(r);
  }
  flushRun();
  return out;
}

test('windows match a naive reference for overlapping, exact and skipping hops, with bad lines', () => {
  const rng = new Rng(77);
  for (const [window, hop] of [
    [4, 2],
    [4, 4],
    [3, 5],
    [1, 1],
    [6, 1],
  ]) {
    const channels = 3;
    const rows: (number[] | null)[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      if (rng.float() < 0.04) {
        rows.push(null);
        lines.push(rng.float() < 0.5 ? '1,2' : '1,x,3');
      } else {
        const r = [0, 1, 2].map(() => Math.round(rng.uniform(-100, 100)) / 8 + 0); // + 0: no -0, the text "0" reads back as +0
        rows.push(r);
        lines.push(r.join(', '));
      }
      if (rng.float() < 0.02) lines.push('   '); // blank lines are neither readings nor bad
    }
    const { samples, stats } = windowLines(lines, { channels, window, hop });
    const expected = referenceWindows(rows, window, hop);
    assert.equal(samples.length, expected.length, `window ${window} hop ${hop}`);
    samples.forEach((s, i) => assert.deepEqual(s.inputs, expected[i], `window ${window} hop ${hop} #${i}`));
    assert.equal(stats.badLines, rows.filter((r) => r === null).length);
    assert.equal(stats.goodLines, rows.length - stats.badLines);
    assert.equal(stats.windows, samples.length);
  }
});

test('bad lines are counted, reported in order with reasons, and not fatal', () => {
  const reported: BadLine[] = [];
  const w = new SensorWindower({ channels: 2, window: 2, labelColumn: 'optional', classes: 3, onBadLine: (b) => reported.push(b) });
  const lines = ['1,2', 'ax,ay', '1,2,3,4', '3,4,7', '5,6,1.5', '7,8,-1', '9,10,2', '11,12,2'];
  const out = lines.map((l) => w.push(l)).filter((s): s is Sample => s !== null);
  assert.deepEqual(
    reported.map((b) => b.line),
    [2, 3, 4, 5],
  );
  assert.match(reported[0].reason, /value 1 is not a number: "ax"/);
  assert.match(reported[1].reason, /expected 2 or 3 \(with label\) values, got 4/);
  assert.match(reported[2].reason, /label 7 is not below classes = 3/);
  assert.match(reported[3].reason, /label "1.5" is not an integer/);
  assert.deepEqual(w.stats.lastBadLine, reported[3]);
  // After the last bad line: (7,8,-1),(9,10,2) -> mixed -> majority tie -> latest (2); then (11,12,2) starts a new window.
  assert.equal(out.length, 1);
  assert.deepEqual(Array.from(out[0].inputs), [7, 8, 9, 10]);
  assert.equal(out[0].label, 2);
  const keep = windowLines(['1,2', 'bad', '3,4'], { channels: 2, window: 2, resetOnBadLine: false, labelColumn: 'none' });
  assert.deepEqual(
    keep.samples.map((s) => Array.from(s.inputs)),
    [[1, 2, 3, 4]],
  );
  assert.equal(windowLines(['1,2,0'], { channels: 2, window: 1, labelColumn: 'none' }).stats.badLines, 1);
  assert.equal(windowLines(['1,2'], { channels: 2, window: 1, labelColumn: 'required' }).stats.badLines, 1);
});

test('window labels: agreement, majority, unlabelled, drop; class names', () => {
  const lines = ['0,1', '0,1', '0,2', '0,1', '0,2', '0,2'];
  const by = (mixedLabels: 'majority' | 'unlabelled' | 'drop') => windowLines(lines, { channels: 1, window: 3, mixedLabels }).samples.map((s) => s.label);
  assert.deepEqual(by('majority'), [1, 2]);
  assert.deepEqual(by('unlabelled'), [-1, -1]);
  const dropped = windowLines(lines, { channels: 1, window: 3, mixedLabels: 'drop' });
  assert.deepEqual(dropped.samples.length, 0);
  assert.equal(dropped.stats.mixedDropped, 2);
  assert.deepEqual(windowLines(['0,1', '0,1'], { channels: 1, window: 2 }).samples[0].label, 1);
  const named = windowLines(['0,tap', '0,tap'], { channels: 1, window: 2, classNames: GESTURES });
  assert.equal(named.samples[0].label, GESTURES.indexOf('tap'));
});

test('normalize scales per channel and clips', () => {
  const { samples } = windowLines(['2,100', '-8,-1000'], {
    channels: 2,
    window: 2,
    normalize: { offset: [0, 100], scale: [4, 250], clip: 1 },
  });
  assert.deepEqual(Array.from(samples[0].inputs), [0.5, 0, -1, -1]);
  assert.throws(() => new SensorWindower({ channels: 2, window: 1, normalize: { scale: [1] } }), { name: 'TypeError', message: /normalize\.scale/ });
  assert.throws(() => new SensorWindower({ channels: 0, window: 1 }), { name: 'TypeError', message: /options\.channels/ });
  assert.throws(() => new SensorWindower({ channels: 1, window: 2, hop: 0 }), { name: 'TypeError', message: /options\.hop/ });
  assert.throws(() => new SerialSensorSource({ channels: 1, window: 2, path: '', baudRate: 9600 }), { name: 'TypeError', message: /options\.path/ });
  assert.throws(() => new SerialSensorSource({ channels: 1, window: 2, path: '/dev/x', baudRate: 0 }), { name: 'TypeError', message: /options\.baudRate/ });
});

afterEach(() => SerialPortMock.binding.reset());

test('through a mock serial port: chunked bytes, windows, break closes the port', { timeout: 10_000 }, async () => {
  const path = '/dev/FAKE-IMU';
  SerialPortMock.binding.createPort(path);
  let port: SerialPortMock | undefined;
  const source = new SerialSensorSource({
    path,
    baudRate: 115200,
    channels: 2,
    window: 2,
    hop: 1,
    labelColumn: 'none',
    signal: AbortSignal.timeout(5000),
    openPort: (p, baudRate) => (port = new SerialPortMock({ path: p, baudRate, autoOpen: false })) as unknown as SensorPort,
  });
  await source.open();
  assert.ok(port?.isOpen);
  const text = '1,2\r\n3,4\r\nnoise\r\n5,6\r\n7,8\r\n9,10\r\n';
  // Split across chunk boundaries, mid-number and mid-line ending.
  for (const chunk of [text.slice(0, 5), text.slice(5, 13), text.slice(13, 30), text.slice(30)]) port!.port!.emitData(chunk);
  const got: number[][] = [];
  for await (const s of source.samples()) {
    got.push(Array.from(s.inputs));
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [7, 8, 9, 10],
  ]);
  assert.equal(source.stats.badLines, 1);
  assert.equal(port!.isOpen, false, 'breaking out of the loop closes the port');
});

test('through a mock serial port: close() and abort end the iteration normally', { timeout: 10_000 }, async () => {
  for (const how of ['close', 'abort'] as const) {
    const path = `/dev/FAKE-${how}`;
    SerialPortMock.binding.createPort(path);
    const ac = new AbortController();
    let port: SerialPortMock | undefined;
    const source = new SerialSensorSource({
      path,
      baudRate: 9600,
      channels: 1,
      window: 1,
      signal: ac.signal,
      openPort: (p, baudRate) => (port = new SerialPortMock({ path: p, baudRate, autoOpen: false })) as unknown as SensorPort,
    });
    const seen: number[] = [];
    const done = (async () => {
      for await (const s of source.samples()) seen.push(s.inputs[0]);
    })();
    const until = async (ok: () => boolean) => {
      for (const deadline = Date.now() + 3000; !ok(); await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > deadline) {
          await source.close();
          assert.fail('timed out waiting');
        }
      }
    };
    await until(() => !!port?.isOpen);
    port!.port!.emitData('1\n2\n');
    await until(() => seen.length >= 2);
    if (how === 'close') await source.close();
    else ac.abort();
    await done;
    assert.deepEqual(seen, [1, 2]);
    assert.equal(port!.isOpen, false);
  }
});

test('a silent port times out with advice; idleTimeoutMs 0 waits', { timeout: 10_000 }, async () => {
  for (const idleTimeoutMs of [80, 0]) {
    const path = `/dev/FAKE-silent-${idleTimeoutMs}`;
    SerialPortMock.binding.createPort(path);
    let port: SerialPortMock | undefined;
    const source = new SerialSensorSource({
      path,
      baudRate: 9600,
      channels: 1,
      window: 1,
      idleTimeoutMs,
      openPort: (p, baudRate) => (port = new SerialPortMock({ path: p, baudRate, autoOpen: false })) as unknown as SensorPort,
    });
    const started = Date.now();
    const run = (async () => {
      for await (const _ of source.samples()) {
        /* none */
      }
    })();
    if (idleTimeoutMs > 0) {
      await assert.rejects(run, (err: unknown) => err instanceof SerialSensorError && err.timedOut && /no line from .* for 80 ms/.test(err.message));
      assert.ok(Date.now() - started >= 75);
    } else {
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(port?.isOpen, 'still waiting');
      await source.close();
      await run;
    }
    assert.equal(port?.isOpen, false);
  }
});

test('opening a missing port fails with advice', async () => {
  const source = new SerialSensorSource({ path: '/dev/does-not-exist-ffedge', baudRate: 115200, channels: 6, window: 4 });
  await assert.rejects(source.open(), (err: unknown) => {
    assert.ok(err instanceof SerialSensorError);
    assert.equal(err.disconnected, false);
    assert.match(err.message, /cannot open serial port \/dev\/does-not-exist-ffedge at 115200 baud: .*dialout/);
    return true;
  });
});

// --- A real pseudo-terminal pair (socat), one end written as a board would, the other read by the source.

async function ptyPair(): Promise<{ a: string; b: string; socat: ChildProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-pty-'));
  const a = join(dir, 'a'),
    b = join(dir, 'b');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  socat.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await access(a);
      await access(b);
      if (/starting data transfer loop/.test(stderr)) break;
    } catch {
      /* not yet */
    }
    if (socat.exitCode !== null) throw new Error(`socat exited early: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`socat links did not appear: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { a, b, socat, dir };
}

async function stopSocat(socat: ChildProcess): Promise<void> {
  if (socat.exitCode !== null || socat.signalCode !== null) return;
  const exited = new Promise((r) => socat.once('exit', r));
  socat.kill('SIGTERM');
  await exited;
}

function openWriter(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 115200 }, (err) => (err ? reject(err) : resolve(port)));
  });
}

test('over a socat pty pair: synthetic IMU board lines become the generator windows', { timeout: 20_000 }, async () => {
  const { a, b, socat, dir } = await ptyPair();
  const badLines: BadLine[] = [];
  const source = new SerialSensorSource({
    path: b,
    baudRate: 115200,
    channels: 6,
    window: 32,
    labelColumn: 'required',
    normalize: IMU_BOARD_NORMALIZE,
    classes: GESTURES.length,
    onBadLine: (x) => badLines.push(x),
    signal: AbortSignal.timeout(10_000), // a broken source fails the asserts below instead of hanging
  });
  let writer: SerialPort | undefined;
  try {
    await source.open();
    writer = await openWriter(a);
    const opts = { seed: 21, labelled: true };
    const count = 6;
    let text = '';
    for (let i = 0; i < count; i++) {
      text += imuBoardLines(opts, 1, i).join('\r\n') + '\r\n';
      if (i % 2 === 1) text += 'IMU reset\r\n0.1,0.2\r\n'; // garbage between windows
    }
    writer.write(text);
    const got: Sample[] = [];
    for await (const s of source.samples()) {
      got.push(s);
      if (got.length === count) break;
    }
    assert.equal(got.length, count);
    for (let i = 0; i < count; i++) {
      const expected = imuGestureSample({ seed: 21 }, i);
      assert.equal(got[i].label, expected.label, `window ${i}`);
      let maxDiff = 0;
      for (let k = 0; k < expected.inputs.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got[i].inputs[k] - expected.inputs[k]));
      assert.ok(maxDiff < 1e-4, `window ${i}: max difference ${maxDiff}`);
    }
    assert.equal(badLines.length, 4);
    assert.equal(source.stats.goodLines, count * 32);
  } finally {
    if (writer?.isOpen) await new Promise((r) => writer!.close(r));
    await stopSocat(socat);
    await rm(dir, { recursive: true, force: true });
  }
});

// When socat dies, the OS either reports the pty gone (EBADF -> disconnected) or
// the slave reads EOF, which the binding retries silently; the idle timeout
// catches that case. Either way samples() must end with an error, not hang.
test('over a socat pty pair: the link going away ends samples() with an error', { timeout: 20_000 }, async () => {
  const { a, b, socat, dir } = await ptyPair();
  const source = new SerialSensorSource({
    path: b,
    baudRate: 9600,
    channels: 2,
    window: 1,
    labelColumn: 'none',
    idleTimeoutMs: 500,
    signal: AbortSignal.timeout(10_000),
  });
  let writer: SerialPort | undefined;
  try {
    await source.open();
    writer = await openWriter(a);
    writer.write('1,2\n3,4\n');
    const seen: number[][] = [];
    await assert.rejects(
      (async () => {
        for await (const s of source.samples()) {
          seen.push(Array.from(s.inputs));
          if (seen.length === 2) await stopSocat(socat);
        }
      })(),
      (err: unknown) => {
        assert.ok(err instanceof SerialSensorError, String(err));
        assert.ok(err.disconnected || err.timedOut, err.message);
        assert.match(err.message, err.disconnected ? /disconnected after 2 lines/ : /no line from .* for 500 ms/);
        return true;
      },
    );
    assert.equal(source.stats.lines, 2);
    assert.deepEqual(seen, [
      [1, 2],
      [3, 4],
    ]);
  } finally {
    if (writer?.isOpen) await new Promise((r) => writer!.close(r));
    await stopSocat(socat);
    await rm(dir, { recursive: true, force: true });
  }
});

test('guessFormat: channel count and a trailing label column from sample lines', () => {
  const floats = (i: number, n: number) => Array.from({ length: n }, (_, c) => (Math.sin(i + c) * 3).toFixed(2));
  assert.deepEqual(guessFormat(Array.from({ length: 30 }, (_, i) => [...floats(i, 6), String(i % 5)].join(','))), { channels: 6, labelled: true });
  assert.deepEqual(guessFormat(Array.from({ length: 30 }, (_, i) => floats(i, 3).join(','))), { channels: 3, labelled: false });
  // Raw integer ADC readings vary more than a label would: not a label.
  assert.deepEqual(guessFormat(Array.from({ length: 30 }, (_, i) => `${512 + i * 7},${300 - i * 3}`)), { channels: 2, labelled: false });
  // A fragment and garbage among the lines do not decide.
  assert.deepEqual(guessFormat(['3,4', 'x\u00ff', ...Array.from({ length: 10 }, (_, i) => floats(i, 4).join(','))]), { channels: 4, labelled: false });
  assert.equal(guessFormat(['abc', '\u00ff\u00fe']), null);
});

test('FormatCheck: all-number lines of another length -> wrongChannels; garbage -> unreadable; silent once a reading arrived', () => {
  const run = (lines: string[], channels: number) => {
    const w = new SensorWindower({ channels, window: 2 });
    const check = new FormatCheck(channels, 5);
    for (const l of lines) {
      w.push(l);
      const err = check.check(l, w.stats, '/dev/x', 9600);
      if (err) return err;
    }
    return undefined;
  };
  const wrong = run(
    Array.from({ length: 10 }, () => '1,2,3'),
    6,
  );
  assert.deepEqual(wrong?.wrongChannels, { expected: 6, seen: 3 });
  const garbage = run(
    Array.from({ length: 10 }, () => '\u00ff\u00fe,x'),
    6,
  );
  assert.equal(garbage?.unreadable, true);
  assert.match(garbage!.message, /is the board printing at 9600 baud\?/);
  assert.equal(run(['1,2,3,4,5,6', ...Array.from({ length: 10 }, () => '1,2,3')], 6), undefined);
});
