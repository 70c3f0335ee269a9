// The board table of docs/boards.md: for the 64-32-32 IMU demo model (Adam, batch 1),
// on every bare-metal board of host/boards.ts: flash and RAM of the device firmware
// (host/budget.ts, from the built ELF), instructions per training step, and what that
// gives at the part's nominal clock.
//
//   node dist/host/bench/boards.js [--steps N] [--json]     (npm run bench:firmware runs it)
//
// Instructions: the board's own firmware (its startup, clock, UART) built from
// ff-core.wasm with EMBED=step-bench (firmware-targets/wasm2c-glue/step-bench.c): N
// training steps between two clock reads under QEMU `-icount shift=0`, where one
// virtual nanosecond is one executed instruction. Instruction counts, not cycles:
// samples/s = nominal clock / instructions per step is the rate at one instruction
// per cycle, an upper bound (flash wait states, cache misses and multi-cycle
// instructions only lower it). The weights after the steps must equal ff-core.wasm
// trained in V8 on the same samples (FNV-1a), or the run fails.
// The nRF51's 16 KiB cannot hold the model, so its ARMv6-M (Cortex-M0, soft float)
// build runs on QEMU's mps2-an386 instead: the same instructions, counted on an M4
// core that executes them one for one.

import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Learner } from '../learner/learner.js';
import { budget, SENSOR_DEMO_MODEL, type Budget } from '../budget.js';
import { boardDir, FIRMWARE_BOARDS, firmwareBoard, type FirmwareBoard } from '../boards.js';
import { wasmPath } from '../paths.js';
import { benchConfigHeader, benchSamples, fnv1a } from './firmware.js';

const run = promisify(execFile);
const LINE = /ffedge-bench impl=wasm2c steps=(\d+) instructions=(\d+) per_step=(\d+) arena=(\d+) weights_fnv=0x([0-9a-f]+) status=(\d+)/;
/** Linear memory of the bench builds: ff-core's statics + the demo model's arena (43 824 B) fit. */
const BENCH_RAM_BYTES = 65536;

export interface BoardRun {
  board: string;
  /** Where the instructions were counted (QEMU machine), when not the board's own. */
  machine: string;
  steps: number;
  perStep: number;
  weightsFnv: number;
  /** nominalHz / perStep: samples per second at one instruction per cycle. */
  samplesPerSecond: number;
  budget: Budget;
}

/** The weights' FNV-1a after `steps` steps of ff-core.wasm in V8, as step-bench.c trains. */
export async function referenceFnv(steps: number): Promise<number> {
  const learner = await Learner.load();
  learner.configure(SENSOR_DEMO_MODEL);
  const samples = benchSamples(SENSOR_DEMO_MODEL.inputSize);
  for (let k = 0; k < steps; k++) learner.train(samples[k % samples.length]!, [k % SENSOR_DEMO_MODEL.classes]);
  return fnv1a(learner.exportWeights());
}

/** Build the board's step bench and run it under -icount shift=0. */
export async function runBoardBench(board: FirmwareBoard, steps: number): Promise<Omit<BoardRun, 'budget' | 'samplesPerSecond'>> {
  // The nRF51 has 16 KiB: its Cortex-M0 code is counted on the M4 board (see above).
  const host = board.name === 'nrf51-microbit' ? firmwareBoard('cortex-m4-qemu') : board;
  const build = join(boardDir(board), 'build', `step-bench-${steps}`);
  await mkdir(build, { recursive: true });
  const header = join(build, 'bench-config.h');
  await writeFile(header, benchConfigHeader(SENSOR_DEMO_MODEL));
  const vars = [
    `WASM=${wasmPath('ff-core')}`,
    `BUILD=${build}`,
    'EMBED=step-bench',
    `BENCH_CONFIG=${header}`,
    `BENCH_STEPS=${steps}`,
    'SEMIHOSTING=1',
    `RAM_BYTES=${BENCH_RAM_BYTES}`,
  ];
  if (host !== board) vars.push('CPU=-mcpu=cortex-m0 -mthumb -mfloat-abi=soft', 'STACK_BYTES=16384');
  await run('make', ['-s', '-C', boardDir(host), ...vars]);
  const exit = host.qemu === 'qemu-system-arm' ? ['-semihosting-config', 'enable=on,target=native'] : [];
  const { stdout } = await run(
    host.qemu,
    ['-M', host.machine, ...host.qemuArgs, '-nographic', '-monitor', 'none', '-icount', 'shift=0', ...exit, '-kernel', join(build, 'fw.elf')],
    { timeout: 600_000 },
  );
  const m = stdout.match(LINE);
  if (!m) throw new Error(`${board.name}: the step bench printed no result line: ${stdout.trim() || '(nothing)'}`);
  if (m[6] !== '0') throw new Error(`${board.name}: the learner returned status ${m[6]} (arena field ${m[4]})`);
  return { board: board.name, machine: host.machine, steps: Number(m[1]), perStep: Number(m[3]), weightsFnv: parseInt(m[5]!, 16) };
}

export async function benchBoards(options: { steps?: number } = {}): Promise<{ runs: BoardRun[]; referenceFnv: number }> {
  const steps = options.steps ?? 20;
  const reference = await referenceFnv(steps);
  const runs: BoardRun[] = [];
  for (const board of FIRMWARE_BOARDS) {
    const measured = await runBoardBench(board, steps);
    if (measured.weightsFnv !== reference) {
      throw new Error(
        `${board.name}: weights FNV-1a 0x${measured.weightsFnv.toString(16)} after ${steps} steps, V8 gives 0x${reference.toString(16)}: not bit-identical`,
      );
    }
    const b = await budget({ target: board.name as Budget['target'], config: SENSOR_DEMO_MODEL });
    runs.push({ ...measured, samplesPerSecond: board.nominalHz / measured.perStep, budget: b });
  }
  return { runs, referenceFnv: reference };
}

const kb = (bytes: number): string => `${bytes % 1024 === 0 ? bytes / 1024 : (bytes / 1024).toFixed(1)} KiB`;

/** The docs/boards.md table, as Markdown. */
export function formatBoards(result: { runs: BoardRun[]; referenceFnv: number }): string {
  const out = [
    `64-32-32 IMU demo model (Adam, mean-squares, batch 1), ff-device.wasm through wasm2c, bounds checks on; instructions per step: mean of ${result.runs[0]?.steps} steps under QEMU -icount shift=0; weights after them bit-identical to V8 on every board (FNV-1a 0x${result.referenceFnv.toString(16).padStart(8, '0')}).`,
    '',
    '| board | core | flash used / part | RAM needed / part (stack) | fits | instructions / step | nominal clock | samples/s at 1 IPC |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const r of result.runs) {
    const board = firmwareBoard(r.board);
    const counted = r.machine !== board.machine ? ` (counted on ${r.machine})` : '';
    out.push(
      `| ${board.name}: ${board.part} | ${board.core} | ${kb(r.budget.flash.total)} / ${kb(board.flashBytes)} | ${kb(r.budget.ram.total)} / ${kb(board.ramBytes)} (${r.budget.ram.stack} B) | ${r.budget.fits ? 'yes' : `no, ${-r.budget.free!} B short`} | ${r.perStep.toLocaleString('en-US')}${counted} | ${board.nominalHz / 1e6} MHz | ${r.samplesPerSecond.toFixed(r.samplesPerSecond < 10 ? 1 : 0)} |`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--steps');
  const result = await benchBoards({ steps: at >= 0 ? Number(args[at + 1]) : undefined });
  console.log(args.includes('--json') ? JSON.stringify(result, null, 2) : formatBoards(result));
}
