// The real device program (build/ff-device.wasm) on every wasm2c target: it must
// answer HELLO_REQUEST with a HELLO naming the target (runtime_kind set by the
// embedding) and an arena that fits the RAM it was given (ram_limit_bytes).
// Frames are built and parsed with host/protocol, as the host does.
// Skipped when a toolchain binary is missing, or when build/ff-device.wasm has
// not been built yet (npm run build:wasm).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { Deframer, encodeFrame } from '../host/protocol/frame.js';
import { decodeMessage, MessageType, type Message } from '../host/protocol/messages.js';
import { launchQemu } from '../host/transport/qemu-launch.js';
import { onPath } from '../host/paths.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/ -> repo
// FFEDGE_DEVICE_WASM=path tests another build of the device program.
const deviceWasm = process.env.FFEDGE_DEVICE_WASM ?? join(root, 'build', 'ff-device.wasm');
const RAM = 65536;

function skipUnless(tools: string[]): string | false {
  if (!existsSync(deviceWasm)) return `${deviceWasm} not built yet (npm run build:wasm)`;
  const missing = tools.filter((t) => !onPath(t));
  return missing.length > 0 ? `toolchain missing: ${missing.join(', ')} (install with: sudo scripts/setup-toolchains.sh)` : false;
}

/** Feed chunks in until the first whole frame decodes; fail after `timeoutMs`. */
function firstMessage(subscribe: (onChunk: (chunk: Buffer) => void) => void, timeoutMs = 10_000): Promise<Message> {
  const deframer = new Deframer();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms (stats ${JSON.stringify(deframer.stats)})`)), timeoutMs);
    subscribe((chunk) => {
      const [frame] = deframer.push(chunk);
      if (frame) {
        clearTimeout(timer);
        resolve(decodeMessage(frame));
      }
    });
  });
}

// A leading 0x00 flushes any partial frame on the device side (docs/protocol.md §2).
const helloRequest = Buffer.concat([Buffer.from([0]), encodeFrame(MessageType.HELLO_REQUEST, 0, new Uint8Array(0))]);

function assertHello(message: Message, runtime: string): void {
  assert.equal(message.type, 'HELLO', JSON.stringify(message));
  if (message.type !== 'HELLO') return;
  assert.equal(message.runtime, runtime);
  assert.ok(message.arenaFree > 0 && message.arenaFree < RAM, `arenaFree ${message.arenaFree} must fit in ${RAM}`);
}

let work = '';
before(() => {
  work = mkdtempSync(join(tmpdir(), 'ffedge-device-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('ff-device.wasm on cortex-m4-qemu', { skip: skipUnless(['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make']) }, () => {
  test('answers HELLO as ff-edge/cortex-m4 with an arena inside RAM_BYTES', async () => {
    const build = join(work, 'm4');
    await run('make', ['-s', '-C', join(root, 'firmware-targets', 'cortex-m4-qemu'), `WASM=${deviceWasm}`, `BUILD=${build}`, `RAM_BYTES=${RAM}`], {
      cwd: root,
    });
    const qemu = await launchQemu({ elf: join(build, 'fw.elf') });
    const port = new SerialPort({ path: qemu.path, baudRate: 115200, autoOpen: false });
    port.on('error', () => {
      /* EIO once QEMU is gone */
    });
    try {
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      const reply = firstMessage((onChunk) => port.on('data', onChunk));
      port.write(helloRequest);
      assertHello(await reply, 'ff-edge/cortex-m4');
    } finally {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
      await qemu.close();
    }
  });
});

const linuxVariants = [
  { name: 'x86-64', tools: ['wasm2c', 'gcc', 'make'], cross: '', runner: [] as string[] },
  {
    name: 'ARM under qemu-arm',
    tools: ['wasm2c', 'arm-linux-gnueabihf-gcc', 'qemu-arm', 'make'],
    cross: 'arm-linux-gnueabihf-',
    runner: ['qemu-arm', '-L', '/usr/arm-linux-gnueabihf'],
  },
];

for (const variant of linuxVariants) {
  describe(`ff-device.wasm on linux-edge ${variant.name}`, { skip: skipUnless(variant.tools) }, () => {
    test('answers HELLO as ff-edge/linux-edge with an arena inside --ram', async () => {
      const build = join(work, variant.cross || 'native');
      await run('make', ['-s', '-C', join(root, 'firmware-targets', 'linux-edge'), `WASM=${deviceWasm}`, `BUILD=${build}`, `CROSS=${variant.cross}`], {
        cwd: root,
      });
      const command = [...variant.runner, join(build, 'ff-device'), '--ram', String(RAM)];
      const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
      try {
        const reply = firstMessage((onChunk) => child.stdout.on('data', onChunk));
        child.stdin.write(helloRequest);
        assertHello(await reply, 'ff-edge/linux-edge');
      } finally {
        child.kill('SIGTERM');
      }
    });
  });
}
