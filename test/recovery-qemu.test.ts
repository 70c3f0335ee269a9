// A board reset on the Cortex-M4 firmware under QEMU (host/session/recovery.ts):
// QEMU is killed mid-stream (the port disconnects, as a board's USB UART does
// when it loses power), the transport factory boots the firmware again on a new
// pty, and the run goes on from the last snapshot. The final weights equal the
// virtual device's without any reset (one module everywhere: bit-identical).
// Skipped without the toolchains (scripts/setup-toolchains.sh).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Session } from '../host/session/index.js';
import { RecoveringSession } from '../host/session/recovery.js';
import { QemuTransport } from '../host/transport/qemu.js';
import { VirtualDeviceTransport } from '../host/transport/virtual-device.js';
import { onPath, packageRoot, wasmPath } from '../host/paths.js';
import { imuGestureDataset } from '../host/sources/index.js';
import type { LearnerConfig } from '../host/learner/config.js';

const run = promisify(execFile);
const missing = ['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make'].filter((t) => !onPath(t));
const skip = !existsSync(wasmPath('ff-device'))
  ? 'build/ff-device.wasm not built (npm run build:wasm)'
  : missing.length > 0
    ? `toolchain missing: ${missing.join(', ')} (sudo scripts/setup-toolchains.sh)`
    : false;

const SAMPLES = 60;
const config: LearnerConfig = { inputSize: 24, layers: [16, 8], classes: 5, decaySteps: 50, finalRate: 0.3 };
const samples = Array.from(imuGestureDataset(SAMPLES, { seed: 6, steps: 16 }), (s) => ({ inputs: s.inputs.slice(0, 24), label: s.label }));
let work = '';
let elf = '';

describe('board reset on the Cortex-M4 firmware under QEMU', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-qemu-reset-'));
    await run(
      'make',
      ['-s', '-C', join(packageRoot, 'firmware-targets', 'cortex-m4-qemu'), `WASM=${wasmPath('ff-device')}`, `BUILD=${work}`, 'RAM_BYTES=131072'],
      { cwd: packageRoot },
    );
    elf = join(work, 'fw.elf');
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('QEMU killed mid-stream and booted again: restored from the snapshot, weights as without the reset', { timeout: 180_000 }, async () => {
    const clean = await Session.connect(new VirtualDeviceTransport());
    let reference: Uint8Array;
    try {
      await clean.configure(config);
      await clean.trainStream(samples);
      reference = (await clean.getCheckpoint()).weights;
    } finally {
      await clean.close();
    }
    let board: QemuTransport | undefined;
    let boots = 0;
    const recovering = await RecoveringSession.start({
      connect: () => {
        boots++;
        return (board = new QemuTransport({ elf }));
      },
      config,
      snapshotEvery: 20,
    });
    try {
      let killed = false;
      const summary = await recovering.trainStream(samples, {
        onResult: (r) => {
          if (r.index === 30 && !killed) {
            killed = true;
            process.kill(board!.pid!, 'SIGKILL');
          }
        },
      });
      assert.ok(killed);
      assert.equal(boots, 2, 'the firmware booted again on a new QEMU');
      assert.equal(summary.resets, 1);
      assert.equal(summary.total, SAMPLES);
      assert.deepEqual((await recovering.getCheckpoint()).weights, reference);
    } finally {
      await recovering.close();
    }
  });
});
