// Samples/s on a noisy link, whole frames vs. samples in parts (SAMPLE_PART,
// docs/protocol.md §5.3a; host/session/fragments.ts), measured in one run:
// 192-f32 IMU samples (imuGestureDataset, default steps) through the fault
// proxy (host/transport/fault-proxy.ts: serialport on a socat pty, the virtual
// device behind, seeded flips, drops, duplicates and bursts both ways) at 0,
// 0.1%, 0.5% and 1% damaged bytes. Each noisy run is checked: every sample
// trained exactly once (device step == samples) and the final weights equal
// to a clean run's on the same samples.
//
//   node dist/host/bench/fragments.js [--samples N] [--whole-samples N] [--whole-seconds S]
//                                     [--clean-samples N] [--seed S] [--json]
//
// Ratios are to the clean whole-frame run of --clean-samples (warmed up).
//
// Numbers only; nothing here is a test (tests do not depend on timing).

import { Command } from 'commander';
import { renderTable } from '../logs/summary.js';
import { Session, type FragmentMode } from '../session/index.js';
import { imuGestureDataset } from '../sources/index.js';
import { damagedFraction, FaultProxy, type LinkFaults } from '../transport/fault-proxy.js';
import { SerialTransport } from '../transport/index.js';

/** Per-byte faults that damage about `rate` of the bytes: flips, drops, duplicates and 20-byte bursts. */
function faultsFor(rate: number): LinkFaults | undefined {
  if (rate === 0) return undefined;
  return { flip: rate * 0.4, drop: rate * 0.3, duplicate: rate * 0.2, burst: (rate * 0.1) / 20, burstLength: 20 };
}

interface Run {
  /** Why the run ended early (e.g. LinkTooLossyError), or undefined. */
  error?: string;
  damage: number;
  mode: FragmentMode;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  measuredDamage: number;
  step: number;
  trained: number;
  weights: Uint8Array;
  partsPerSample: number;
  valuesPerPart: number;
  retransmits: number;
}

/** Whole frames on a noisy link hardly move: such a run stops after this long and counts what was trained. */
let wholeSeconds = 30;

async function run(rate: number, mode: FragmentMode, samples: number, seed: number): Promise<Run> {
  process.stderr.write(`damage ${rate * 100}%, ${mode === 'off' ? 'whole frames' : 'parts'}, ${samples} samples ... `);
  try {
    const r = await runOnce(rate, mode, samples, seed);
    process.stderr.write(`${r.samplesPerSecond.toFixed(1)} samples/s\n`);
    return r;
  } catch (err) {
    const error = `${(err as Error).name}: ${(err as Error).message.slice(0, 100)}`;
    process.stderr.write(`${error}\n`);
    return {
      error,
      damage: rate,
      mode,
      samples,
      seconds: NaN,
      samplesPerSecond: 0,
      measuredDamage: NaN,
      step: -1,
      trained: -1,
      weights: new Uint8Array(0),
      partsPerSample: NaN,
      valuesPerPart: NaN,
      retransmits: NaN,
    };
  }
}

async function runOnce(rate: number, mode: FragmentMode, samples: number, seed: number): Promise<Run> {
  const faults = faultsFor(rate);
  const proxy = new FaultProxy({ seed, toDevice: faults, fromDevice: faults });
  const path = await proxy.start();
  // Losing an 800-byte frame 100 times in a row is likely at 0.5%: let whole-frame runs go on, to measure them.
  const session = await Session.connect(new SerialTransport({ path }), { fragments: mode, maxLosses: 1_000_000 });
  try {
    await session.configure({ inputSize: 192, layers: [32, 16], classes: 5, seed: 7 });
    const data = Array.from(imuGestureDataset(samples, { seed: 4 }), (s) => ({ inputs: s.inputs, label: s.label }));
    const started = performance.now();
    const bounded = rate > 0 && mode === 'off';
    const signal = bounded ? AbortSignal.timeout(wholeSeconds * 1000) : undefined;
    const stream = session.trainStream(data, signal ? { signal } : {});
    stream.catch(() => undefined);
    // The samples in flight when the clock stops may never arrive whole: wait for them a little, then count what was trained.
    const finished = await Promise.race([
      stream.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), bounded ? (wholeSeconds + 5) * 1000 : 2 ** 31 - 1).unref()),
    ]);
    const seconds = (performance.now() - started) / 1000;
    if (!finished) {
      const trained = session.trained;
      return {
        error: `stopped after ${seconds.toFixed(0)} s with samples in flight`,
        damage: rate,
        mode,
        samples: trained,
        seconds,
        samplesPerSecond: trained / seconds,
        measuredDamage: NaN,
        step: session.step,
        trained,
        weights: new Uint8Array(0),
        partsPerSample: 0,
        valuesPerPart: 0,
        retransmits: session.linkStats.retransmits,
      };
    }
    const summary = await stream;
    samples = summary.trained;
    const { weights } = await session.getCheckpoint();
    const stats = proxy.stats;
    const f = session.fragments;
    return {
      damage: rate,
      mode,
      samples,
      seconds,
      samplesPerSecond: samples / seconds,
      measuredDamage: (damagedFraction(stats.toDevice) + damagedFraction(stats.fromDevice)) / 2,
      step: session.step,
      trained: summary.trained,
      weights,
      partsPerSample: f.partsSent / samples,
      valuesPerPart: f.valuesPerPart,
      retransmits: session.linkStats.retransmits,
    };
  } finally {
    await session.close();
    await proxy.close();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--samples <n>', 'samples per run in parts (auto)', '2000')
    .option('--whole-samples <n>', 'samples per noisy run in whole frames (slow: keep it small)', '150')
    .option('--seed <n>', 'fault seed', '16')
    .option('--whole-seconds <s>', 'stop a noisy whole-frame run after this long', '30')
    .option('--clean-samples <n>', 'samples of the clean run the ratios are taken against (long enough to warm up)', '3000')
    .option('--json', 'print JSON rows')
    .parse();
  const o = program.opts<{ samples: string; wholeSamples: string; seed: string; wholeSeconds: string; cleanSamples: string; json?: boolean }>();
  wholeSeconds = Number(o.wholeSeconds);
  const samples = Number(o.samples);
  const wholeSamples = Number(o.wholeSamples);
  const seed = Number(o.seed);
  const clean = new Map<number, Run>();
  const rows: Record<string, unknown>[] = [];
  const runs: Run[] = [];
  const cleanSamples = Number(o.cleanSamples);
  for (const n of new Set([cleanSamples, samples, wholeSamples])) clean.set(n, await run(0, 'off', n, seed));
  runs.push(clean.get(cleanSamples)!);
  for (const rate of [0.001, 0.005, 0.01]) {
    runs.push(await run(rate, 'off', wholeSamples, seed));
    runs.push(await run(rate, 'auto', samples, seed));
  }
  runs.push(await run(0, 'auto', cleanSamples, seed));
  const base = clean.get(cleanSamples)!.samplesPerSecond;
  for (const r of runs) {
    // A whole-frame run stopped by the clock is compared with a clean run of as many samples.
    if (!r.error && !clean.has(r.samples)) clean.set(r.samples, await run(0, 'off', r.samples, seed));
    const reference = clean.get(r.samples) ?? r;
    rows.push({
      damage: `${(r.damage * 100).toFixed(1)}%`,
      measured: `${(r.measuredDamage * 100).toFixed(2)}%`,
      frames: r.mode === 'off' ? 'whole' : 'parts (auto)',
      samples: r.samples,
      seconds: Number(r.seconds.toFixed(2)),
      'samples/s': Number(r.samplesPerSecond.toFixed(1)),
      'of clean': `${((r.samplesPerSecond / base) * 100).toFixed(2)}%`,
      'parts/sample': Number(r.partsPerSample.toFixed(2)),
      'values/part': r.valuesPerPart,
      retransmits: r.retransmits,
      'exactly once': r.error ? 'failed' : r.step === r.samples && r.trained === r.samples ? 'yes' : `NO (step ${r.step})`,
      'weights = clean': r.error ? 'n/a' : sameBytes(r.weights, reference.weights) ? 'yes' : 'NO',
    });
    if (r.error && r.samplesPerSecond === 0) rows[rows.length - 1]!['samples/s'] = r.error.slice(0, 40);
    if (r.error) rows[rows.length - 1]!['exactly once'] = r.error;
  }
  if (o.json) console.log(JSON.stringify(rows, null, 2));
  else {
    const header = Object.keys(rows[0]!);
    console.log(
      renderTable(
        header,
        rows.map((r) => header.map((h) => String(r[h]))),
      ),
    );
  }
  // A run that failed with an error is reported as such; a run that finished with a sample lost or twice is a bug.
  if (rows.some((r) => String(r['exactly once']).startsWith('NO') || r['weights = clean'] === 'NO')) process.exitCode = 1;
}

await main();
