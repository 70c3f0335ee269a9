// The session over QemuTransport: ff-device.wasm built as bare-metal Cortex-M4
// firmware (firmware-targets/cortex-m4-qemu), run by QEMU with UART0 on a pty,
// reached with serialport. QEMU's UART moves one byte at a time, so this is
// also the slow-link case: replies come late, not never, and the session must
// neither give up nor flood the device with resends. Skipped without the
// toolchains (scripts/setup-toolchains.sh installs them).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Session } from '../host/session/index.js';
import { QemuTransport } from '../host/transport/qemu.js';
import { onPath, packageRoot, wasmPath } from '../host/paths.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { ArenaTooSmallError } from '../host/learner/errors.js';

const run = promisify(execFile);
const missing = ['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make'].filter((t) => !onPath(t));
const skip = !existsSync(wasmPath('ff-device'))
  ? 'build/ff-device.wasm not built (npm run build:wasm)'
  : missing.length > 0
    ? `toolchain missing: ${missing.join(', ')} (sudo scripts/setup-toolchains.sh)`
    : false;

const RAM = 131072;
let work = '';
let elf = '';

describe('session on the Cortex-M4 firmware under QEMU', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-qemu-'));
    await run(
      'make',
      ['-s', '-C', join(packageRoot, 'firmware-targets', 'cortex-m4-qemu'), `WASM=${wasmPath('ff-device')}`, `BUILD=${work}`, `RAM_BYTES=${RAM}`],
      { cwd: packageRoot },
    );
    elf = join(work, 'fw.elf');
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('trains every sample exactly once over the byte-at-a-time UART, and refuses what does not fit', async () => {
    const session = await Session.connect(new QemuTransport({ elf }));
    try {
      assert.equal(session.device.runtime, 'ff-edge/cortex-m4');
      assert.ok(session.device.arenaFree < RAM);
      await assert.rejects(session.configure({ inputSize: 96, layers: [128, 128], classes: 5 }), ArenaTooSmallError);
      await session.configure({ inputSize: 96, layers: [16, 8], classes: 5 });
      const results: number[] = [];
      const summary = await session.trainStream(imuGestureDataset(40, { seed: 21, steps: 16 }), { onResult: (r) => results.push(r.step!) });
      assert.equal(summary.trained, 40);
      assert.equal(session.step, 40, 'device step counter = samples: nothing resent was trained twice');
      assert.deepEqual(
        results,
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      const evaluation = await session.evaluate(imuGestureDataset(10, { seed: 22, steps: 16 }));
      assert.equal(evaluation.n, 10);
      const checkpoint = await session.getCheckpoint();
      assert.ok(checkpoint.weights.length > 0);
    } finally {
      await session.close();
    }
  });
});
