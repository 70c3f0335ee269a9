// End to end through a real pseudo-terminal: socat exposes the virtual device
// (ff-device.wasm in a Node child process) on a pty, and the host opens it with the
// real `serialport`, exactly as it opens a board. Skipped without socat.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Session, DeviceDisconnectedError, DeviceTimeoutError } from '../host/session/index.js';
import { PtyDeviceTransport, SerialTransport, startPtyDevice, TransportError, type PtyDevice } from '../host/transport/index.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';
import { hasSocat } from './support/socat.js';

const skip = !existsSync(wasmPath('ff-device'))
  ? 'build/ff-device.wasm not built (npm run build:wasm)'
  : hasSocat()
    ? false
    : 'socat is not installed (scripts/setup-toolchains.sh installs it)';

const MODEL = { inputSize: 96, layers: [32, 16], classes: 5, negatives: 'hard' as const, learningRate: 0.003 };
const devices: PtyDevice[] = [];
after(async () => {
  await Promise.all(devices.map((d) => d.close()));
});

/** Child pids of a process, from /proc (the device under socat). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('virtual device on a pty, host on serialport', { skip }, () => {
  test('trains and evaluates through the tty', async () => {
    const device = await startPtyDevice();
    devices.push(device);
    assert.ok(existsSync(device.path));
    const transport = new SerialTransport({ path: device.path, baudRate: 115200 });
    const session = await Session.connect(transport);
    try {
      assert.equal(session.device.runtime, 'ff-edge/wasi');
      await session.configure(MODEL);
      const summary = await session.trainStream(imuGestureDataset(600, { seed: 11, steps: 16 }));
      assert.equal(summary.trained, 600);
      assert.equal(session.step, 600);
      const result = await session.evaluate(imuGestureDataset(200, { seed: 12, steps: 16 }));
      assert.equal(result.n, 200);
      assert.ok(result.accuracy > 0.3, `accuracy ${result.accuracy} after 600 samples (chance 0.2)`);
      const checkpoint = await session.getCheckpoint();
      assert.ok(checkpoint.weights.length > 0);
      const link = await session.logLinkStats();
      assert.equal(link.crcErrors, 0, 'a clean tty passes every byte value unharmed');
    } finally {
      await session.close();
      await device.close();
    }
  });

  test('the device dying behind the pty is a typed error, not a hang', async () => {
    const transport = new PtyDeviceTransport();
    const session = await Session.connect(transport, { heartbeatIdleMs: 200 });
    await session.configure(MODEL);
    const running = session.trainStream(imuGestureDataset(20000, { seed: 13, steps: 16 }));
    const deviceChildren = childrenOf(transport.pid!);
    assert.ok(deviceChildren.length > 0, 'socat runs the device as its child');
    setTimeout(() => {
      for (const pid of deviceChildren) process.kill(pid, 'SIGKILL');
    }, 50);
    const started = Date.now();
    await assert.rejects(running, (err: unknown) => {
      assert.ok(err instanceof DeviceDisconnectedError || err instanceof DeviceTimeoutError, String(err));
      return true;
    });
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    await session.close();
  });

  test('a busy pty is refused with TransportError busy', async () => {
    const device = await startPtyDevice();
    devices.push(device);
    const first = new SerialTransport({ path: device.path });
    await first.open();
    try {
      await assert.rejects(new SerialTransport({ path: device.path }).open(), (err: unknown) => {
        assert.ok(err instanceof TransportError, String(err));
        assert.equal(err.code, 'busy');
        assert.match(err.message, /another program holds the port/);
        return true;
      });
    } finally {
      await first.close();
      await device.close();
    }
  });
});

test('a serial port that does not exist: TransportError not-found from serialport', async () => {
  await assert.rejects(Session.connect(new SerialTransport({ path: '/dev/ttyFFEDGE-does-not-exist' })), (err: unknown) => {
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.code, 'not-found');
    assert.match(err.message, /\/dev\/ttyFFEDGE-does-not-exist/);
    assert.match(err.message, /ffedge ports/);
    return true;
  });
});

test('socat missing is a TransportError missing-tool that says how to install it', async () => {
  await assert.rejects(startPtyDevice({ socat: 'socat-not-installed-ffedge' }), (err: unknown) => {
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.code, 'missing-tool');
    assert.match(err.message, /apt-get install socat/);
    return true;
  });
});
