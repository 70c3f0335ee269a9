// The RAM target, measured on the built firmware: the 64-32-32 sensor
// demo model, with Adam (two optimizer states), trains on the bare-metal
// Cortex-M4 build within 64 KiB of RAM in all (stack + statics + the wasm pool,
// summed from the ELF's RAM sections). `ffedge budget --target cortex-m4-qemu`
// gives the same sum before building.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { quantize } from '../host/protocol/messages.js';
import { launchQemu } from '../host/transport/qemu-launch.js';
import { budget, SENSOR_DEMO_MODEL } from '../host/budget.js';
import { M4_SMALL_STACK } from '../host/bench/firmware.js';
import { DeviceDriver, expectMessage, missingTools, repoRoot, sensorWindows, serialLink } from './firmware-driver.js';

const run = promisify(execFile);
const deviceWasm = join(repoRoot, 'build', 'ff-device.wasm');
const skip =
  (existsSync(deviceWasm) ? false : 'build/ff-device.wasm not built (npm run build:wasm)') ||
  missingTools(['wasm2c', 'arm-none-eabi-gcc', 'arm-none-eabi-size', 'qemu-system-arm', 'make']);
const RAM_TOTAL = 64 * 1024;
// 4 KiB stack, calls limited to 16 deep: the device program needs 8 (measured, firmware README).
const { stackBytes: STACK, callDepth: CALL_DEPTH } = M4_SMALL_STACK;
const model: LearnerConfig = SENSOR_DEMO_MODEL;

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'ffedge-m4-64k-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('64-32-32 with Adam trains on the M4 firmware within 64 KiB of RAM', { skip, timeout: 180_000 }, async () => {
  // The pool: exactly the linear memory the device program needs for this model.
  const need = (await budget({ target: 'wasi', config: model })).ram.linearMemory;
  const pool = Math.ceil(need / 16) * 16;
  const build = join(work, 'fw');
  await run('make', [
    '-s',
    '-C',
    join(repoRoot, 'firmware-targets', 'cortex-m4-qemu'),
    `WASM=${deviceWasm}`,
    `BUILD=${build}`,
    `RAM_BYTES=${pool}`,
    `STACK_BYTES=${STACK}`,
    `CALL_DEPTH=${CALL_DEPTH}`,
  ]);
  const elf = join(build, 'fw.elf');
  const { stdout } = await run('arm-none-eabi-size', ['-A', '-d', elf]);
  let ram = 0;
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m && Number(m[3]) >= 0x20000000 && Number(m[3]) < 0x20400000) ram += Number(m[2]);
  }
  console.log(`# RAM in use: ${ram} bytes (stack ${STACK}, wasm pool ${pool}, statics ${ram - STACK - pool}) of ${RAM_TOTAL}`);
  assert.ok(ram <= RAM_TOTAL, `${ram} bytes of RAM`);

  const qemu = await launchQemu({ elf });
  const driver = new DeviceDriver(await serialLink('cortex-m4-qemu', qemu.path));
  try {
    await driver.hello();
    const [configured] = await driver.requests([{ type: 'CONFIGURE', config: encodeConfig(model) }]);
    expectMessage(configured!, 'CONFIG_OK');
    const windows = sensorWindows(300, 11);
    const replies = await driver.requests(
      windows.map(({ label, values }) => ({ type: 'SAMPLE' as const, kind: 'positive' as const, label, ...quantize(values, 'int8') })),
      120_000,
    );
    const records = replies.map((r) => expectMessage(r, 'GOODNESS'));
    assert.equal(records.at(-1)!.step, 300, 'every sample trained once');
    const separation = (from: number, to: number) =>
      records.slice(from, to).reduce((a, r) => a + r.layers[0]!.goodnessPositive - r.layers[0]!.goodnessNegative, 0) / (to - from);
    const early = separation(0, 50),
      late = separation(250, 300);
    console.log(`# layer-1 goodness separation: first 50 samples ${early.toFixed(3)}, last 50 ${late.toFixed(3)}`);
    assert.ok(late > early + 0.05, `the model learns: separation ${early} -> ${late}`);
  } finally {
    await driver.close();
    await qemu.close();
  }
});
