// npm run bench: training-step throughput of the FF learner on every runtime we
// have, over a sweep of model sizes, each figure a median of repeated runs and a
// ratio to the plain C reference measured in the same run.
//
//   npm run bench                         # build, full sweep (~3-5 min on 2 cores)
//   node dist/host/bench/speed.js [--quick] [--sizes 32-16,784-500] [--runtimes v8-simd,c-strict]
//     [--rounds N] [--repeats N] [--target-ms MS] [--no-m4] [--out DIR] [--json]
//
// Method. Every runtime trains the same model (SPEED_OPTIONS: batch 1, mean-squares
// goodness, Adam, random wrong label, label prepended, no head: what the C reference
// implements) on the same samples. For each model the runtimes take turns in
// `rounds` rounds (order reversed every other round, so a noisy spell hits all of
// them); in each round a runtime trains a fresh model `warmup` steps, then times
// `repeats` runs of `steps` steps, `steps` chosen so one run lasts about
// `targetMs`. A runtime's figure is the median of all its runs; its ratio to C is
// the median over rounds of (its median / C's median in that round). So on a busy
// machine the ratios hold better than the absolute times.
// After the timing, the bit-exact runtimes (V8 scalar, wasm2c, C strict) train 3
// steps from the same start and must end with the same weights (FNV-1a): proof
// they did the same work.
//
// The M4 column is instructions per step under QEMU -icount (host/bench/firmware.ts),
// not time, for the models whose arena fits the bench harness's 128 KiB pool.
//
// Non-goals: batches > 1, the other learning rules, the wire protocol (bench:stream).

import { execFile } from 'node:child_process';
import { Command, Option } from 'commander';
import { cpus } from 'node:os';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Learner } from '../learner/learner.js';
import { onPath, packageRoot, wasmPath } from '../paths.js';
import { commaList, positiveInteger, positiveNumber } from '../command-line.js';
import { buildM4Bench, runM4Bench } from './firmware.js';
import { benchModel, makeRuntimes, referenceDir, RUNTIMES, SPEED_OPTIONS, type BenchModel, type Runtime, type RuntimeId } from './speed-runtimes.js';
import { speedMarkdown, speedSvg } from './speed-report.js';

const exec = promisify(execFile);

/** The default sweep, ~700 to ~1M parameters (first layer fan-in is inputs + 10 label units). */
export const SPEED_SIZES = ['32-16', '64-64', '96-96', '128-128-64', '256-256', '784-256', '784-500', '784-500-500', '1024-1000'];
/** The MNIST-sized model the SIMD target is stated for. */
export const TARGET_MODEL = '784-500-500';
/** ts-reference (float64 arrays, allocation per step) only up to this many parameters. */
export const TS_REFERENCE_MAX_PARAMS = 50_000;
/** The M4 bench harness's linear-memory pool (host/bench/c-reference/Makefile BENCH_RAM_BYTES). */
const M4_POOL_BYTES = 131072;

export interface SpeedOptions {
  /** Model names ("784-500-500"); default SPEED_SIZES (quick: ["32-16"]). */
  sizes?: string[];
  /** Runtimes to try; default all. Unavailable ones are reported as skipped. */
  runtimes?: RuntimeId[];
  /** Instruction counts on the Cortex-M4 under QEMU; default true (quick: false). */
  m4?: boolean;
  rounds?: number;
  repeats?: number;
  /** Aim for timed runs of about this long; default 30 ms (quick: fixed `steps`). */
  targetMs?: number;
  /** Fixed steps per timed run (instead of targetMs); quick default 5. */
  steps?: number;
  /** Smoke run: one tiny model, 1 round, 3 repeats of 5 steps, no M4, one compile timing. */
  quick?: boolean;
  /** Where native builds go; default host/bench/c-reference/build. */
  buildDir?: string;
  /** Write speed.json, speed.md, speed.svg here; default out/bench (null: write nothing). */
  outDir?: string | null;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface SpeedResult {
  model: string;
  params: number;
  runtime: RuntimeId;
  /** Median ns per training step over all timed runs. */
  nsPerStep: number;
  nsPerParam: number;
  /** Every timed run's ns/step, round by round. */
  samples: number[];
  rounds: number;
  steps: number;
  repeats: number;
  warmup: number;
  /** Median over rounds of this runtime's time / C strict's in the same round (> 1: slower). */
  timeVsCStrict: number | null;
  timeVsCFastMath: number | null;
  /** Bit-exact runtimes: same weights as C strict after the 3-step check (null: not checked). */
  sameWeightsAsCStrict: boolean | null;
}

export interface M4Result {
  model: string;
  params: number;
  steps: number;
  wasm2cInstructionsPerStep: number;
  cInstructionsPerStep: number;
  /** wasm2c (bounds checks, the firmware default) / C reference. */
  ratio: number;
  sameWeights: boolean;
}

export interface WasmBuildInfo {
  build: 'scalar' | 'simd';
  file: string;
  bytes: number;
  /** Median ms of `new WebAssembly.Module(bytes)` in a fresh Node process. */
  compileMs: number;
  /** Median ms of `new WebAssembly.Instance(module, {})`. */
  instantiateMs: number;
  samples: number;
}

export interface SpeedReport {
  version: 1;
  date: string;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; v8: string; gcc: string | null; wasm2c: string | null; qemu: string | null };
  options: typeof SPEED_OPTIONS;
  method: { rounds: number; repeats: number; targetMs: number | null; steps: number | null; reference: 'c-strict' };
  models: Array<{ name: string; inputSize: number; layers: number[]; params: number }>;
  runtimes: Array<{ id: RuntimeId; label: string; detail: string; available: boolean; skipped?: string }>;
  results: SpeedResult[];
  m4: M4Result[];
  m4Skipped: string | null;
  wasm: WasmBuildInfo[];
  nativeBuildSeconds: number | null;
  targets: SpeedTargets;
  seconds: number;
}

export interface SpeedTargets {
  /** V8 SIMD on TARGET_MODEL: speed relative to C fast-math (>= 0.8 wanted) and to C strict (> 1 wanted). */
  simdVsFastMath: { model: string; speedVsCFastMath: number | null; speedVsCStrict: number | null; met: boolean | null };
  /** Per runtime: ns/param/step over the models of 10k..1.1M params, spread around the median (within +-20% wanted). */
  flatness: Array<{ runtime: RuntimeId; models: string[]; median: number; low: number; high: number; met: boolean }>;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

async function firstLine(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await exec(command, args, { timeout: 10_000 });
    return (stdout || stderr).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

/** Compile and instantiate time of a wasm file, each sample in a fresh Node process (no code cache). */
export async function wasmLoadTimes(file: string, samples: number): Promise<{ compileMs: number; instantiateMs: number }> {
  const script = `const b=require('fs').readFileSync(process.argv[1]);let t=process.hrtime.bigint();const m=new WebAssembly.Module(b);
const c=Number(process.hrtime.bigint()-t)/1e6;t=process.hrtime.bigint();new WebAssembly.Instance(m,{});
console.log(JSON.stringify([c,Number(process.hrtime.bigint()-t)/1e6]))`;
  const compile: number[] = [],
    instantiate: number[] = [];
  for (let s = 0; s < samples; s++) {
    const { stdout } = await exec(process.execPath, ['-e', script, file], { timeout: 60_000 });
    const [c, i] = JSON.parse(stdout) as [number, number];
    compile.push(c);
    instantiate.push(i);
  }
  return { compileMs: median(compile), instantiateMs: median(instantiate) };
}

/** M4 instruction counts for the models whose arena fits the harness pool. */
async function m4Counts(models: BenchModel[], buildDir: string, log: (s: string) => void): Promise<{ results: M4Result[]; skipped: string | null }> {
  const missing = ['qemu-system-arm', 'arm-none-eabi-gcc', 'wasm2c', 'make'].filter((t) => !onPath(t));
  if (missing.length > 0) return { results: [], skipped: `toolchain missing: ${missing.join(', ')}` };
  const learner = await Learner.load();
  const results: M4Result[] = [];
  const tooBig: string[] = [];
  for (const model of models) {
    const { arenaBytes } = learner.configure(model.config);
    // ff-core's static data and stack sit in the same pool: keep 16 KiB for them.
    if (arenaBytes + 16384 > M4_POOL_BYTES) {
      tooBig.push(model.name);
      continue;
    }
    log(`  M4 (QEMU) ${model.name}`);
    const steps = 10;
    const elfs = await buildM4Bench({ config: model.config, steps, build: join(buildDir, 'speed-m4') });
    const wasm2c = await runM4Bench(elfs.wasm2c, true);
    const c = await runM4Bench(elfs.cref);
    results.push({
      model: model.name,
      params: model.params,
      steps,
      wasm2cInstructionsPerStep: wasm2c.perStep,
      cInstructionsPerStep: c.perStep,
      ratio: wasm2c.perStep / c.perStep,
      sameWeights: wasm2c.weightsFnv === c.weightsFnv,
    });
  }
  return { results, skipped: tooBig.length > 0 ? `models over the harness's ${M4_POOL_BYTES / 1024} KiB pool: ${tooBig.join(', ')}` : null };
}

export function evaluateTargets(results: SpeedResult[]): SpeedTargets {
  const simd = results.find((r) => r.model === TARGET_MODEL && r.runtime === 'v8-simd');
  const speedVsCFastMath = simd?.timeVsCFastMath ? 1 / simd.timeVsCFastMath : null;
  const speedVsCStrict = simd?.timeVsCStrict ? 1 / simd.timeVsCStrict : null;
  const flatness: SpeedTargets['flatness'] = [];
  for (const info of RUNTIMES) {
    const rows = results.filter((r) => r.runtime === info.id && r.params >= 10_000 && r.params <= 1_100_000);
    if (rows.length < 2) continue;
    const mid = median(rows.map((r) => r.nsPerParam));
    const low = Math.min(...rows.map((r) => r.nsPerParam)) / mid - 1;
    const high = Math.max(...rows.map((r) => r.nsPerParam)) / mid - 1;
    flatness.push({ runtime: info.id, models: rows.map((r) => r.model), median: mid, low, high, met: low >= -0.2 && high <= 0.2 });
  }
  return {
    simdVsFastMath: {
      model: TARGET_MODEL,
      speedVsCFastMath,
      speedVsCStrict,
      met: speedVsCFastMath === null || speedVsCStrict === null ? null : speedVsCFastMath >= 0.8 && speedVsCStrict > 1,
    },
    flatness,
  };
}

export async function runSpeedBench(options: SpeedOptions = {}): Promise<SpeedReport> {
  const started = performance.now();
  const quick = options.quick ?? false;
  const log = options.log ?? (() => {});
  const sizes = options.sizes ?? (quick ? ['32-16'] : SPEED_SIZES);
  const models = sizes.map(benchModel);
  const rounds = options.rounds ?? (quick ? 1 : 11);
  const repeats = options.repeats ?? (quick ? 3 : 2);
  const fixedSteps = options.steps ?? (quick ? 5 : null);
  const targetMs = fixedSteps === null ? (options.targetMs ?? 30) : null;
  const buildDir = options.buildDir ?? join(referenceDir, 'build');
  const wanted = options.runtimes ?? RUNTIMES.map((r) => r.id);
  for (const id of wanted)
    if (!RUNTIMES.some((r) => r.id === id)) throw new TypeError(`unknown runtime "${id}"; one of ${RUNTIMES.map((r) => r.id).join(', ')}`);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(repeats) || repeats < 1) throw new TypeError('rounds and repeats must be positive integers');

  log(`building the native runtimes (make -C host/bench/c-reference speed)...`);
  const made = await makeRuntimes(wanted, buildDir);
  const byId = new Map(made.runtimes.map((r) => [r.info.id, r] as const));
  const results: SpeedResult[] = [];

  for (const model of models) {
    const active = made.runtimes.filter((r) => r.info.id !== 'ts-reference' || model.params <= TS_REFERENCE_MAX_PARAMS);
    for (const rt of active) await rt.prepare(model);
    // Steps per timed run and warmup from a probe (unless fixed).
    const plan = new Map<Runtime, { steps: number; warmup: number }>();
    for (const rt of active) {
      if (fixedSteps !== null) {
        plan.set(rt, { steps: fixedSteps, warmup: 2 });
        continue;
      }
      const probe = await rt.run(model, { steps: 2, repeats: 1, warmup: 1 });
      const ns = Math.max(50, probe.nsPerStep[0]!);
      plan.set(rt, { steps: clamp(Math.ceil((targetMs! * 1e6) / ns), 1, 1_000_000), warmup: clamp(Math.ceil(20e6 / ns), 2, 1_000_000) });
    }
    const samples = new Map<Runtime, number[][]>(active.map((rt) => [rt, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...active].reverse() : active;
      for (const rt of order) {
        const { steps, warmup } = plan.get(rt)!;
        const r = await rt.run(model, { steps, repeats, warmup });
        samples.get(rt)!.push(r.nsPerStep);
      }
    }
    // Same work: the bit-exact runtimes, 3 steps from the same start, same weights.
    const fnv = new Map<RuntimeId, number>();
    const strict = byId.get('c-strict');
    if (strict && active.includes(strict)) {
      for (const rt of active.filter((r) => r.info.bitExact)) {
        const check = await rt.run(model, { steps: 3, repeats: 1, warmup: 0 });
        if (check.weightsFnv !== null) fnv.set(rt.info.id, check.weightsFnv);
      }
    }
    const roundMedian = (rt: Runtime | undefined, round: number) => (rt && samples.has(rt) ? median(samples.get(rt)![round]!) : null);
    const ratio = (rt: Runtime, base: Runtime | undefined): number | null => {
      if (!base || !samples.has(base)) return null;
      const perRound: number[] = [];
      for (let round = 0; round < rounds; round++) perRound.push(roundMedian(rt, round)! / roundMedian(base, round)!);
      return median(perRound);
    };
    for (const rt of active) {
      const all = samples.get(rt)!.flat();
      const nsPerStep = median(all);
      const { steps, warmup } = plan.get(rt)!;
      const cFnv = fnv.get('c-strict');
      results.push({
        model: model.name,
        params: model.params,
        runtime: rt.info.id,
        nsPerStep,
        nsPerParam: nsPerStep / model.params,
        samples: all,
        rounds,
        steps,
        repeats,
        warmup,
        timeVsCStrict: ratio(rt, strict),
        timeVsCFastMath: ratio(rt, byId.get('c-fast-math')),
        sameWeightsAsCStrict: rt.info.bitExact && cFnv !== undefined && fnv.has(rt.info.id) ? fnv.get(rt.info.id) === cFnv : null,
      });
    }
    const line = active
      .map((rt) => {
        const r = results.find((x) => x.model === model.name && x.runtime === rt.info.id)!;
        return `${rt.info.id} ${(r.nsPerStep / 1000).toPrecision(3)} us${r.timeVsCStrict !== null ? ` (${r.timeVsCStrict.toFixed(2)}x)` : ''}`;
      })
      .join(', ');
    log(`  ${model.name} (${model.params} params): ${line}`);
  }

  const m4Wanted = options.m4 ?? !quick;
  const m4 = m4Wanted ? await m4Counts(models, buildDir, log) : { results: [], skipped: 'not requested (--quick or --no-m4)' };

  const wasm: WasmBuildInfo[] = [];
  const loadSamples = quick ? 1 : 5;
  for (const [build, name] of [
    ['scalar', 'ff-core'],
    ['simd', 'ff-core.simd'],
  ] as const) {
    const file = wasmPath(name);
    try {
      const bytes = (await stat(file)).size;
      wasm.push({ build, file: `build/${name}.wasm`, bytes, ...(await wasmLoadTimes(file, loadSamples)), samples: loadSamples });
    } catch {
      /* not built: its runtime is listed as skipped */
    }
  }

  const available = new Set(made.runtimes.map((r) => r.info.id));
  const skipped = new Map(made.skipped.map((s) => [s.id, s.reason] as const));
  const report: SpeedReport = {
    version: 1,
    date: new Date().toISOString(),
    quick,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      v8: process.versions.v8,
      gcc: await firstLine('gcc', ['--version']),
      wasm2c: await firstLine('wasm2c', ['--version']),
      qemu: await firstLine('qemu-system-arm', ['--version']),
    },
    options: SPEED_OPTIONS,
    method: { rounds, repeats, targetMs, steps: fixedSteps, reference: 'c-strict' },
    models: models.map((m) => ({ name: m.name, inputSize: m.config.inputSize, layers: m.config.layers, params: m.params })),
    runtimes: RUNTIMES.filter((r) => wanted.includes(r.id)).map((r) => ({
      id: r.id,
      label: r.label,
      detail: r.detail,
      available: available.has(r.id),
      ...(skipped.has(r.id) ? { skipped: skipped.get(r.id)! } : {}),
    })),
    results,
    m4: m4.results,
    m4Skipped: m4.skipped,
    wasm,
    nativeBuildSeconds: made.buildSeconds,
    targets: evaluateTargets(results),
    seconds: 0,
  };
  report.seconds = (performance.now() - started) / 1000;
  if (options.outDir !== null) {
    const dir = options.outDir ?? join(packageRoot, 'out', 'bench');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'speed.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(dir, 'speed.md'), speedMarkdown(report));
    await writeFile(join(dir, 'speed.svg'), speedSvg(report));
  }
  return report;
}

/** Reads a report written by runSpeedBench (e.g. to re-render it). */
export async function readSpeedReport(file: string): Promise<SpeedReport> {
  return JSON.parse(await readFile(file, 'utf8')) as SpeedReport;
}

interface SpeedFlags {
  quick?: boolean;
  sizes?: string[];
  runtimes?: string[];
  rounds?: number;
  repeats?: number;
  targetMs?: number;
  steps?: number;
  m4?: boolean;
  out?: string;
  json?: boolean;
}

/** The options of this script (commander); `npm run bench` (all.ts) accepts the same. */
export function speedOptions(): Option[] {
  return [
    new Option('--quick', 'smoke run: model 32-16, 1 round of 3 x 5 steps, no M4'),
    new Option('--sizes <list>', `models as inputs-width[-width...] (default ${SPEED_SIZES.join(',')})`).argParser(commaList),
    new Option('--runtimes <list>', `subset of ${RUNTIMES.map((r) => r.id).join(', ')}`).argParser(commaList),
    new Option('--rounds <n>', 'rounds of turns (default 11)').argParser(positiveInteger),
    new Option('--repeats <n>', 'timed runs per turn (default 2)').argParser(positiveInteger),
    new Option('--target-ms <ms>', 'length of one timed run (default 30)').argParser(positiveNumber),
    new Option('--steps <n>', 'fixed steps per timed run instead of --target-ms').argParser(positiveInteger),
    new Option('--m4', 'Cortex-M4 instruction counts under QEMU (default on, off with --quick)'),
    new Option('--no-m4', 'no Cortex-M4 instruction counts'),
    new Option('--out <dir>', 'where speed.json/.md/.svg go (default out/bench)'),
    new Option('--json', 'print the JSON report instead of the tables'),
  ];
}

async function main(): Promise<void> {
  const program = new Command('node dist/host/bench/speed.js').description(
    'Training-step speed of the FF learner per runtime and model size, as ratios to the plain C reference (npm run bench builds first).',
  );
  for (const option of speedOptions()) program.addOption(option);
  const flags = program.parse().opts<SpeedFlags>();
  const json = flags.json === true;
  const report = await runSpeedBench({
    quick: flags.quick === true,
    sizes: flags.sizes,
    runtimes: flags.runtimes as RuntimeId[] | undefined,
    rounds: flags.rounds,
    repeats: flags.repeats,
    targetMs: flags.targetMs,
    steps: flags.steps,
    m4: flags.m4,
    outDir: flags.out,
    log: json ? undefined : (line) => console.error(line),
  });
  console.log(json ? JSON.stringify(report, null, 2) : speedMarkdown(report));
  if (!json) console.error(`wrote ${join(flags.out ?? 'out/bench', 'speed.{json,md,svg}')} in ${report.seconds.toFixed(0)} s`);
  if (report.results.some((r) => r.sameWeightsAsCStrict === false) || report.m4.some((m) => !m.sameWeights)) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
