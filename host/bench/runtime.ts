// `ffedge bench runtime --cmd "<runtime> {wasm}"`: build/ff-device.wasm under a
// WebAssembly runtime the user names (wasmtime, wasmer, WAMR's iwasm, wasm3...),
// its stdin/stdout the serial link, driven through the real session with one
// fixed, seeded sample stream. Every runtime must give GOODNESS records (and
// final weights) byte-identical to V8's (the virtual device); speed is reported
// as ratios to V8 and to native (the linux-edge wasm2c build) measured in the
// same run, because this machine's speed varies ~2x between runs.
//
//   node dist/host/bench/runtime.js --cmd "wasmtime run {wasm}" [--cmd ...] [--samples N] [--rounds R] [--json]
//
// {wasm} is replaced by the path of build/ff-device.wasm; a command without it
// is run as it is (a native device program). Words may be quoted ("a b" or 'a b').
// Numbers only; nothing is asserted (tests do not depend on timing).
//
// Non-goals: installing runtimes; runtimes that cannot pass stdin/stdout through
// to the guest (they fail the handshake with a message saying so).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInteger } from '../command-line.js';
import type { LearnerConfig } from '../learner/config.js';
import { renderTable } from '../logs/summary.js';
import { onPath, packageRoot, wasmPath } from '../paths.js';
import { Session } from '../session/index.js';
import { generateImuGestures, type PackedSamples } from '../sources/index.js';
import { VIRTUAL_DEVICE_CHILD, VirtualDeviceTransport } from '../transport/index.js';

/** The sensor demo model: what a board trains (192 inputs = 32 readings x 6 axes). */
const MODEL: LearnerConfig = { inputSize: 192, layers: [64, 32], classes: 5, seed: 1 };
const LINUX_EDGE_DIR = join(packageRoot, 'firmware-targets', 'linux-edge');

export interface RuntimeSpec {
  name: string;
  file: string;
  args: string[];
}

export interface RuntimeRow {
  runtime: string;
  command: string;
  samplesPerSecond: number | null;
  /** One sample at a time: mean ms from SAMPLE sent to GOODNESS received. */
  msPerSample: number | null;
  vsV8: number | null;
  vsNative: number | null;
  recordsIdentical: boolean | null;
  weightsIdentical: boolean | null;
  error?: string;
}

/** Splits a command line into words: spaces separate, "..." and '...' group. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** A user's --cmd as a runtime to run; {wasm} becomes the device program's path. */
export function runtimeFromCommand(line: string, wasm: string): RuntimeSpec {
  const words = splitCommand(line).map((w) => w.replaceAll('{wasm}', wasm));
  if (words.length === 0) throw new TypeError('--cmd is empty: give the runtime and {wasm}, e.g. --cmd "wasmtime run {wasm}"');
  const [file, ...args] = words as [string, ...string[]];
  const found = file.includes('/') ? existsSync(file) : onPath(file);
  if (!found) throw new TypeError(`--cmd ${JSON.stringify(line)}: ${file} is not installed or not on PATH`);
  return { name: line.replace(/\s+/g, ' ').trim(), file, args };
}

/** The linux-edge native program, built here if the toolchain is present; null (with why) otherwise. */
function nativeRuntime(wasm: string): { spec: RuntimeSpec | null; why?: string } {
  const binary = join(LINUX_EDGE_DIR, 'build', 'bench', 'ff-device');
  const missing = ['wasm2c', 'gcc', 'make'].filter((tool) => !onPath(tool));
  if (missing.length > 0) return { spec: null, why: `native (linux-edge) skipped: ${missing.join(', ')} not installed (scripts/setup-toolchains.sh)` };
  try {
    execFileSync('make', ['-s', '-C', LINUX_EDGE_DIR, `WASM=${wasm}`, 'BUILD=build/bench'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    return {
      spec: null,
      why: `native (linux-edge) skipped: its build failed: ${String((err as { stderr?: Buffer }).stderr ?? err)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ')}`,
    };
  }
  return { spec: { name: 'native (linux-edge, wasm2c + gcc)', file: binary, args: [] } };
}

function* stream(data: PackedSamples, n: number): Generator<{ inputs: Float32Array; label: number }> {
  const d = data.inputSize;
  for (let i = 0; i < n; i++) {
    const k = i % data.count;
    yield { inputs: data.inputs.subarray(k * d, (k + 1) * d), label: data.labels[k]! };
  }
}

interface Run {
  seconds: number;
  msPerSample: number;
  records: Uint8Array;
  weights: Uint8Array;
}

/** One pass: the stream windowed, then `lockStep` samples one at a time; the records as bytes. */
async function runOnce(spec: RuntimeSpec, data: PackedSamples, samples: number, lockStep: number): Promise<Run> {
  const transport = new VirtualDeviceTransport({ command: { file: spec.file, args: spec.args, description: spec.name } });
  let session: Session;
  try {
    session = await Session.connect(transport, { handshakeTimeoutMs: 10_000, heartbeatIdleMs: 5000 });
  } catch (err) {
    throw new Error(
      `${spec.name}: no working device behind it (${(err as Error).message}). The runtime must pass its stdin/stdout through to the guest's fd 0/1 unbuffered`,
      { cause: err },
    );
  }
  try {
    await session.configure(MODEL);
    const values: number[] = [];
    const keep = (
      layers: { goodnessPositive: number; goodnessNegative: number; loss: number; activeFraction: number; hoyer: number }[] | null,
      step: number | null,
      prediction: number | null,
    ): void => {
      values.push(step ?? -1, prediction ?? -2);
      for (const l of layers ?? []) values.push(l.goodnessPositive, l.goodnessNegative, l.loss, l.activeFraction, l.hoyer);
    };
    const summary = await session.trainStream(stream(data, samples), { onResult: (r) => keep(r.layers, r.step, r.prediction) });
    if (summary.trained !== samples) throw new Error(`${spec.name}: ${summary.trained} of ${samples} samples trained`);
    const started = performance.now();
    let i = 0;
    for (const sample of stream(data, lockStep)) {
      const r = await session.train(sample);
      keep(r.layers, r.step, r.prediction);
      i++;
    }
    const msPerSample = (performance.now() - started) / Math.max(1, i);
    const { weights } = await session.getCheckpoint();
    return { seconds: summary.seconds, msPerSample, records: new Uint8Array(Float32Array.from(values).buffer), weights };
  } finally {
    await session.close();
  }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Runs every runtime `rounds` times (interleaved), keeps each one's best round, compares with V8's. */
export async function benchRuntimes(
  user: RuntimeSpec[],
  options: { samples: number; lockStep: number; rounds: number; native: boolean; progress?: (line: string) => void },
): Promise<{ rows: RuntimeRow[]; notes: string[] }> {
  const wasm = wasmPath('ff-device');
  const notes: string[] = [];
  const v8: RuntimeSpec = { name: 'V8 (node, the virtual device)', file: process.execPath, args: ['--no-warnings', VIRTUAL_DEVICE_CHILD, wasm] };
  const specs: RuntimeSpec[] = [v8];
  if (options.native) {
    const native = nativeRuntime(wasm);
    if (native.spec) specs.push(native.spec);
    else notes.push(native.why!);
  }
  specs.push(...user);
  const data = generateImuGestures(1000, { seed: 3 });
  const best = new Map<RuntimeSpec, Run>();
  const failed = new Map<RuntimeSpec, string>();
  for (let round = 0; round < options.rounds; round++) {
    for (const spec of specs) {
      if (failed.has(spec)) continue;
      options.progress?.(`round ${round + 1}/${options.rounds}: ${spec.name}`);
      try {
        const run = await runOnce(spec, data, options.samples, options.lockStep);
        const previous = best.get(spec);
        if (!previous || run.seconds < previous.seconds) best.set(spec, run);
      } catch (err) {
        failed.set(spec, (err as Error).message);
      }
    }
  }
  const reference = best.get(v8);
  if (!reference) throw new Error(`the V8 reference run failed: ${failed.get(v8)}`);
  const native = specs[1] && specs[1] !== user[0] && options.native ? best.get(specs[1]) : undefined;
  const rate = (run: Run): number => options.samples / run.seconds;
  const rows = specs.map((spec): RuntimeRow => {
    const run = best.get(spec);
    const command = [spec.file, ...spec.args].join(' ');
    if (!run) {
      return {
        runtime: spec.name,
        command,
        samplesPerSecond: null,
        msPerSample: null,
        vsV8: null,
        vsNative: null,
        recordsIdentical: null,
        weightsIdentical: null,
        error: failed.get(spec),
      };
    }
    return {
      runtime: spec.name,
      command,
      samplesPerSecond: rate(run),
      msPerSample: run.msPerSample,
      vsV8: rate(run) / rate(reference),
      vsNative: native ? rate(run) / rate(native) : null,
      recordsIdentical: same(run.records, reference.records),
      weightsIdentical: same(run.weights, reference.weights),
    };
  });
  return { rows, notes };
}

export function runtimeProgram(): Command {
  return new Command('node dist/host/bench/runtime.js')
    .description(
      "Run build/ff-device.wasm under the WebAssembly runtimes you name, check their goodness records are byte-identical to V8's, and report samples/s as ratios to V8 and native (linux-edge) measured in this run.",
    )
    .option(
      '--cmd <command>',
      'a runtime command line with {wasm} for the device program, e.g. "wasmtime run {wasm}" (repeat for several)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--samples <n>', 'samples streamed per round', positiveInteger, 2000)
    .option('--lock-step <n>', 'samples sent one at a time after the stream (round-trip time)', positiveInteger, 200)
    .option('--rounds <n>', 'rounds; each runtime keeps its fastest', positiveInteger, 2)
    .option('--no-native', 'skip the linux-edge native build')
    .option('--json', 'print JSON instead of the table')
    .addHelpText(
      'after',
      '\nExamples:\n  ffedge bench runtime --cmd "wasmtime run {wasm}" --cmd "iwasm {wasm}"\n  ffedge bench runtime --cmd "node dist/host/transport/virtual-device-child.js {wasm}"   (Node again: a control)',
    );
}

function formatRatio(v: number | null): string {
  return v === null ? '-' : `${v.toFixed(2)}x`;
}

async function main(): Promise<void> {
  const program = runtimeProgram();
  const o = program.parse().opts<{ cmd: string[]; samples: number; lockStep: number; rounds: number; native: boolean; json?: boolean }>();
  let user: RuntimeSpec[];
  try {
    user = o.cmd.map((line) => runtimeFromCommand(line, wasmPath('ff-device')));
  } catch (err) {
    process.stderr.write(`ffedge bench runtime: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (!existsSync(wasmPath('ff-device'))) {
    process.stderr.write('ffedge bench runtime: build/ff-device.wasm does not exist: run npm run build\n');
    process.exit(2);
  }
  const progress = o.json
    ? undefined
    : (line: string): void => {
        process.stderr.write(`  ${line}\n`);
      };
  const { rows, notes } = await benchRuntimes(user, {
    samples: o.samples,
    lockStep: o.lockStep,
    rounds: o.rounds,
    native: o.native,
    ...(progress ? { progress } : {}),
  });
  if (o.json) {
    console.log(JSON.stringify({ node: process.version, model: MODEL, samples: o.samples, rounds: o.rounds, rows, notes }, null, 2));
  } else {
    console.log(
      `\nff-device.wasm, model ${MODEL.inputSize}-${MODEL.layers.join('-')} (${MODEL.classes} classes), ${o.samples} samples streamed + ${o.lockStep} one at a time, best of ${o.rounds} rounds\n`,
    );
    console.log(
      renderTable(
        ['runtime', 'samples/s', 'vs V8', 'vs native', 'ms/sample (one at a time)', 'records = V8', 'weights = V8'],
        rows.map((r) => [
          r.runtime,
          r.samplesPerSecond === null ? 'failed' : r.samplesPerSecond.toFixed(0),
          formatRatio(r.vsV8),
          formatRatio(r.vsNative),
          r.msPerSample === null ? '-' : r.msPerSample.toFixed(3),
          r.recordsIdentical === null ? '-' : r.recordsIdentical ? 'yes' : 'NO',
          r.weightsIdentical === null ? '-' : r.weightsIdentical ? 'yes' : 'NO',
        ]),
      ),
    );
    for (const r of rows) if (r.error) console.log(`\n${r.runtime}: ${r.error}`);
    for (const n of notes) console.log(`\n${n}`);
  }
  if (rows.some((r) => r.error || r.recordsIdentical === false || r.weightsIdentical === false)) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => {
    process.stderr.write(`ffedge bench runtime: ${err.message}\n`);
    process.exit(1);
  });
}
