// Flash and RAM budgets: will this model train on that target, and with how much
// room? Every figure is measured, none is a constant copied from a README:
//  * flash and the native program's statics come from the built firmware
//    (`arm-none-eabi-size` / `size` on the ELF, built on demand with make and cached
//    in firmware-targets/<target>/build/budget*), or the wasm file for wasi;
//  * the device program's static data (its protocol buffers, below __heap_base)
//    from build/ff-device.wasm itself: it is run in-process (runDeviceInProcess)
//    until its boot HELLO, whose arenaFree says where its heap starts;
//  * the arena from the learner: build/ff-core.wasm configured through
//    host/learner/learner.ts, which reports arenaBytes, and refuses a too-small
//    memory with ArenaTooSmallError.bytesNeeded: the exact number the device uses
//    to accept or refuse the config (it includes the learner's safety margin).
//
//   const b = await budget({ target: 'cortex-m4-qemu', config, ramBytes: 64 * 1024 });
//   console.log(formatBudget(b));
//
// Non-goals: the host's own memory; stack use measured at run time (the stack is
// what the firmware reserves: STACK_BYTES).

import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveConfig, type LearnerConfig } from './learner/config.js';
import { ArenaTooSmallError } from './learner/errors.js';
import { Learner } from './learner/learner.js';
import { boardDir, FIRMWARE_BOARDS, firmwareBoard, type FirmwareBoard } from './boards.js';
import { packageRoot, wasmPath } from './paths.js';
import { Deframer } from './protocol/frame.js';
import { decodeMessage, type Message } from './protocol/messages.js';

const run = promisify(execFile);

/**
 * The demo sensor model of the firmware targets: 64 readings -> 32 -> 32, five
 * classes, the label one-hot put in front of the readings, Adam, mean-squares
 * goodness, random wrong labels, batch 1. Budgets, the cross-target test and the
 * firmware benchmark all use it.
 */
export const SENSOR_DEMO_MODEL: LearnerConfig = {
  inputSize: 64,
  layers: [32, 32],
  classes: 5,
  overlay: 'prepend',
  goodness: 'mean-squares',
  optimizer: 'adam',
  negatives: 'random',
  softmaxHead: false,
  batch: 1,
  seed: 7,
  learningRate: 0.01,
};

/** Every bare-metal board of host/boards.ts, then the two hosted targets. */
export const BUDGET_TARGETS = ['cortex-m4-qemu', 'stm32f405', 'riscv32', 'nrf51-microbit', 'linux-edge', 'wasi'] as const;
export type BudgetTarget = (typeof BUDGET_TARGETS)[number];

/** SRAM of QEMU's mps2-an386 (its linker script): the default RAM of the M4 target. */
export const MPS2_AN386_RAM_BYTES = firmwareBoard('cortex-m4-qemu').ramBytes;
/** The M4 firmware's defaults (firmware-targets/cortex-m4-qemu/Makefile). */
export const M4_DEFAULT_STACK_BYTES = firmwareBoard('cortex-m4-qemu').stackBytes;
export const M4_DEFAULT_CALL_DEPTH = firmwareBoard('cortex-m4-qemu').callDepth;

/** The bare-metal board behind `target`, or undefined for linux-edge and wasi. */
function boardOf(target: BudgetTarget): FirmwareBoard | undefined {
  return FIRMWARE_BOARDS.find((b) => b.name === target);
}

export interface BudgetOptions {
  target: BudgetTarget;
  config: LearnerConfig;
  /**
   * RAM the target has, in bytes. A bare-metal board: the part's SRAM, out of which
   * come the stack, the firmware's statics and the learner's pool (default: the
   * part's, host/boards.ts; 4 MiB for mps2-an386). linux-edge: `--ram`, the linear memory the program may
   * use; wasi: `ram_limit_bytes`, likewise (default for both: no limit).
   */
  ramBytes?: number;
  /** A bare-metal board: STACK_BYTES of the build (default: its Makefile's). */
  stackBytes?: number;
  /** A bare-metal board: CALL_DEPTH of the build (default: its Makefile's). */
  callDepth?: number;
  /** linux-edge: cross-compiler prefix, e.g. 'arm-linux-gnueabihf-' (default: native gcc). */
  cross?: string;
  /** The device program (default build/ff-device.wasm) and the learner library (build/ff-core.wasm). */
  deviceWasm?: string;
  coreWasm?: string;
}

export interface Budget {
  target: BudgetTarget;
  /** Layer sizes as "64-32-32", for tables. */
  model: string;
  /** Program storage: flash on the MCU, the binary on Linux, the .wasm for wasi. */
  flash: { text: number; data: number; total: number };
  ram: {
    /** Main stack the firmware reserves (bare-metal boards only). */
    stack: number;
    /** Initialised (.data) and zeroed (.bss) statics of the native program, outside linear memory. */
    data: number;
    bss: number;
    /** The device program's own static data in linear memory (below __heap_base). */
    deviceStatic: number;
    /** The learner's arena for this config (params, optimizer state, activations, stats, the continual block). */
    arena: number;
    /** Of the arena: the replay buffer (config.replay; 0 when off). */
    replayBuffer: number;
    /** Of the arena: the rest of the continual block (predictions, drift flags, saved stats, alignment; 0 when every mechanism is off). */
    continual: number;
    /** What the learner keeps spare on top (and the arena's alignment to 16): it accepts the config only if deviceStatic + arena + margin fit. */
    margin: number;
    /** Linear memory the device needs to accept the config: deviceStatic + arena + margin. */
    linearMemory: number;
    /** Everything: stack + data + bss + linearMemory. */
    total: number;
  };
  /** The RAM limit checked, and what it applies to; null = no limit. */
  limit: { bytes: number; appliesTo: 'RAM' | 'linear memory' } | null;
  /** limit - what it applies to (negative when it does not fit); null without a limit. */
  free: number | null;
  /** Bytes of parameters (the checkpoint blob). */
  paramsBytes: number;
  fits: boolean;
  /** One sentence with the numbers; says what to change when it does not fit. */
  message: string;
}

function checkBytes(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 0xffffffff)) {
    throw new TypeError(`${name} must be a whole number of bytes from 1 to 4294967295, got ${value}`);
  }
}

/** Flash and RAM of `config` on `target`. Builds the firmware on first use (needs its toolchain). */
export async function budget(options: BudgetOptions): Promise<Budget> {
  if (!BUDGET_TARGETS.includes(options?.target)) {
    throw new TypeError(`target must be one of ${BUDGET_TARGETS.join(', ')}, got ${JSON.stringify(options?.target)}`);
  }
  checkBytes('ramBytes', options.ramBytes);
  checkBytes('stackBytes', options.stackBytes);
  const config = resolveConfig(options.config);
  const deviceWasm = options.deviceWasm ?? wasmPath('ff-device');
  const learner = await learnerFigures(options.config, options.coreWasm ?? wasmPath('ff-core'));
  const deviceStatic = await deviceHeapBase(deviceWasm);
  // The arena starts at __heap_base rounded up to 16 (assembly/learner/arena.ts), on the device as in ff-core.
  const deviceArenaBase = Math.ceil(deviceStatic / 16) * 16;
  const linearMemory = learner.needed - learner.coreBase + deviceArenaBase;
  const margin = linearMemory - deviceStatic - learner.arena;

  let flash: Budget['flash'];
  let stack = 0,
    data = 0,
    bss = 0;
  const board = boardOf(options.target);
  if (board) {
    const elf = await boardSections(board, deviceWasm, options.stackBytes ?? board.stackBytes, options.callDepth ?? board.callDepth);
    flash = { text: elf.text, data: elf.data, total: elf.text + elf.data };
    ({ stack, data, bss } = elf);
  } else if (options.target === 'linux-edge') {
    const exe = await linuxSizes(deviceWasm, options.cross ?? '');
    flash = { text: exe.text, data: exe.data, total: exe.text + exe.data };
    ({ data, bss } = exe);
  } else {
    const size = (await stat(deviceWasm)).size;
    flash = { text: size, data: 0, total: size };
  }

  const total = stack + data + bss + linearMemory;
  const limitBytes = options.ramBytes ?? board?.ramBytes;
  const limit = limitBytes === undefined ? null : { bytes: limitBytes, appliesTo: board ? ('RAM' as const) : ('linear memory' as const) };
  const used = limit?.appliesTo === 'RAM' ? total : linearMemory;
  const free = limit ? limit.bytes - used : null;
  const fits = free === null || free >= 0;
  const model = [config.inputSize, ...config.layers].join('-');
  const linearParts = `device program ${deviceStatic} + arena ${learner.arena} + learner margin ${margin}`;
  const parts =
    limit?.appliesTo === 'linear memory' || (!limit && !board)
      ? linearParts
      : `${stack ? `stack ${stack} + ` : ''}${data + bss ? `statics ${data + bss} + ` : ''}${linearParts}`;
  let message: string;
  if (!limit) {
    message = `${model} on ${options.target} uses ${used} bytes of ${board ? 'RAM' : 'linear memory'} (${parts}) and ${flash.total} bytes of ${options.target === 'wasi' ? 'wasm' : 'program'}; no RAM limit given`;
  } else if (fits) {
    message = `${model} fits on ${options.target}: ${used} of ${limit.bytes} bytes of ${limit.appliesTo} (${parts}), ${free} free`;
  } else {
    const adam = config.optimizer === 'adam' ? `, or optimizer "sgd" (one optimizer state instead of two: ${learner.paramsBytes} bytes less)` : '';
    message = `${model} does not fit on ${options.target}: it needs ${used} bytes of ${limit.appliesTo} (${parts}), the target has ${limit.bytes}: ${-free!} bytes short; use fewer or narrower layers${adam}${limit.appliesTo === 'RAM' ? ', a smaller stack (stackBytes with callDepth)' : ''}, or a part with more RAM`;
  }
  return {
    target: options.target,
    model,
    flash,
    ram: {
      stack,
      data,
      bss,
      deviceStatic,
      arena: learner.arena,
      replayBuffer: learner.replayBuffer,
      continual: learner.continual,
      margin,
      linearMemory,
      total,
    },
    limit,
    free,
    paramsBytes: learner.paramsBytes,
    fits,
    message,
  };
}

/** The budget as an aligned text table (for `ffedge budget`). */
export function formatBudget(b: Budget): string {
  const rows: Array<[string, string, number | string]> = [
    ['flash', 'code (.text)', b.flash.text],
    ['', 'initialised data', b.flash.data],
    ['', 'total', b.flash.total],
    ['RAM', 'stack', b.ram.stack],
    ['', 'program statics (.data + .bss)', b.ram.data + b.ram.bss],
    ['', 'device program statics', b.ram.deviceStatic],
    ['', 'learner arena', b.ram.arena],
    ...(b.ram.continual + b.ram.replayBuffer > 0
      ? ([
          ['', '  of which replay buffer', b.ram.replayBuffer],
          ['', '  of which continual state', b.ram.continual],
        ] as Array<[string, string, number]>)
      : []),
    ['', 'learner margin', b.ram.margin],
    ['', 'total', b.ram.total],
  ];
  if (b.limit) {
    rows.push(['limit', `${b.limit.appliesTo}${b.limit.appliesTo === 'linear memory' ? ` (of which ${b.ram.linearMemory} used)` : ''}`, b.limit.bytes]);
    rows.push(['', 'free', b.free!]);
  }
  const width = Math.max(...rows.map((r) => String(r[2]).length));
  const label = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([group, name, value]) => `${group.padEnd(6)}${name.padEnd(label + 2)}${String(value).padStart(width)}`);
  return [`${b.model} on ${b.target} (bytes)`, ...lines, `${b.fits ? 'fits' : 'DOES NOT FIT'}: ${b.message}`].join('\n');
}

// ---- the learner: arena and the memory it demands ------------------------------

interface LearnerFigures {
  /** Arena bytes of the actual layout. */
  arena: number;
  /** Of the arena: the replay buffer, and the rest of the continual block. */
  replayBuffer: number;
  continual: number;
  paramsBytes: number;
  /** ff-core.wasm's arena base (its __heap_base, 16-aligned). */
  coreBase: number;
  /** Linear-memory end the learner demands in ff-core.wasm (base + arena + margin). */
  needed: number;
}

async function learnerFigures(config: LearnerConfig, coreWasm: string): Promise<LearnerFigures> {
  const wasm = await readFile(coreWasm);
  const unlimited = await Learner.load({ wasm, memoryLimit: 0 });
  const { arenaBytes, paramsBytes } = unlimited.configure(config); // ConfigError etc. propagate
  const coreBase = unlimited.exports.paramsPtr();
  const replayBuffer = unlimited.replay().bytes;
  // The same config with every continual mechanism off: the difference is the continual block.
  const plain = await Learner.load({ wasm, memoryLimit: 0 });
  const { prequential: _p, replay: _r, drift: _d, ...without } = config;
  const continual = arenaBytes - plain.configure(without).arenaBytes - replayBuffer;
  // With a 1-byte limit the learner refuses, naming the linear-memory end its layout needs.
  const starved = await Learner.load({ wasm, memoryLimit: 1 });
  try {
    starved.configure(config);
  } catch (error) {
    if (error instanceof ArenaTooSmallError) return { arena: arenaBytes, replayBuffer, continual, paramsBytes, coreBase, needed: error.bytesNeeded };
    throw error;
  }
  throw new Error(`${coreWasm} accepted a config with a 1-byte memory limit: rebuild it (npm run build:wasm)`);
}

// ---- the device program's static data ------------------------------------------

const heapBases = new Map<string, { mtimeMs: number; base: number }>();

/** HELLO.arenaFree = limit - __heap_base for an unconfigured device: its static data. */
export async function deviceHeapBase(deviceWasm: string = wasmPath('ff-device')): Promise<number> {
  const { mtimeMs } = await stat(deviceWasm);
  const cached = heapBases.get(deviceWasm);
  if (cached?.mtimeMs === mtimeMs) return cached.base;
  const LIMIT = 0x40000000;
  const hello = (await runDeviceInProcess(deviceWasm, LIMIT, new Uint8Array(0))).find((m) => m.type === 'HELLO');
  if (hello?.type !== 'HELLO') throw new Error(`${deviceWasm} sent no HELLO at boot`);
  const base = LIMIT - hello.arenaFree;
  heapBases.set(deviceWasm, { mtimeMs, base });
  return base;
}

/**
 * Runs ff-device.wasm in this process with a stub WASI: `input` is the whole link
 * from the host (then end of input, so _start returns), `ramLimitBytes` its
 * ram_limit_bytes. Returns every message it wrote, boot HELLO first. What the
 * device would answer, without a child process (budgets and their tests).
 */
export async function runDeviceInProcess(deviceWasm: string, ramLimitBytes: number, input: Uint8Array): Promise<Message[]> {
  const written: number[] = [];
  let inputAt = 0;
  let memory: WebAssembly.Memory | undefined;
  const view = (): DataView => new DataView(memory!.buffer);
  const iovecs = (iovs: number, count: number): Array<[number, number]> =>
    Array.from({ length: count }, (_, i) => [view().getUint32(iovs + 8 * i, true), view().getUint32(iovs + 8 * i + 4, true)]);
  const wasi = {
    fd_read: (_fd: number, iovs: number, count: number, read: number) => {
      let total = 0;
      for (const [at, length] of iovecs(iovs, count)) {
        const chunk = input.subarray(inputAt, inputAt + length);
        new Uint8Array(memory!.buffer, at, chunk.length).set(chunk);
        inputAt += chunk.length;
        total += chunk.length;
      }
      view().setUint32(read, total, true);
      return 0;
    },
    fd_write: (_fd: number, iovs: number, count: number, wrote: number) => {
      let total = 0;
      for (const [at, length] of iovecs(iovs, count)) {
        written.push(...new Uint8Array(memory!.buffer, at, length));
        total += length;
      }
      view().setUint32(wrote, total, true);
      return 0;
    },
    proc_exit: (code: number) => {
      throw new Error(`${deviceWasm} called proc_exit(${code})`);
    },
    clock_time_get: () => 52, // ENOSYS: the device program does not use clocks
    random_get: () => 52,
  };
  const { instance } = await WebAssembly.instantiate(await readFile(deviceWasm), { wasi_snapshot_preview1: wasi });
  const exports = instance.exports as { memory: WebAssembly.Memory; _start(): void; ram_limit_bytes?: WebAssembly.Global };
  memory = exports.memory;
  if (!(exports.ram_limit_bytes instanceof WebAssembly.Global)) {
    throw new Error(`${deviceWasm} does not export ram_limit_bytes: rebuild it (npm run build:wasm)`);
  }
  exports.ram_limit_bytes.value = ramLimitBytes;
  exports._start();
  return new Deframer().push(Uint8Array.from(written)).map(decodeMessage);
}

// ---- the native programs -------------------------------------------------------

async function make(dir: string, vars: Record<string, string | number>): Promise<void> {
  try {
    await run('make', ['-s', '-C', dir, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], { cwd: packageRoot });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('make is not installed: run scripts/setup-toolchains.sh');
    throw new Error(`building ${dir} failed (toolchains: scripts/setup-toolchains.sh): ${e.stderr?.trim() || e.message}`);
  }
}

async function sizeTool(tool: string, args: string[]): Promise<string> {
  try {
    return (await run(tool, args)).stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${tool} is not installed: run scripts/setup-toolchains.sh`);
    throw error;
  }
}

/** Section sizes of a board's firmware for `deviceWasm`, built once per setting into build/budget-*. */
async function boardSections(board: FirmwareBoard, deviceWasm: string, stackBytes: number, callDepth: number) {
  const dir = boardDir(board);
  const build = join(dir, 'build', `budget-stack${stackBytes}-depth${callDepth}`);
  // .wasm_pool (RAM_BYTES) is replaced by what the learner needs. The build still gets a
  // pool of a real size (a token 16-byte one lets the RISC-V linker relax accesses to it
  // to gp-relative and under-count flash by ~0.6 KB), small enough to link beside the stack.
  const pool = Math.max(16, Math.min(65536, board.ramBytes - stackBytes - 4096));
  await make(dir, { WASM: deviceWasm, BUILD: build, RAM_BYTES: pool, STACK_BYTES: stackBytes, CALL_DEPTH: callDepth });
  const out = await sizeTool(`${board.prefix}size`, ['-A', join(build, 'fw.elf')]);
  const section = (name: string): number => Number(out.match(new RegExp(`^\\${name}\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return {
    text: section('.vectors') + section('.text') + section('.ARM.exidx'),
    data: section('.data'),
    bss: section('.bss'),
    stack: section('.stack'),
  };
}

/** Berkeley sizes of the linux-edge program for `deviceWasm`. */
async function linuxSizes(deviceWasm: string, cross: string) {
  const dir = join(packageRoot, 'firmware-targets', 'linux-edge');
  const build = join(dir, 'build', `budget-${cross || 'native'}`);
  await make(dir, { WASM: deviceWasm, BUILD: build, CROSS: cross });
  const out = await sizeTool(`${cross}size`, [join(build, 'ff-device')]);
  const [text, data, bss] = out.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  return { text: text!, data: data!, bss: bss! };
}
