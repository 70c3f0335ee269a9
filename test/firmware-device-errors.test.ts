// Errors travel: what goes wrong on a device reaches the host as a typed frame.
//  * A trap in the real device program (here: a call-depth budget too small for the
//    CONFIGURE path, CALL_DEPTH=5) arrives as ERROR(DEVICE_TRAP, exhaustion), from the
//    pre-encoded frames in firmware-targets/wasm2c-glue/fatal-frames.h.
//  * A config too big for the firmware's RAM_BYTES is refused with the numbers:
//    ERROR(learner code 7 ARENA_TOO_SMALL, detail = bytes needed), which the host turns
//    into ArenaTooSmallError; the session goes on with a model that fits.
//  * A window of 8 big requests outruns the M4's 256-byte RX ring without losing a byte.
// A target whose toolchain is missing is skipped, not failed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig } from '../host/learner/config.js';
import { ArenaTooSmallError, LearnerStatus, learnerError } from '../host/learner/errors.js';
import { Deframer, encodeFrame } from '../host/protocol/frame.js';
import { decodeMessage, encodeMessage, MessageType, quantize } from '../host/protocol/messages.js';
import { ErrorCode, describeTrap } from '../host/protocol/errors.js';
import { launchQemu } from '../host/transport/qemu-launch.js';
import { fatalFramesHeader, faultFrames, headerPath, trapFrames, FATAL_SEQ } from '../scripts/fatal-frames.js';
import { budget, SENSOR_DEMO_MODEL } from '../host/budget.js';
import { DeviceDriver, deviceTrap, expectMessage, missingTools, repoRoot, sensorWindows, serialLink } from './firmware-driver.js';

const run = promisify(execFile);
const deviceWasm = process.env.FFEDGE_DEVICE_WASM ?? join(repoRoot, 'build', 'ff-device.wasm');
const noDevice = existsSync(deviceWasm) ? false : `${deviceWasm} not built yet (npm run build:wasm)`;
const m4Dir = join(repoRoot, 'firmware-targets', 'cortex-m4-qemu');
const m4Skip = noDevice || missingTools(['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make']);
const linuxSkip = noDevice || missingTools(['wasm2c', 'gcc', 'make']);
const TRAP_DEPTH = 5; // enough for boot and HELLO, too little for configure() (measured)

describe('fatal-frames.h: the ERROR(DEVICE_TRAP) frames the C glue sends', () => {
  test('is what the host codec generates now (regenerate: node dist/scripts/fatal-frames.js)', () => {
    assert.equal(readFileSync(headerPath(), 'utf8'), fatalFramesHeader());
  });

  test('every frame deframes and decodes to ERROR(DEVICE_TRAP, its detail, its text), seq 0', () => {
    for (const frame of [...trapFrames(), ...faultFrames()]) {
      const [decoded, ...more] = new Deframer().push(frame.bytes);
      assert.equal(more.length, 0);
      assert.equal(decoded!.seq, FATAL_SEQ);
      assert.deepEqual(decodeMessage(decoded!), { type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail: frame.detail, text: frame.text });
    }
    assert.equal(trapFrames()[5]!.text, 'trap: unreachable');
    assert.equal(faultFrames().find((f) => f.detail === 256 + 3)!.text, 'fault: hardfault');
    assert.equal(describeTrap(trapFrames()[8]!.detail), 'wasm trap 8 (exhaustion)');
  });

  test("the protocol vector for DEVICE_TRAP is the glue's unreachable frame", () => {
    const vectors = JSON.parse(readFileSync(join(repoRoot, 'test', 'vectors', 'protocol.json'), 'utf8')) as { frames: Array<{ name: string; frame: string }> };
    const vector = vectors.frames.find((f) => f.name.startsWith('error: device trapped'));
    assert.ok(vector, 'vector present');
    assert.equal(vector.frame, Buffer.from(trapFrames()[5]!.bytes).toString('hex'));
  });
});

describe('a trap in the real device program, on linux-edge x86-64', { skip: linuxSkip }, () => {
  let work = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-trap-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(`CALL_DEPTH=${TRAP_DEPTH}: HELLO works, CONFIGURE traps: ERROR(DEVICE_TRAP, exhaustion), exit 3`, async () => {
    const build = join(work, 'native');
    await run('make', ['-s', '-C', join(repoRoot, 'firmware-targets', 'linux-edge'), `WASM=${deviceWasm}`, `BUILD=${build}`, `CALL_DEPTH=${TRAP_DEPTH}`]);
    const input = Buffer.concat([
      Buffer.from([0]),
      encodeFrame(MessageType.HELLO_REQUEST, 7, new Uint8Array(0)),
      encodeMessage({ type: 'CONFIGURE', config: encodeConfig(SENSOR_DEMO_MODEL) }, 0),
    ]);
    const r = spawnSync(join(build, 'ff-device'), ['--ram', '131072'], { input, timeout: 20_000 });
    assert.equal(r.status, 3, r.stderr.toString());
    const types = new Deframer().push(r.stdout).map((f) => decodeMessage(f).type);
    assert.deepEqual(types, ['HELLO', 'HELLO', 'ERROR'], 'boot HELLO, the reply, then the report');
    assert.deepEqual(deviceTrap(r.stdout), { code: 73, detail: 8, text: 'trap: exhaustion', seq: 0 });
    assert.match(r.stderr.toString(), /wasm trap 8 \(exhaustion\)/);
  });
});

describe('ff-device.wasm on cortex-m4-qemu: errors reach the host', { skip: m4Skip }, () => {
  let work = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-m4-errors-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function boot(vars: Record<string, number>): Promise<{ driver: DeviceDriver; stop: () => Promise<void> }> {
    const build = join(
      work,
      Object.entries(vars)
        .map(([k, v]) => `${k}-${v}`)
        .join('_'),
    );
    await run('make', ['-s', '-C', m4Dir, `WASM=${deviceWasm}`, `BUILD=${build}`, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
    const qemu = await launchQemu({ elf: join(build, 'fw.elf') });
    const driver = new DeviceDriver(await serialLink('cortex-m4-qemu', qemu.path));
    return {
      driver,
      stop: async () => {
        await driver.close();
        await qemu.close();
      },
    };
  }

  test(`CALL_DEPTH=${TRAP_DEPTH}: a CONFIGURE that traps comes back as ERROR(DEVICE_TRAP, exhaustion)`, async () => {
    const { driver, stop } = await boot({ RAM_BYTES: 131072, CALL_DEPTH: TRAP_DEPTH });
    try {
      const hello = await driver.hello();
      assert.equal(hello.runtime, 'ff-edge/cortex-m4');
      await assert.rejects(
        driver.requests([{ type: 'CONFIGURE', config: encodeConfig(SENSOR_DEMO_MODEL) }], 10_000),
        /device trapped: trap: exhaustion \(detail 8\)/,
      );
      const report = driver.log.at(-1);
      assert.deepEqual(report, { type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail: 8, text: 'trap: exhaustion' });
    } finally {
      await stop();
    }
  });

  test('RAM_BYTES=65536: a model too big is refused with the bytes it needs (ArenaTooSmallError), then one that fits trains', async () => {
    const RAM = 65536;
    const { driver, stop } = await boot({ RAM_BYTES: RAM });
    try {
      const hello = await driver.hello();
      assert.ok(hello.arenaFree < RAM, `arenaFree ${hello.arenaFree}`);
      const big = { ...SENSOR_DEMO_MODEL, layers: [128, 128] };
      const small = { ...SENSOR_DEMO_MODEL, layers: [16, 16] };
      const [refused, accepted] = await driver.requests([
        { type: 'CONFIGURE', config: encodeConfig(big) },
        { type: 'CONFIGURE', config: encodeConfig(small) },
      ]);
      const error = expectMessage(refused!, 'ERROR');
      assert.equal(error.code, LearnerStatus.ARENA_TOO_SMALL);
      assert.ok(error.detail > RAM, `needs ${error.detail} bytes, more than the ${RAM} it has`);
      // host/budget.ts predicted exactly this number without asking the device.
      assert.equal(error.detail, (await budget({ target: 'wasi', config: big })).ram.linearMemory, 'budget() agrees');
      const typed = learnerError(error.code, error.detail);
      assert.ok(typed instanceof ArenaTooSmallError);
      assert.equal(typed.bytesNeeded, error.detail);
      assert.match(typed.message, new RegExp(`needs ${error.detail} bytes`));
      const ok = expectMessage(accepted!, 'CONFIG_OK');
      assert.ok(ok.arenaUsed + ok.arenaFree <= hello.arenaFree, 'the arena fits what HELLO offered');
      const [trained] = await driver.requests([{ type: 'SAMPLE', kind: 'positive', label: 1, ...quantize(sensorWindows(1, 3)[0]!.values, 'int8') }]);
      expectMessage(trained!, 'GOODNESS');
    } finally {
      await stop();
    }
  });

  test('8 big requests in flight outrun the 256-byte RX ring: the UART holds QEMU back, nothing is lost', async () => {
    const { driver, stop } = await boot({ RAM_BYTES: 1048576 });
    try {
      await driver.hello();
      // 64 -> 256 -> 256: each step is long enough for > 256 bytes of the next requests to arrive.
      const [ok] = await driver.requests([{ type: 'CONFIGURE', config: encodeConfig({ ...SENSOR_DEMO_MODEL, layers: [256, 256] }) }]);
      expectMessage(ok!, 'CONFIG_OK');
      const replies = await driver.requests(
        sensorWindows(32, 5).map(({ label, values }) => ({ type: 'SAMPLE' as const, kind: 'positive' as const, label, ...quantize(values, 'int16') })),
        30_000,
      );
      assert.equal(replies.filter((r) => r.message.type === 'GOODNESS').length, 32);
      assert.equal(driver.retransmissions, 0, 'no request was lost and sent again');
    } finally {
      await stop();
    }
  });
});
