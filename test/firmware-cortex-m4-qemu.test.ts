// Bare-metal target end to end: the echo fixture (test/fixtures/echo.ts)
// through wasm2c into Cortex-M4F firmware, run under QEMU mps2-an386, reached over
// UART0's pty with `serialport` exactly as the host reaches a real board.
// Skipped (not failed) only when a toolchain binary is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { launchQemu, type QemuInstance } from '../host/transport/qemu-launch.js';
import { buildEchoFixture, deviceTrap, missingTools, splitmix64Bytes } from './firmware-driver.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/ -> repo
const targetDir = join(root, 'firmware-targets', 'cortex-m4-qemu');

const skip = missingTools(['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make']);

/** make the firmware for `wasm` into `build`; returns the ELF path. */
async function buildFirmware(wasm: string, build: string, vars: Record<string, string | number>): Promise<string> {
  const settings = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  await run('make', ['-s', '-C', targetDir, `WASM=${wasm}`, `BUILD=${build}`, ...settings], { cwd: root });
  return join(build, 'fw.elf');
}

/** The host end of the link: everything received is kept; reads wait for a count or a pattern. */
class Link {
  received = Buffer.alloc(0);
  /** Port errors (e.g. EIO once QEMU has exited): kept, not thrown. */
  errors: Error[] = [];
  private waiter: (() => void) | undefined;
  private constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    port.on('error', (error: Error) => this.errors.push(error));
  }

  static async open(path: string): Promise<Link> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new Link(port);
  }

  /** Wait until `done(received)` holds; fail after `timeoutMs` showing what did arrive. */
  async until(done: (bytes: Buffer) => boolean, what: string, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(`waited ${timeoutMs} ms for ${what}; received ${this.received.length} bytes: ${this.received.toString('hex')}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.received;
  }

  /** Send `bytes` and return the next `count` bytes that come back. */
  async exchange(bytes: number[] | Buffer, count: number, timeoutMs = 5000): Promise<Buffer> {
    const start = this.received.length;
    this.port.write(Buffer.from(bytes));
    await this.until((b) => b.length >= start + count, `${count} reply bytes`, timeoutMs);
    return this.received.subarray(start, start + count);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const probe = (address: number): number[] => [0xff, 0x02, ...u32(address)];
const grow = (pages: number): number[] => [0xff, 0x04, pages];
/** The received bytes hold an ERROR(DEVICE_TRAP, detail) frame. */
const trapped =
  (detail: number) =>
  (bytes: Buffer): boolean =>
    deviceTrap(bytes)?.detail === detail;

describe('cortex-m4-qemu firmware (echo fixture under qemu-system-arm mps2-an386)', { skip }, () => {
  const SMALL_RAM = 16384; // less than one 64 KiB wasm page
  const ODD_RAM = 150000; // not a page multiple: the third page is only partly backed
  const SEED = 0x0ff0ed6e5eed0001n;
  let work = '';
  let smallElf = '';
  let oddElf = '';
  let semihostElf = '';
  const running: Array<{ qemu: QemuInstance; link: Link }> = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-m4-'));
    const wasm = join(work, 'echo.wasm');
    await buildEchoFixture(wasm);
    [smallElf, oddElf, semihostElf] = await Promise.all([
      buildFirmware(wasm, join(work, 'small'), { RAM_BYTES: SMALL_RAM }),
      buildFirmware(wasm, join(work, 'odd'), { RAM_BYTES: ODD_RAM }),
      buildFirmware(wasm, join(work, 'semihost'), { RAM_BYTES: SMALL_RAM, SEMIHOSTING: 1 }),
    ]);
  });

  after(async () => {
    for (const { qemu, link } of running) {
      await link.close();
      await qemu.close();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function boot(elf: string, extraArgs: string[] = []): Promise<{ qemu: QemuInstance; link: Link }> {
    const qemu = await launchQemu({ elf, extraArgs });
    const link = await Link.open(qemu.path);
    const device = { qemu, link };
    running.push(device);
    return device;
  }

  test('echoes all 256 byte values (+1 mod 256) over the pty', async () => {
    const { link } = await boot(smallElf);
    const sent: number[] = [];
    const expected: number[] = [];
    for (let b = 0; b < 256; b++) {
      sent.push(...(b === 0xff ? [0xff, 0x00] : [b])); // 0xFF is the fixture's escape
      expected.push((b + 1) & 0xff);
    }
    const started = process.hrtime.bigint();
    const echoed = await link.exchange(sent, 256);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual([...echoed], expected);
    console.log(`# 257 bytes out, 256 back through QEMU's UART in ${ms.toFixed(1)} ms`);
  });

  test('sets ram_limit_bytes to the pool size before _start', async () => {
    const { link } = await boot(smallElf);
    const reply = await link.exchange([0xff, 0x03], 8);
    assert.equal(reply.readUInt32LE(0), SMALL_RAM, 'ram_limit_bytes');
    assert.equal(reply.readUInt32LE(4), 1, 'memory.size() in pages');
  });

  test('WASI calls given guest pointers outside memory return EFAULT, never touch them', async () => {
    const { link } = await boot(smallElf);
    assert.deepEqual([...(await link.exchange([0xff, 0x08], 6))], [21, 21, 21, 21, 21, 21]);
    assert.deepEqual([...(await link.exchange([0x41], 1))], [0x42], 'still alive afterwards');
  });

  test('random_get is deterministic splitmix64; clock_time_get is monotonic', async () => {
    const { link } = await boot(smallElf);
    const random = await link.exchange([0xff, 0x06, 20], 21);
    assert.equal(random[0], 0, 'errno');
    assert.deepEqual([...random.subarray(1)], splitmix64Bytes(SEED, 20));
    const first = await link.exchange([0xff, 0x05], 9);
    const second = await link.exchange([0xff, 0x05], 9);
    assert.equal(first[0], 0);
    assert.equal(second[0], 0);
    assert.ok(second.readBigUInt64LE(1) >= first.readBigUInt64LE(1), 'monotonic');
    assert.ok(first.readBigUInt64LE(1) > 0n, 'the clock runs');
  });

  test('a trap reaches the host as an ERROR(DEVICE_TRAP) frame, not silence', async () => {
    const { link } = await boot(smallElf);
    assert.deepEqual([...(await link.exchange([0x10], 1))], [0x11]);
    link.port.write(Buffer.from([0xff, 0x01])); // unreachable
    const bytes = await link.until(trapped(5), 'the ERROR(DEVICE_TRAP) frame');
    assert.deepEqual(deviceTrap(bytes), { code: 73, detail: 5, text: 'trap: unreachable', seq: 0 });
    assert.equal(bytes[1], 0x00, 'a 0x00 ends any half-written frame before the report');
  });

  test('an access at or above a sub-page pool traps (oob); just below does not', async () => {
    const { link } = await boot(smallElf);
    assert.deepEqual([...(await link.exchange(probe(SMALL_RAM - 1), 1))], [0xa5]);
    link.port.write(Buffer.from(probe(SMALL_RAM)));
    await link.until(trapped(1), 'ERROR(DEVICE_TRAP, oob)');
  });

  test('memory.grow succeeds only inside the pool; the partly backed page ends at the pool', async () => {
    const { link } = await boot(oddElf);
    const reply = await link.exchange([0xff, 0x03], 8);
    assert.equal(reply.readUInt32LE(0), ODD_RAM);
    assert.deepEqual([...(await link.exchange(probe(65535), 1))], [0xa5]);
    assert.equal((await link.exchange(grow(3), 4)).readInt32LE(0), -1, '4 pages do not fit 150000 bytes');
    assert.equal((await link.exchange(grow(1), 4)).readInt32LE(0), 1);
    assert.deepEqual([...(await link.exchange(probe(131071), 1))], [0xa5]);
    assert.equal((await link.exchange(grow(1), 4)).readInt32LE(0), 2, 'third page is partly backed');
    assert.deepEqual([...(await link.exchange(probe(ODD_RAM - 1), 1))], [0xa5]);
    assert.equal((await link.exchange(grow(1), 4)).readInt32LE(0), -1);
    link.port.write(Buffer.from(probe(ODD_RAM)));
    await link.until(trapped(1), 'ERROR(DEVICE_TRAP, oob)');
  });

  test('under -icount shift=0, clock_time_get differences count instructions', async () => {
    // The fixture runs 10 x 1000 xorshift32 steps between two clock reads; gcc
    // makes each step 6 Thumb-2 instructions (3 eor + loop), so ~60000 ns.
    const { link } = await boot(smallElf, ['-icount', 'shift=0']);
    const first = (await link.exchange([0xff, 0x09, 10], 12)).readBigUInt64LE(0);
    const again = (await link.exchange([0xff, 0x09, 10], 12)).readBigUInt64LE(0);
    const perStep = Number(first) / 10_000;
    console.log(`# 10000 xorshift32 steps: ${first} ns = instructions under -icount shift=0 (${perStep.toFixed(2)}/step)`);
    assert.ok(perStep >= 4 && perStep <= 12, `${perStep} instructions per step`);
    // SysTick at 25 MHz ticks every 40 virtual ns: two runs agree to a tick or two.
    assert.ok(Math.abs(Number(first - again)) <= 80, `${first} vs ${again}`);
  });

  test('with SEMIHOSTING=1, proc_exit and traps end QEMU with a status', async () => {
    const semihosting = ['-semihosting-config', 'enable=on,target=native'];
    const exiting = await boot(semihostElf, semihosting);
    assert.deepEqual([...(await exiting.link.exchange([0x20], 1))], [0x21]);
    exiting.link.port.write(Buffer.from([0xff, 0x07, 42]));
    assert.deepEqual(await exiting.qemu.exited, { code: 42, signal: null });

    const trapping = await boot(semihostElf, semihosting);
    trapping.link.port.write(Buffer.from([0xff, 0x01]));
    assert.deepEqual(await trapping.qemu.exited, { code: 3, signal: null });
  });
});
