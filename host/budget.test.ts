import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { budget, deviceHeapBase, formatBudget, runDeviceInProcess, SENSOR_DEMO_MODEL, type Budget } from './budget.js';
import { encodeConfig } from './learner/config.js';
import { encodeMessage } from './protocol/messages.js';
import { packageRoot, wasmPath } from './paths.js';

const built = existsSync(wasmPath('ff-device')) && existsSync(wasmPath('ff-core'));
const skipUnbuilt = built ? false : 'build/ff-device.wasm and ff-core.wasm not built (npm run build:wasm)';
function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const m4Tools = ['make', 'wasm2c', 'arm-none-eabi-gcc', 'arm-none-eabi-size'];
const skipM4 = skipUnbuilt || (m4Tools.every(has) ? false : `toolchain missing (${m4Tools.join(', ')}): scripts/setup-toolchains.sh`);

/** What the device program itself answers to CONFIGURE with this ram_limit_bytes. */
async function deviceAnswer(config: typeof SENSOR_DEMO_MODEL, ramLimit: number) {
  const input = encodeMessage({ type: 'CONFIGURE', config: encodeConfig(config) }, 0);
  const replies = await runDeviceInProcess(wasmPath('ff-device'), ramLimit, input);
  return replies.at(-1)!;
}

function sums(b: Budget): void {
  assert.equal(b.ram.linearMemory, b.ram.deviceStatic + b.ram.arena + b.ram.margin);
  assert.equal(b.ram.total, b.ram.stack + b.ram.data + b.ram.bss + b.ram.linearMemory);
  assert.equal(b.flash.total, b.flash.text + b.flash.data);
  assert.ok(b.ram.margin >= 0 && b.ram.margin <= 1 << 16, `margin ${b.ram.margin}`);
}

test("wasi: the budget is the device program's own verdict, to the byte", { skip: skipUnbuilt }, async () => {
  const b = await budget({ target: 'wasi', config: SENSOR_DEMO_MODEL });
  sums(b);
  assert.equal(b.model, '64-32-32');
  assert.equal(b.limit, null);
  assert.equal(b.fits, true);
  assert.equal(b.ram.stack + b.ram.data + b.ram.bss, 0);
  assert.ok(b.flash.total > 1000, 'the wasm file size');
  assert.equal(b.ram.deviceStatic, await deviceHeapBase());
  // One byte less than the budget's linear memory: the device refuses with exactly that number.
  const refused = await deviceAnswer(SENSOR_DEMO_MODEL, b.ram.linearMemory - 1);
  assert.deepEqual(refused, { type: 'ERROR', code: 7, detail: b.ram.linearMemory, text: 'learner refused' });
  const accepted = await deviceAnswer(SENSOR_DEMO_MODEL, b.ram.linearMemory);
  assert.equal(accepted.type, 'CONFIG_OK');
  assert.equal(accepted.type === 'CONFIG_OK' && accepted.arenaUsed, b.ram.arena);
  const tight = await budget({ target: 'wasi', config: SENSOR_DEMO_MODEL, ramBytes: b.ram.linearMemory });
  assert.equal(tight.fits, true);
  assert.equal(tight.free, 0);
});

test('a continual config: the replay buffer and the continual state are parts of the arena the device lays out', { skip: skipUnbuilt }, async () => {
  const config = { ...SENSOR_DEMO_MODEL, prequential: 'goodness' as const, replay: { mode: 'reservoir' as const, capacity: 50, ratio: 1 } };
  const b = await budget({ target: 'wasi', config });
  const one = await budget({ target: 'wasi', config: { ...config, replay: { ...config.replay, capacity: 51 } } });
  const plain = await budget({ target: 'wasi', config: SENSOR_DEMO_MODEL });
  sums(b);
  assert.deepEqual([plain.ram.replayBuffer, plain.ram.continual], [0, 0]);
  assert.ok(b.ram.replayBuffer > 0 && b.ram.continual > 0);
  assert.equal(b.ram.arena, plain.ram.arena + b.ram.replayBuffer + b.ram.continual);
  const grew = one.ram.arena - b.ram.arena,
    slot = one.ram.replayBuffer - b.ram.replayBuffer;
  assert.ok(slot >= SENSOR_DEMO_MODEL.inputSize && grew >= slot && grew < slot + 16, `one more slot: buffer +${slot}, arena +${grew} (16-byte alignment)`);
  const accepted = await deviceAnswer(config, b.ram.linearMemory);
  assert.equal(accepted.type === 'CONFIG_OK' && accepted.arenaUsed, b.ram.arena, 'the device agrees');
  assert.equal((await deviceAnswer(config, b.ram.linearMemory - 1)).type, 'ERROR');
  assert.match(formatBudget(b), new RegExp(`of which replay buffer\\s+${b.ram.replayBuffer}\\n`));
  assert.doesNotMatch(formatBudget(plain), /replay buffer/);
});

test('a limit too small: fits is false and the message gives the numbers and what to change', { skip: skipUnbuilt }, async () => {
  const b = await budget({ target: 'wasi', config: SENSOR_DEMO_MODEL, ramBytes: 32768 });
  assert.equal(b.fits, false);
  assert.equal(b.free, 32768 - b.ram.linearMemory);
  assert.match(b.message, new RegExp(`needs ${b.ram.linearMemory} bytes of linear memory .*the target has 32768: ${b.ram.linearMemory - 32768} bytes short`));
  assert.match(b.message, new RegExp(`optimizer "sgd" .*${b.paramsBytes} bytes less`));
  const table = formatBudget(b);
  assert.match(table, /^64-32-32 on wasi \(bytes\)/);
  assert.match(table, /learner arena\s+\d+/);
  assert.match(table, /DOES NOT FIT: /);
});

test('bigger models need more; SGD needs one optimizer state less than Adam', { skip: skipUnbuilt }, async () => {
  const adam = await budget({ target: 'wasi', config: SENSOR_DEMO_MODEL });
  const sgd = await budget({ target: 'wasi', config: { ...SENSOR_DEMO_MODEL, optimizer: 'sgd' } });
  const wide = await budget({ target: 'wasi', config: { ...SENSOR_DEMO_MODEL, layers: [64, 64] } });
  assert.ok(adam.ram.arena - sgd.ram.arena >= adam.paramsBytes, `${adam.ram.arena} vs ${sgd.ram.arena}`);
  assert.ok(wide.ram.arena > adam.ram.arena);
});

test("bad options are TypeErrors naming the option; bad configs are the learner's ConfigError", { skip: skipUnbuilt }, async () => {
  await assert.rejects(
    budget({ target: 'esp32' as never, config: SENSOR_DEMO_MODEL }),
    /target must be one of cortex-m4-qemu, stm32f405, riscv32, nrf51-microbit, linux-edge, wasi/,
  );
  await assert.rejects(budget({ target: 'wasi', config: SENSOR_DEMO_MODEL, ramBytes: -1 }), /ramBytes must be a whole number/);
  await assert.rejects(budget({ target: 'wasi', config: { ...SENSOR_DEMO_MODEL, layers: [0] } }), (e: Error) => e.name === 'ConfigError');
});

test("cortex-m4-qemu: flash and statics from the ELF; stack + statics + pool must fit the part's RAM", { skip: skipM4 }, async () => {
  const b = await budget({ target: 'cortex-m4-qemu', config: SENSOR_DEMO_MODEL, ramBytes: 65536 });
  sums(b);
  const elf = join(packageRoot, 'firmware-targets', 'cortex-m4-qemu', 'build', 'budget-stack16384-depth64', 'fw.elf');
  const size = execFileSync('arm-none-eabi-size', [elf]).toString().trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  assert.equal(b.flash.text + b.flash.data, size[0]! + size[1]!, 'text + data of arm-none-eabi-size');
  assert.equal(b.ram.stack, 16384);
  assert.ok(b.ram.bss > 0 && b.ram.bss < 8192, `glue statics ${b.ram.bss}`);
  assert.deepEqual(b.limit, { bytes: 65536, appliesTo: 'RAM' });
  assert.equal(b.fits, b.ram.total <= 65536);
  // A smaller stack and SGD: the demo model fits a 64 KiB part (measured, not assumed).
  const small = await budget({
    target: 'cortex-m4-qemu',
    config: { ...SENSOR_DEMO_MODEL, optimizer: 'sgd' },
    ramBytes: 65536,
    stackBytes: 4096,
    callDepth: 16,
  });
  assert.equal(small.ram.stack, 4096);
  assert.equal(small.fits, true, small.message);
  const defaults = await budget({ target: 'cortex-m4-qemu', config: SENSOR_DEMO_MODEL });
  assert.equal(defaults.limit!.bytes, 4 * 1024 * 1024, 'mps2-an386 SRAM by default');
});
