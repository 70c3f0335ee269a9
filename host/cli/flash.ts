// `ffedge flash --target BOARD`: build build/ff-device.wasm into the firmware of
// one target (make -C firmware-targets/BOARD, which uses ../wasm2c-glue/firmware.mk)
// and put it where it runs:
//   --qemu (and the QEMU-only boards)  boot it under QEMU with its UART on a pty, print
//                                       the pty and the command to connect, stay up until Ctrl-C
//   stm32f405, nrf51-microbit          run the first installed flasher (st-flash, OpenOCD,
//                                       pyOCD; commands from the target's README), or print them
//   linux-edge                          build the native program and print how to run it
//
// Non-goals: choosing among several attached probes, flashing over a bootloader.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIRMWARE_BOARDS, boardDir, firmwareBoard, type FirmwareBoard } from '../boards.js';
import { onPath, packageRoot, wasmPath } from '../paths.js';
import { launchQemu, QemuLaunchError } from '../transport/qemu-launch.js';
import { TransportError } from '../transport/errors.js';
import { MissingToolError, UsageError } from './errors.js';

export const FLASH_TARGETS: readonly string[] = [...FIRMWARE_BOARDS.map((b) => b.name), 'linux-edge'];

/** A program that writes fw.elf / fw.bin into a real board, as the target's README gives it. */
interface Flasher {
  tool: string;
  /** Where the tool comes from. */
  install: string;
  argv(build: string): string[];
}

/** Boards that exist as real hardware, and how each is flashed (firmware-targets/<board>/README.md). */
const REAL_BOARDS: Record<string, { flashers: Flasher[]; serial: string; port: string; otherwise?: (build: string) => string }> = {
  stm32f405: {
    flashers: [
      { tool: 'st-flash', install: 'Debian package stlink-tools', argv: (b) => ['st-flash', '--reset', 'write', join(b, 'fw.bin'), '0x08000000'] },
      {
        tool: 'openocd',
        install: 'Debian package openocd',
        argv: (b) => ['openocd', '-f', 'interface/stlink.cfg', '-f', 'target/stm32f4x.cfg', '-c', `program ${join(b, 'fw.elf')} verify reset exit`],
      },
    ],
    serial: 'a 3.3 V USB-UART on PA9 (TX) / PA10 (RX), 115200 8N1',
    port: '/dev/ttyUSB0',
  },
  'nrf51-microbit': {
    flashers: [{ tool: 'pyocd', install: 'pip install pyocd', argv: (b) => ['pyocd', 'flash', '-t', 'nrf51', join(b, 'fw.elf')] }],
    serial: "the interface chip's USB serial, 115200 8N1",
    port: '/dev/ttyACM0',
    otherwise: (b) => `arm-none-eabi-objcopy -O ihex ${join(b, 'fw.elf')} fw.hex && cp fw.hex /media/$USER/MICROBIT/   # DAPLink drive`,
  },
};

export interface FlashFlags {
  target: string;
  qemu?: boolean;
  buildDir?: string;
  ramBytes?: string;
  quiet?: boolean;
}

/** An argument as a POSIX shell reads it back. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function requireTool(tool: string, pkg: string, what: string): void {
  if (!onPath(tool)) {
    throw new MissingToolError(`${tool} (${what}) is not installed: sudo apt-get install ${pkg}, or sudo scripts/setup-toolchains.sh`);
  }
}

/** What `make` needs for this target, checked before starting it so the error names the package. */
function checkToolchain(board: FirmwareBoard | undefined): void {
  requireTool('make', 'make', 'to build the firmware');
  requireTool('wasm2c', 'wabt', 'wasm to C');
  if (board === undefined) {
    requireTool('gcc', 'gcc', 'the native compiler');
    return;
  }
  requireTool(`${board.prefix}gcc`, board.compilerPackage, `the ${board.core} cross compiler`);
  if (!existsSync(board.libcFile)) {
    throw new MissingToolError(
      `the C library for ${board.name} (${board.libcFile}) is not installed: sudo apt-get install ${board.libcPackage}, or sudo scripts/setup-toolchains.sh`,
    );
  }
}

/** Runs make; its output is shown only when it fails. */
function make(dir: string, vars: string[], quiet: boolean): Promise<void> {
  if (!quiet) process.stderr.write(`building: make -C ${dir} ${vars.map(shellWord).join(' ')}\n`);
  return new Promise((done, fail) => {
    const child = spawn('make', ['-s', '-C', dir, ...vars], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (code === 0) done();
      else fail(new Error(`the firmware build failed (make exited with ${code}): ${output.trim().split('\n').slice(-8).join('\n  ')}`));
    });
  });
}

/** Boots the ELF under QEMU with the UART on a pty and waits for Ctrl-C (or QEMU's end). */
async function bootUnderQemu(board: FirmwareBoard, elf: string): Promise<void> {
  requireTool(board.qemu, board.qemuPackage, 'the emulator');
  let qemu;
  try {
    qemu = await launchQemu({ elf, machine: board.machine, qemu: board.qemu, extraArgs: board.qemuArgs });
  } catch (err) {
    if (err instanceof QemuLaunchError) throw new TransportError(err.missing ? 'missing-tool' : 'start-failed', err.message, { cause: err });
    throw err;
  }
  process.stdout.write(
    `${board.name} booted under ${board.qemu} -M ${board.machine}; its UART is on ${qemu.path}\n` +
      `connect:  ffedge stream --port ${qemu.path}\n` +
      `watch:    ffedge monitor --port ${qemu.path}\n` +
      'Ctrl-C stops QEMU\n',
  );
  const stopped = await new Promise<'signal' | 'exited'>((done) => {
    const onSignal = (): void => done('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    void qemu.exited.then(() => done('exited'));
  });
  const exit = await qemu.close();
  if (stopped === 'exited') {
    throw new TransportError(
      'start-failed',
      `QEMU ended on its own (${exit.signal ?? `code ${exit.code}`}): ${qemu.log().trim().split('\n').slice(-3).join(' | ') || 'no output'}`,
    );
  }
  process.stderr.write('QEMU stopped\n');
}

/** Runs a flasher with the terminal attached; resolves with its exit code. */
function runFlasher(argv: string[]): Promise<number | null> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code) => done(code));
  });
}

export async function flashCommand(flags: FlashFlags): Promise<void> {
  const target = flags.target;
  if (!FLASH_TARGETS.includes(target)) throw new UsageError(`--target must be one of ${FLASH_TARGETS.join(', ')}; got ${JSON.stringify(target)}`);
  const board = target === 'linux-edge' ? undefined : firmwareBoard(target);
  const wasm = wasmPath('ff-device');
  if (!existsSync(wasm)) throw new UsageError(`${wasm} is missing: build it first with npm run build`);
  if (flags.ramBytes !== undefined && !/^[1-9]\d*$/.test(flags.ramBytes))
    throw new UsageError(`--ram-bytes must be a positive integer, got ${JSON.stringify(flags.ramBytes)}`);
  if (board === undefined && flags.qemu)
    throw new UsageError('--qemu boots the bare-metal boards; linux-edge is a Linux program: run it as printed without --qemu');

  const dir = board ? boardDir(board) : join(packageRoot, 'firmware-targets', 'linux-edge');
  const build = resolve(flags.buildDir ?? join(dir, board ? 'build' : 'build/native'));
  checkToolchain(board);
  await make(dir, [`WASM=${wasm}`, `BUILD=${build}`, ...(flags.ramBytes !== undefined ? [`RAM_BYTES=${flags.ramBytes}`] : [])], flags.quiet ?? false);

  if (board === undefined) {
    const program = join(build, 'ff-device');
    process.stdout.write(
      `built ${program}\n` +
        'run it on this machine as a serial device, then connect:\n' +
        `  socat pty,raw,echo=0,link=/tmp/ffedge-dev EXEC:${program}\n` +
        '  ffedge stream --port /tmp/ffedge-dev\n' +
        'or copy it to a Linux board (cross-build: make -C firmware-targets/linux-edge CROSS=arm-linux-gnueabihf- LDFLAGS=-static) and run:\n' +
        '  ff-device --tty /dev/ttyS0 --baud 115200\n',
    );
    return;
  }

  const elf = join(build, 'fw.elf');
  const real = REAL_BOARDS[board.name];
  if (flags.qemu || real === undefined) {
    if (!flags.qemu) process.stderr.write(`${board.name} is a QEMU machine (no real board to flash): booting it under QEMU\n`);
    await bootUnderQemu(board, elf);
    return;
  }

  const flasher = real.flashers.find((f) => onPath(f.tool));
  if (flasher === undefined) {
    const lines = real.flashers.map((f) => `  ${f.argv(build).map(shellWord).join(' ')}    # ${f.tool}: ${f.install}`);
    if (real.otherwise) lines.push(`  ${real.otherwise(build)}`);
    process.stdout.write(
      `built ${elf}\nflash it with one of:\n${lines.join('\n')}\n` +
        `then connect ${real.serial}: ffedge stream --port ${real.port} (ffedge ports lists ports)\n`,
    );
    throw new MissingToolError(
      `no flasher for ${board.name} is installed (${real.flashers.map((f) => `${f.tool}: ${f.install}`).join('; ')}): install one, or run one of the commands above`,
    );
  }
  const argv = flasher.argv(build);
  if (!flags.quiet) process.stderr.write(`flashing: ${argv.map(shellWord).join(' ')}\n`);
  const code = await runFlasher(argv);
  if (code !== 0) {
    throw new TransportError(
      'open-failed',
      `${flasher.tool} exited with ${code}: check the probe's USB cable and the board's power, then run ffedge flash --target ${board.name} again`,
    );
  }
  process.stdout.write(`flashed ${board.name} with ${flasher.tool}; connect ${real.serial}: ffedge stream --port ${real.port} (ffedge ports lists ports)\n`);
}
