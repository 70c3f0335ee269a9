// Surviving a virtual device whose process dies (host/session/recovery.ts):
// the transport reports a disconnect, the factory starts a fresh device
// process, and the run goes on from the last snapshot. Also a reset during the
// final checkpoint download: the training is not lost, the download is retried.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Session } from '../host/session/index.js';
import { RecoveringSession } from '../host/session/recovery.js';
import { VirtualDeviceTransport } from '../host/transport/virtual-device.js';
import { TransportError } from '../host/transport/errors.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';
import type { LogRecord, ResetRecord } from '../host/logs/records.js';
import type { LearnerConfig } from '../host/learner/config.js';

const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';
const SAMPLES = 200;
const config: LearnerConfig = { inputSize: 96, layers: [24, 12], classes: 5, negatives: 'hard', decaySteps: 150, finalRate: 0.3 };
const samples = Array.from(imuGestureDataset(SAMPLES, { seed: 8, steps: 16 }), (s) => ({ inputs: s.inputs.slice(), label: s.label }));

async function clean(): Promise<Uint8Array> {
  const session = await Session.connect(new VirtualDeviceTransport());
  try {
    await session.configure(config);
    await session.trainStream(samples);
    return (await session.getCheckpoint()).weights;
  } finally {
    await session.close();
  }
}

function kill(transport: VirtualDeviceTransport | undefined): void {
  const pid = transport?.pid;
  assert.ok(pid !== undefined, 'a device process to kill');
  process.kill(pid, 'SIGKILL');
}

describe('virtual device process restarts', { skip }, () => {
  test('killed mid-stream: a fresh process is restored from the snapshot; weights as without the crash', { timeout: 60_000 }, async () => {
    const reference = await clean();
    let transport: VirtualDeviceTransport | undefined;
    const log: LogRecord[] = [];
    const run = await RecoveringSession.start({
      connect: () => (transport = new VirtualDeviceTransport()),
      config,
      snapshotEvery: 50,
      session: {
        log: {
          append: (r) => {
            log.push(r);
          },
        },
      },
    });
    try {
      let killed = false;
      const summary = await run.trainStream(samples, {
        onResult: (r) => {
          if (r.index === 120 && !killed) {
            killed = true;
            kill(transport);
          }
        },
      });
      assert.ok(killed);
      assert.equal(summary.resets, 1);
      assert.equal(summary.trained, SAMPLES);
      const [reset] = log.filter((r): r is ResetRecord => r.type === 'reset');
      assert.match(reset!.reason, /^disconnected/);
      assert.equal(reset!.fromSample, 100, 'the last snapshot before sample 120');
      assert.ok(reset!.replayed >= 20, `samples 100..120 at least were sent again (${reset!.replayed})`);
      assert.deepEqual((await run.getCheckpoint()).weights, reference);
    } finally {
      await run.close();
    }
  });

  test('a reset during the final checkpoint download loses no training: recovered, then downloaded again', { timeout: 60_000 }, async () => {
    const reference = await clean();
    let transport: VirtualDeviceTransport | undefined;
    const run = await RecoveringSession.start({ connect: () => (transport = new VirtualDeviceTransport()), config, snapshotEvery: 64 });
    try {
      await run.trainStream(samples);
      let killed = false;
      const { weights } = await run.getCheckpoint((bytes) => {
        if (!killed && bytes > 0) {
          killed = true;
          kill(transport);
        }
      });
      assert.ok(killed);
      assert.equal(run.resets, 1);
      assert.equal(run.replayed, SAMPLES - 192, 'the samples after the last snapshot (192) were trained again');
      assert.equal(run.session.step, SAMPLES);
      assert.deepEqual(weights, reference);
    } finally {
      await run.close();
    }
  });

  test('snapshots by time (--snapshot-seconds): a slow source still gets snapshots, and a crash restores from one', { timeout: 60_000 }, async () => {
    const reference = await clean();
    async function* slowly(): AsyncGenerator<(typeof samples)[number]> {
      for (const s of samples) {
        await new Promise((r) => setTimeout(r, 2));
        yield s;
      }
    }
    let transport: VirtualDeviceTransport | undefined;
    const log: LogRecord[] = [];
    const run = await RecoveringSession.start({
      connect: () => (transport = new VirtualDeviceTransport()),
      config,
      snapshotEvery: 1_000_000,
      snapshotSeconds: 0.05,
      session: {
        log: {
          append: (r) => {
            log.push(r);
          },
        },
      },
    });
    try {
      let killed = false;
      const summary = await run.trainStream(slowly(), {
        onResult: (r) => {
          if (r.index === 150 && !killed) {
            killed = true;
            kill(transport);
          }
        },
      });
      assert.ok(summary.snapshots >= 2, `${summary.snapshots} snapshots in ${summary.seconds} s`);
      const [reset] = log.filter((r): r is ResetRecord => r.type === 'reset');
      assert.ok(reset!.fromSample > 0, 'restored from a snapshot taken by time, not from the start');
      assert.equal(summary.total, SAMPLES);
      assert.deepEqual((await run.getCheckpoint()).weights, reference);
    } finally {
      await run.close();
    }
  });

  test('a port that is gone for a moment after the reset (USB re-enumeration) is opened again once it is back', { timeout: 60_000 }, async () => {
    const reference = await clean();
    for (const reopenTimeoutMs of [5_000, 0]) {
      let transport: VirtualDeviceTransport | undefined;
      let killed = false;
      let absent = 0;
      const run = await RecoveringSession.start({
        config,
        snapshotEvery: 50,
        reopenTimeoutMs,
        connect: () => {
          if (killed && absent < 3) {
            absent++;
            throw new TransportError('not-found', 'no such port /dev/ttyACM0 (yet)');
          }
          return (transport = new VirtualDeviceTransport());
        },
      });
      try {
        const stream = run.trainStream(samples, {
          onResult: (r) => {
            if (r.index === 70 && !killed) {
              killed = true;
              kill(transport);
            }
          },
        });
        if (reopenTimeoutMs === 0) {
          await assert.rejects(stream, (e: unknown) => e instanceof TransportError && e.code === 'not-found');
          assert.equal(absent, 1, 'no waiting: the first failed open ends the run');
          continue;
        }
        const summary = await stream;
        assert.equal(absent, 3, 'tried while the port was away');
        assert.equal(summary.resets, 1);
        assert.deepEqual((await run.getCheckpoint()).weights, reference);
      } finally {
        await run.close();
      }
    }
  });
});
