// The runtimes of the speed sweep (host/bench/speed.ts), each behind one
// interface: train `steps` FF steps `repeats` times after `warmup` steps, and
// return nanoseconds per step of each repeat. Every runtime trains the same
// model on the same samples in the same order: step k (warmup included) uses
// benchSamples()[k % 5] with label k % classes, as m4-bench.c and
// host/bench/c-reference/speed-bench.h do.
//
//   v8-simd / v8-scalar  build/ff-core(.simd).wasm in this process (V8), through its raw
//                        exports exactly as the native driver calls them: copy the
//                        sample to inputPtr(), the label to labelPtr(), train(1)
//   wasm2c[-checked]     the scalar ff-core.wasm via wasm2c + gcc (wasm2c-bench.c)
//   c-strict / c-fast-math / c-fast-math-exact / c-simd128
//                        the plain C reference ff-ref.c (native-bench.c), four gcc builds
//   ts-reference         the float64 TypeScript reference (host/learner/reference)
//
// Non-goals: the M4 (host/bench/firmware.ts counts its instructions), statistics.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig, type LearnerConfig } from '../learner/config.js';
import { enableRelaxedSimd } from '../learner/relaxed-simd.js';
import { Learner } from '../learner/learner.js';
import { ReferenceFF } from '../learner/reference/ff-reference.js';
import { onPath, packageRoot, wasmPath } from '../paths.js';
import { benchSamples, fnv1a } from './firmware.js';

const run = promisify(execFile);
export const referenceDir = join(packageRoot, 'host', 'bench', 'c-reference');

export type RuntimeId =
  'v8-simd' | 'v8-relaxed' | 'v8-scalar' | 'wasm2c' | 'wasm2c-checked' | 'c-strict' | 'c-fast-math' | 'c-fast-math-exact' | 'c-simd128' | 'ts-reference';

export interface RuntimeInfo {
  id: RuntimeId;
  label: string;
  /** How it is built or run, in a sentence. */
  detail: string;
  /** Same float operations in the same order as the scalar wasm: weights must match c-strict bit for bit. */
  bitExact: boolean;
}

export const RUNTIMES: readonly RuntimeInfo[] = [
  { id: 'v8-simd', label: 'V8 SIMD', detail: 'build/ff-core.simd.wasm (f32x4 kernels) in Node/V8', bitExact: false },
  {
    id: 'v8-relaxed',
    label: 'V8 relaxed SIMD',
    detail:
      'build/ff-core.relaxed.wasm (f32x4 kernels, relaxed_madd in the gradient rows and Adam; NOT bit-identical across runtimes) in Node/V8 with --experimental-wasm-relaxed-simd',
    bitExact: false,
  },
  { id: 'v8-scalar', label: 'V8 scalar', detail: 'build/ff-core.wasm in Node/V8', bitExact: true },
  {
    id: 'wasm2c',
    label: 'wasm2c',
    detail: 'scalar ff-core.wasm -> wasm2c -> gcc -O3 -march=native -ffp-contract=off, Debian runtime (guard-page bounds checks, the x86-64 default)',
    bitExact: true,
  },
  {
    id: 'wasm2c-checked',
    label: 'wasm2c explicit checks',
    detail: 'the same C with the project runtime (wasm2c-glue) and explicit bounds checks, as linux-edge and the M4 build it',
    bitExact: true,
  },
  {
    id: 'c-strict',
    label: 'C strict',
    detail: 'ff-ref.c, gcc -O3 -march=native -ffp-contract=off -fno-math-errno (IEEE order; the reference of the ratios)',
    bitExact: true,
  },
  {
    id: 'c-fast-math',
    label: 'C fast-math',
    detail: 'ff-ref.c, gcc -O3 -march=native -ffast-math (vectorised reductions, FMA, approximate rsqrt/rcp)',
    bitExact: false,
  },
  {
    id: 'c-fast-math-exact',
    label: 'C fast-math exact div',
    detail: 'as C fast-math plus -mno-recip: exact sqrt and division, to show what the approximations buy',
    bitExact: false,
  },
  {
    id: 'c-simd128',
    label: 'C SIMD128-like',
    detail: 'as C fast-math exact div plus -mprefer-vector-width=128 -ffp-contract=off: only what wasm SIMD128 offers (4 lanes, no FMA, exact sqrt/div)',
    bitExact: false,
  },
  {
    id: 'ts-reference',
    label: 'TS reference',
    detail: 'host/learner/reference/ff-reference.ts: plain float64 TypeScript, arrays allocated per step (small models only)',
    bitExact: false,
  },
];

export interface BenchModel {
  /** e.g. "784-500-500": inputs, then the hidden layer widths. */
  name: string;
  config: LearnerConfig;
  params: number;
}

/** Options the C reference implements (ff-ref.h); every runtime trains with exactly these. */
export const SPEED_OPTIONS = {
  classes: 10,
  goodness: 'mean-squares',
  optimizer: 'adam',
  negatives: 'random',
  overlay: 'prepend',
  softmaxHead: false,
  batch: 1,
  seed: 7,
  learningRate: 0.001,
} as const satisfies Partial<LearnerConfig>;

/** "784-500-500" -> the benchmark model: 784 inputs, layers 500 and 500, SPEED_OPTIONS. */
export function benchModel(name: string): BenchModel {
  const sizes = name.split('-').map(Number);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new TypeError(`model "${name}" must be inputs-width[-width...], e.g. 784-500-500`);
  }
  const [inputSize, ...layers] = sizes as [number, ...number[]];
  let fanIn = inputSize + SPEED_OPTIONS.classes; // the label one-hot is prepended
  let params = 0;
  for (const width of layers) {
    params += (fanIn + 1) * width;
    fanIn = width;
  }
  return { name, config: { ...SPEED_OPTIONS, inputSize, layers }, params };
}

export interface RunRequest {
  steps: number;
  repeats: number;
  warmup: number;
}

export interface RunResult {
  /** ns per step of each repeat. */
  nsPerStep: number[];
  /** FNV-1a of the weights after warmup + repeats x steps steps (not for ts-reference). */
  weightsFnv: number | null;
}

export interface Runtime {
  info: RuntimeInfo;
  /** Loads what the runtime needs for `model` (the wasm, the config file); before its first run. */
  prepare(model: BenchModel): Promise<void>;
  /** Trains a fresh model (initial weights from the seed): warmup, then repeats x steps. */
  run(model: BenchModel, request: RunRequest): Promise<RunResult>;
}

// ---- V8, in this process ------------------------------------------------

class V8Runtime implements Runtime {
  private learner: Learner | null = null;
  constructor(
    readonly info: RuntimeInfo,
    private readonly wasm: string,
  ) {}

  async prepare(): Promise<void> {
    this.learner ??= await Learner.load({ wasm: this.wasm });
  }

  async run(model: BenchModel, request: RunRequest): Promise<RunResult> {
    await this.prepare();
    this.learner!.configure(model.config); // fresh weights, as a native run's new process has
    const e = this.learner!.exports;
    const inputs = model.config.inputSize,
      classes = SPEED_OPTIONS.classes;
    const samples = benchSamples(inputs);
    const f32 = new Float32Array(e.memory.buffer),
      i32 = new Int32Array(e.memory.buffer);
    const input = e.inputPtr() >>> 2,
      label = e.labelPtr() >>> 2;
    let k = 0,
      status = 0;
    const step = () => {
      f32.set(samples[k % samples.length]!, input);
      i32[label] = k % classes;
      status |= e.train(1);
      k++;
    };
    const nsPerStep = timeSteps(step, request);
    if (status !== 0) throw new Error(`${this.info.id}: train() returned status ${status} on ${model.name}`);
    return { nsPerStep, weightsFnv: fnv1a(this.learner!.exportWeights()) };
  }
}

/** Runs `step` warmup times, then `repeats` timed runs of `steps`: ns per step of each run. */
function timeSteps(step: () => void, request: RunRequest): number[] {
  for (let w = 0; w < request.warmup; w++) step();
  const nsPerStep: number[] = [];
  for (let r = 0; r < request.repeats; r++) {
    const started = process.hrtime.bigint();
    for (let s = 0; s < request.steps; s++) step();
    nsPerStep.push(Number(process.hrtime.bigint() - started) / request.steps);
  }
  return nsPerStep;
}

// ---- the TypeScript reference -------------------------------------------

class ReferenceRuntime implements Runtime {
  readonly info = RUNTIMES.find((r) => r.id === 'ts-reference')!;

  async prepare(): Promise<void> {}

  async run(model: BenchModel, request: RunRequest): Promise<RunResult> {
    const reference = new ReferenceFF(model.config);
    const samples = benchSamples(model.config.inputSize);
    let k = 0;
    const step = () => {
      reference.train([samples[k % samples.length]!], [k % SPEED_OPTIONS.classes]);
      k++;
    };
    const nsPerStep = timeSteps(step, request);
    return { nsPerStep, weightsFnv: null };
  }
}

// ---- native drivers (host/bench/c-reference/speed-bench.h) ---------

const LINE =
  /ffedge-speed impl=(\S+) params=(\d+) warmup=(\d+) steps=(\d+) repeats=(\d+) ns_per_step=([\d.]+) ns=([\d.,]+) weights_fnv=0x([0-9a-f]+) status=(\d+)/;

/** Parses a native driver's result line. */
export function parseSpeedLine(stdout: string): { impl: string; params: number; nsPerStep: number[]; weightsFnv: number; status: number } {
  const m = stdout.match(LINE);
  if (!m) throw new Error(`no ffedge-speed line in: ${stdout.trim() || '(nothing)'}`);
  return { impl: m[1]!, params: Number(m[2]), nsPerStep: m[7]!.split(',').map(Number), weightsFnv: parseInt(m[8]!, 16), status: Number(m[9]) };
}

class NativeRuntime implements Runtime {
  constructor(
    readonly info: RuntimeInfo,
    private readonly binary: string,
    private readonly configDir: string,
  ) {}

  private configFile(model: BenchModel): string {
    return join(this.configDir, `${model.name}.bin`);
  }

  async prepare(model: BenchModel): Promise<void> {
    await mkdir(this.configDir, { recursive: true });
    await writeFile(this.configFile(model), encodeConfig(model.config));
  }

  async run(model: BenchModel, request: RunRequest): Promise<RunResult> {
    // Each run is a fresh process: the model restarts from its initial weights.
    const { stdout } = await run(
      this.binary,
      ['--steps', String(request.steps), '--repeats', String(request.repeats), '--warmup', String(request.warmup), this.configFile(model)],
      { timeout: 600_000, maxBuffer: 1 << 20 },
    );
    const line = parseSpeedLine(stdout);
    if (line.status !== 0) throw new Error(`${this.info.id}: the learner returned status ${line.status} on ${model.name}`);
    if (line.params !== model.params) throw new Error(`${this.info.id}: ${line.params} parameters for ${model.name}, expected ${model.params}`);
    return { nsPerStep: line.nsPerStep, weightsFnv: line.weightsFnv };
  }
}

/** Native binaries of `make speed` under `build`, by runtime. */
const NATIVE_BINARIES: Partial<Record<RuntimeId, string>> = {
  'c-strict': 'ff-ref-bench-strict',
  'c-fast-math': 'ff-ref-bench-fast',
  'c-fast-math-exact': 'ff-ref-bench-fast-exact',
  'c-simd128': 'ff-ref-bench-simd128',
  wasm2c: 'wasm2c-bench',
  'wasm2c-checked': 'wasm2c-bench-checked',
};

export interface MadeRuntimes {
  runtimes: Runtime[];
  skipped: Array<{ id: RuntimeId; reason: string }>;
  /** Seconds `make speed` took (native builds), if it ran. */
  buildSeconds: number | null;
}

/**
 * Builds what `wanted` needs (make -C host/bench/c-reference speed) and returns
 * the runtimes that can run; the others are listed in `skipped` with the reason.
 */
export async function makeRuntimes(wanted: readonly RuntimeId[], buildDir: string): Promise<MadeRuntimes> {
  const runtimes: Runtime[] = [];
  const skipped: MadeRuntimes['skipped'] = [];
  const info = (id: RuntimeId) => RUNTIMES.find((r) => r.id === id)!;
  const nativeWanted = wanted.filter((id) => NATIVE_BINARIES[id] !== undefined);
  const missing = (tools: string[]) => tools.filter((t) => !onPath(t));
  let buildSeconds: number | null = null;
  const buildable = new Set<RuntimeId>();
  const cTools = missing(['gcc', 'make']);
  for (const id of nativeWanted) {
    const needs = id.startsWith('wasm2c') ? [...cTools, ...missing(['wasm2c'])] : cTools;
    if (id.startsWith('wasm2c') && needs.length === 0 && !existsSync('/usr/share/wabt/wasm2c/wasm-rt-impl.c'))
      needs.push('/usr/share/wabt/wasm2c/wasm-rt-impl.c (package wabt)');
    if (needs.length > 0) skipped.push({ id, reason: `toolchain missing: ${needs.join(', ')} (install with: sudo scripts/setup-toolchains.sh)` });
    else buildable.add(id);
  }
  if (buildable.size > 0) {
    const targets = [...buildable].map((id) => join(buildDir, 'speed', NATIVE_BINARIES[id]!));
    const started = performance.now();
    await run('make', ['-s', '-C', referenceDir, `BUILD=${buildDir}`, `CORE_WASM=${wasmPath('ff-core')}`, ...targets], { timeout: 600_000 });
    buildSeconds = (performance.now() - started) / 1000;
  }
  const configDir = join(buildDir, 'speed', 'configs');
  for (const id of wanted) {
    if (id === 'v8-relaxed') {
      const file = wasmPath('ff-core.relaxed');
      if (!existsSync(file)) skipped.push({ id, reason: `${file} not built (npm run build:wasm)` });
      else {
        try {
          runtimes.push(new V8Runtime(info(id), await enableRelaxedSimd(file)));
        } catch (e) {
          skipped.push({ id, reason: (e as Error).message });
        }
      }
    } else if (id === 'v8-simd' || id === 'v8-scalar') {
      const file = wasmPath(id === 'v8-simd' ? 'ff-core.simd' : 'ff-core');
      if (!existsSync(file)) skipped.push({ id, reason: `${file} not built (npm run build:wasm)` });
      else runtimes.push(new V8Runtime(info(id), file));
    } else if (id === 'ts-reference') {
      runtimes.push(new ReferenceRuntime());
    } else if (buildable.has(id)) {
      runtimes.push(new NativeRuntime(info(id), join(buildDir, 'speed', NATIVE_BINARIES[id]!), configDir));
    }
  }
  return { runtimes, skipped, buildSeconds };
}
