// Linux edge target end to end: the echo fixture (test/fixtures/echo.ts)
// through wasm2c into a native program, built for x86-64 with gcc and for ARM with
// arm-linux-gnueabihf-gcc (run under qemu-arm), talking on stdin/stdout and on a
// tty (a socat pty pair opened with `serialport` on the host side).
// Each variant is skipped (not failed) only when its toolchain binary is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { buildEchoFixture, deviceTrap, missingTools, splitmix64Bytes } from './firmware-driver.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/ -> repo
const targetDir = join(root, 'firmware-targets', 'linux-edge');

interface Outcome {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run `command` with `input` on stdin (then EOF); collect everything. */
function runWith(command: string[], input: number[] | Buffer, timeoutMs = 20_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')} timed out`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on('error', () => {
      /* the program may exit before reading everything */
    });
    child.stdin.end(Buffer.from(input));
  });
}

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const probe = (address: number): number[] => [0xff, 0x02, ...u32(address)];
const grow = (pages: number): number[] => [0xff, 0x04, pages];

function allByteValues(): { sent: number[]; expected: number[] } {
  const sent: number[] = [];
  const expected: number[] = [];
  for (let b = 0; b < 256; b++) {
    sent.push(...(b === 0xff ? [0xff, 0x00] : [b])); // 0xFF is the fixture's escape
    expected.push((b + 1) & 0xff);
  }
  return { sent, expected };
}

/** A socat pty pair: the device gets `device`, the host opens `host`. */
async function ptyPair(): Promise<{ device: string; host: string; close(): void }> {
  const socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const paths = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat gave no ptys: ${log}`)), 5000);
    socat.stderr.on('data', (c: Buffer) => {
      log += c.toString();
      const found = [...log.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
      if (found.length >= 2) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    socat.on('exit', () => reject(new Error(`socat exited: ${log}`)));
  });
  return { device: paths[0]!, host: paths[1]!, close: () => socat.kill('SIGTERM') };
}

const variants = [
  { name: 'x86-64 (gcc)', tools: ['wasm2c', 'gcc', 'make'], cross: '', runner: [] as string[] },
  {
    name: 'ARM (arm-linux-gnueabihf-gcc, qemu-arm)',
    tools: ['wasm2c', 'arm-linux-gnueabihf-gcc', 'qemu-arm', 'make'],
    cross: 'arm-linux-gnueabihf-',
    runner: ['qemu-arm', '-L', '/usr/arm-linux-gnueabihf'],
  },
];

const SEED = 0x0ff0ed6e5eed0001n;
let work = '';
let wasm = '';
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ffedge-linux-'));
  wasm = join(work, 'echo.wasm');
  await buildEchoFixture(wasm);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const variant of variants) {
  describe(`linux-edge ${variant.name}`, { skip: missingTools(variant.tools) }, () => {
    let device: string[] = [];
    before(async () => {
      const build = join(work, variant.cross || 'native');
      await run('make', ['-s', '-C', targetDir, `WASM=${wasm}`, `BUILD=${build}`, `CROSS=${variant.cross}`], { cwd: root });
      device = [...variant.runner, join(build, 'ff-device')];
    });

    test('echoes all 256 byte values on stdin/stdout and exits 0 at end of input', async () => {
      const { sent, expected } = allByteValues();
      const { code, stdout, stderr } = await runWith(device, sent);
      assert.equal(code, 0, stderr);
      assert.deepEqual([...stdout], expected);
    });

    test('a trap is reported on the link and on stderr, exit status 3', async () => {
      const { code, stdout, stderr } = await runWith(device, [0x10, 0xff, 0x01]);
      assert.equal(code, 3);
      assert.deepEqual(deviceTrap(stdout), { code: 73, detail: 5, text: 'trap: unreachable', seq: 0 }, stdout.toString('hex'));
      // The echo of 0x10 was still in the fixture's output buffer when it trapped.
      assert.equal(stdout[0], 0x00, 'a 0x00 ends any half-written frame before the report');
      assert.match(stderr, /wasm trap 5 \(unreachable\)/);
    });

    test('--ram sets ram_limit_bytes and traps at the first byte above it', async () => {
      const limit = 16384;
      const inside = await runWith([...device, '--ram', String(limit)], [0xff, 0x03, ...probe(limit - 1)]);
      assert.equal(inside.code, 0, inside.stderr);
      assert.equal(inside.stdout.readUInt32LE(0), limit);
      assert.equal(inside.stdout.readUInt32LE(4), 1);
      assert.equal(inside.stdout[8], 0xa5);
      const above = await runWith([...device, '--ram', String(limit)], probe(limit));
      assert.equal(above.code, 3);
      assert.equal(deviceTrap(above.stdout)?.detail, 1, 'ERROR(DEVICE_TRAP, oob)');
      const grown = await runWith([...device, '--ram', '150000'], [...grow(3), ...grow(2), ...probe(149999)]);
      assert.equal(grown.code, 0, grown.stderr);
      assert.equal(grown.stdout.readInt32LE(0), -1, '4 pages do not fit 150000 bytes');
      assert.equal(grown.stdout.readInt32LE(4), 1, '3 pages, the last one partly backed');
      assert.equal(grown.stdout[8], 0xa5);
    });

    test('without --ram: ram_limit_bytes is 0 and memory grows on the heap', async () => {
      const { code, stdout, stderr } = await runWith(device, [0xff, 0x03, ...grow(3), ...probe(4 * 65536 - 1)]);
      assert.equal(code, 0, stderr);
      assert.equal(stdout.readUInt32LE(0), 0);
      assert.equal(stdout.readInt32LE(8), 1);
      assert.equal(stdout[12], 0xa5);
    });

    test('WASI: EFAULT for outside pointers, proc_exit status, deterministic random_get', async () => {
      const efault = await runWith(device, [0xff, 0x08]);
      assert.deepEqual([...efault.stdout], [21, 21, 21, 21, 21, 21]);
      const exit = await runWith(device, [0x30, 0xff, 0x07, 42]);
      assert.equal(exit.code, 42);
      assert.deepEqual([...exit.stdout], [0x31]);
      const random = await runWith(device, [0xff, 0x06, 20, 0xff, 0x05]);
      assert.equal(random.stdout[0], 0);
      assert.deepEqual([...random.stdout.subarray(1, 21)], splitmix64Bytes(SEED, 20));
      assert.equal(random.stdout[21], 0, 'clock_time_get errno');
      const seeded = await runWith([...device, '--seed', '7'], [0xff, 0x06, 8]);
      assert.deepEqual([...seeded.stdout.subarray(1)], splitmix64Bytes(7n, 8));
    });

    test('bad flags exit 2 with a message that says what to use', async () => {
      const baud = await runWith([...device, '--tty', '/dev/null', '--baud', '1234'], []);
      assert.equal(baud.code, 2);
      assert.match(baud.stderr, /--baud 1234 is not supported; use one of/);
      const unknown = await runWith([...device, '--speed', '9'], []);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown flag --speed/);
      const help = await runWith([...device, '--help'], []);
      assert.equal(help.code, 0);
      assert.match(help.stdout.toString(), /--tty PATH/);
    });

    test('--tty: raw mode on a pty, all 256 byte values through serialport', { skip: missingTools(['socat']) }, async () => {
      const pair = await ptyPair();
      const child = spawn(device[0]!, [...device.slice(1), '--tty', pair.device, '--baud', '115200'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const port = new SerialPort({ path: pair.host, baudRate: 115200, autoOpen: false });
      try {
        await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
        const { sent, expected } = allByteValues();
        let received = Buffer.alloc(0);
        const done = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got ${received.length} of 256 bytes: ${received.toString('hex')}`)), 10_000);
          port.on('data', (c: Buffer) => {
            received = Buffer.concat([received, c]);
            if (received.length >= 256) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        port.write(Buffer.from(sent));
        await done;
        assert.deepEqual([...received], expected);
      } finally {
        child.kill('SIGTERM');
        await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
        pair.close();
      }
    });
  });
}
