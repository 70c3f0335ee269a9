// `npm run bench:soak`: a long run through the fault-injecting pty proxy
// (host/transport/fault-proxy.ts) with damaged bytes both ways and device
// resets, recovered from snapshots (host/session/recovery.ts), against a clean
// run of the same samples in the same process. Reports samples lost (must be
// 0), samples trained again beyond the snapshot replay (must be 0), whether the
// final weights are byte-identical to the clean run's, and samples/s of both.
//
//   node dist/host/bench/soak.js [--samples N] [--damage FRACTION] [--resets K] [--snapshot-every N] [--json]
//
// Issue 16 asks for 100,000 samples at 1% damaged bytes with 3 resets; at 1%
// the link runs at ~0.2% of its clean speed today (docs/protocol.md §5.3a), so
// the defaults are a run that finishes in minutes; pass the numbers to
// run it (hours). Numbers only; nothing is asserted.

import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInteger } from '../command-line.js';
import type { LearnerConfig } from '../learner/config.js';
import type { LogRecord } from '../logs/records.js';
import { RecoveringSession } from '../session/recovery.js';
import { imuGestureDataset } from '../sources/index.js';
import { damagedFraction, FaultProxy, type LinkFaults } from '../transport/fault-proxy.js';
import { SerialTransport } from '../transport/index.js';

const CONFIG: LearnerConfig = { inputSize: 192, layers: [64, 32], classes: 5, seed: 1 };
const LINK = { rtoInitialMs: 100, rtoMinMs: 20 };

/** Damage split over the kinds the proxy knows, `fraction` of all bytes in all. */
function faultsFor(fraction: number): LinkFaults {
  return { flip: fraction * 0.4, drop: fraction * 0.3, duplicate: fraction * 0.2, burst: (fraction * 0.1) / 20, burstLength: 20 };
}

export interface SoakResult {
  samples: number;
  damage: number;
  measuredDamage: number;
  resets: number;
  replayed: number;
  lost: number;
  trainedTwiceBeyondReplay: number;
  weightsIdentical: boolean;
  cleanSamplesPerSecond: number;
  soakSamplesPerSecond: number;
}

async function run(samples: { inputs: Float32Array; label: number }[], proxy: FaultProxy, snapshotEvery: number) {
  const path = await proxy.start();
  const log: LogRecord[] = [];
  const counts = new Map<number, number>();
  const session = await RecoveringSession.start({
    connect: () => new SerialTransport({ path }),
    config: CONFIG,
    session: { ...LINK, log: { append: (r) => void log.push(r) } },
    snapshotEvery,
    maxResets: 1000,
  });
  try {
    const started = performance.now();
    const summary = await session.trainStream(samples, { onResult: (r) => counts.set(r.index, (counts.get(r.index) ?? 0) + 1) });
    const seconds = (performance.now() - started) / 1000;
    const { weights } = await session.getCheckpoint();
    return { weights, summary, seconds, counts, stats: proxy.stats };
  } finally {
    await session.close();
    await proxy.close();
  }
}

export async function soak(options: { samples: number; damage: number; resets: number; snapshotEvery: number; seed: number }): Promise<SoakResult> {
  const data = Array.from(imuGestureDataset(Math.min(options.samples, 5000), { seed: options.seed }));
  const samples = Array.from({ length: options.samples }, (_, i) => data[i % data.length]!);
  const clean = await run(samples, new FaultProxy({ seed: options.seed }), options.snapshotEvery);
  // Resets spread over the bytes a clean run sends to the device.
  const bytes = clean.stats.toDevice.bytes;
  const resetsAfterBytes = Array.from({ length: options.resets }, (_, k) => Math.floor((bytes * (k + 1)) / (options.resets + 1)));
  const faults = faultsFor(options.damage);
  const noisy = await run(samples, new FaultProxy({ seed: options.seed + 1, toDevice: faults, fromDevice: faults, resetsAfterBytes }), options.snapshotEvery);
  const lost = samples.length - noisy.counts.size;
  // A sample reported more than once was trained again from a snapshot; beyond the replays the summary counts, it would be a bug.
  const extra = [...noisy.counts.values()].reduce((n, c) => n + (c - 1), 0);
  const same = clean.weights.length === noisy.weights.length && clean.weights.every((v, i) => v === noisy.weights[i]);
  return {
    samples: samples.length,
    damage: options.damage,
    measuredDamage: (damagedFraction(noisy.stats.toDevice) + damagedFraction(noisy.stats.fromDevice)) / 2,
    resets: noisy.summary.resets,
    replayed: noisy.summary.replayed,
    lost,
    trainedTwiceBeyondReplay: Math.max(0, extra - noisy.summary.replayed),
    weightsIdentical: same,
    cleanSamplesPerSecond: samples.length / clean.seconds,
    soakSamplesPerSecond: samples.length / noisy.seconds,
  };
}

async function main(): Promise<void> {
  const o = new Command('node dist/host/bench/soak.js')
    .description('A long run through the fault-injecting proxy with damaged bytes and device resets, against a clean run (issue 16).')
    .option('--samples <n>', 'samples streamed (the issue: 100000)', positiveInteger, 3000)
    .option(
      '--damage <fraction>',
      'damaged bytes per direction (the issue: 0.01)',
      (v: string) => {
        const n = Number(v);
        if (!(n >= 0 && n < 0.5)) throw new Error(`--damage must be a fraction in [0, 0.5), got ${v}`);
        return n;
      },
      0.001,
    )
    .option('--resets <k>', 'device resets spread over the run (the issue: 3)', (v: string) => Number.parseInt(v, 10), 3)
    .option('--snapshot-every <n>', 'samples between full-state snapshots', positiveInteger, 500)
    .option('--seed <n>', 'seed of data and damage', positiveInteger, 1)
    .option('--json', 'print JSON')
    .parse()
    .opts<{ samples: number; damage: number; resets: number; snapshotEvery: number; seed: number; json?: boolean }>();
  if (!(Number.isInteger(o.resets) && o.resets >= 0)) throw new Error('--resets must be an integer >= 0');
  const r = await soak(o);
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(
      `${r.samples.toLocaleString('en-US')} samples, ${(r.damage * 100).toFixed(2)}% damaged bytes asked (${(r.measuredDamage * 100).toFixed(3)}% measured), ${r.resets} resets`,
    );
    console.log(`lost ${r.lost}; trained twice beyond the snapshot replay ${r.trainedTwiceBeyondReplay}; replayed from snapshots ${r.replayed}`);
    console.log(`final weights byte-identical to the clean run: ${r.weightsIdentical ? 'yes' : 'NO'}`);
    console.log(
      `samples/s: clean ${r.cleanSamplesPerSecond.toFixed(0)}, soak ${r.soakSamplesPerSecond.toFixed(1)} (${((100 * r.soakSamplesPerSecond) / r.cleanSamplesPerSecond).toFixed(2)}% of clean)`,
    );
  }
  if (r.lost > 0 || r.trainedTwiceBeyondReplay > 0 || !r.weightsIdentical) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => {
    process.stderr.write(`bench soak: ${err.message}\n`);
    process.exit(1);
  });
}
