// `npm run bench:stream`: samples per second streamed through the session to
// the device program, over child-process pipes (virtual) and over a
// pseudo-terminal (socat + serialport), for a small sensor model and an
// MNIST-sized one. The in-process column is the learner alone (ff-core.wasm,
// no protocol, no link) on the same samples: the ceiling the link approaches.
//
//   node dist/host/bench/stream.js [--quick] [--json]
//
// Numbers only; nothing is asserted (tests do not depend on timing).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { LearnerConfig } from '../learner/config.js';
import { Learner } from '../learner/learner.js';
import { renderTable } from '../logs/summary.js';
import { Session, type SessionOptions } from '../session/index.js';
import { generateImuGestures, loadMnist, type PackedSamples } from '../sources/index.js';
import { PtyDeviceTransport, VirtualDeviceTransport, type Transport } from '../transport/index.js';
import type { SampleEncoding } from '../protocol/index.js';

interface Workload {
  name: string;
  config: LearnerConfig;
  data: PackedSamples;
  samples: number;
}

interface Row {
  model: string;
  link: string;
  encoding: SampleEncoding;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  inProcessPerSecond: number;
  retransmits: number;
}

function socatAvailable(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function* rows(data: PackedSamples, n: number) {
  const d = data.inputSize;
  for (let i = 0; i < n; i++) {
    const k = i % data.count;
    yield { inputs: data.inputs.subarray(k * d, (k + 1) * d), label: data.labels[k]! };
  }
}

async function inProcess(w: Workload): Promise<number> {
  const learner = await Learner.load();
  learner.configure(w.config);
  const d = w.data.inputSize;
  const label = new Int32Array(1);
  let started = 0;
  const warmUp = Math.min(50, w.samples);
  for (let i = -warmUp; i < w.samples; i++) {
    if (i === 0) started = performance.now();
    const k = (i + warmUp) % w.data.count;
    label[0] = w.data.labels[k]!;
    learner.trainFast(w.data.inputs.subarray(k * d, (k + 1) * d), label);
  }
  return w.samples / ((performance.now() - started) / 1000);
}

async function throughLink(w: Workload, transport: Transport, encoding: SampleEncoding): Promise<{ seconds: number; retransmits: number }> {
  const options: SessionOptions = { encoding, heartbeatIdleMs: 5000 };
  const session = await Session.connect(transport, options);
  try {
    await session.configure(w.config);
    // Warm-up: JIT on both sides, RTT estimate.
    await session.trainStream(rows(w.data, Math.min(50, w.samples)));
    const summary = await session.trainStream(rows(w.data, w.samples));
    if (summary.trained !== w.samples) throw new Error(`${summary.trained} of ${w.samples} samples trained`);
    return { seconds: summary.seconds, retransmits: session.linkStats.retransmits };
  } finally {
    await session.close();
  }
}

/** The options of this script (commander); all.ts passes these two on. */
export function streamProgram(): Command {
  return new Command('node dist/host/bench/stream.js')
    .description('Samples per second streamed through the session to the device program (pipes, pty), against the learner alone in this process.')
    .option('--quick', 'fewer samples (seconds instead of a minute)')
    .option('--json', 'print JSON instead of the table');
}

async function main(): Promise<void> {
  const { quick = false, json = false } = streamProgram().parse().opts<{ quick?: boolean; json?: boolean }>();
  const imu = generateImuGestures(2000, { seed: 1 });
  const mnist = loadMnist().train;
  const workloads: Workload[] = [
    {
      name: 'sensor 192-64-32 (IMU, 5 classes)',
      config: { inputSize: 192, layers: [64, 32], classes: 5, seed: 1 },
      data: imu,
      samples: quick ? 1000 : 5000,
    },
    {
      name: 'MNIST 784-500-500 (10 classes)',
      config: { inputSize: 784, layers: [500, 500], classes: 10, seed: 1 },
      data: { count: 2000, inputSize: 784, inputs: mnist.inputs.subarray(0, 2000 * 784), labels: mnist.labels.subarray(0, 2000) },
      samples: quick ? 100 : 400,
    },
  ];
  const pty = socatAvailable();
  if (!pty && !json) console.log('socat not installed: skipping the pty rows (scripts/setup-toolchains.sh installs it)\n');
  const links: { name: string; make: () => Transport; encodings: SampleEncoding[] }[] = [
    { name: 'virtual (pipes)', make: () => new VirtualDeviceTransport(), encodings: ['f32'] },
    ...(pty ? [{ name: 'pty (socat + serialport)', make: () => new PtyDeviceTransport(), encodings: ['f32', 'int8'] as SampleEncoding[] }] : []),
  ];
  const results: Row[] = [];
  // The learner alone first, while no device process competes for the CPU.
  const ceilings = new Map<Workload, number>();
  for (const w of workloads) ceilings.set(w, await inProcess(w));
  for (const w of workloads) {
    const ceiling = ceilings.get(w)!;
    for (const link of links) {
      for (const encoding of link.encodings) {
        const { seconds, retransmits } = await throughLink(w, link.make(), encoding);
        const row: Row = {
          model: w.name,
          link: link.name,
          encoding,
          samples: w.samples,
          seconds,
          samplesPerSecond: w.samples / seconds,
          inProcessPerSecond: ceiling,
          retransmits,
        };
        results.push(row);
        if (!json) process.stderr.write(`  ${w.name} via ${link.name} (${encoding}): ${Math.round(row.samplesPerSecond)} samples/s\n`);
      }
    }
  }
  if (json) {
    console.log(JSON.stringify({ node: process.version, results }, null, 2));
    return;
  }
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\nStreaming throughput, batch 1, window 8 (node ${process.version})`);
  console.log(
    renderTable(
      ['model', 'link', 'encoding', 'samples', 'seconds', 'samples/s', 'in-process samples/s', 'ratio', 'retransmits'],
      results.map((r) => [
        r.model,
        r.link,
        r.encoding,
        String(r.samples),
        r.seconds.toFixed(2),
        fmt(r.samplesPerSecond),
        fmt(r.inProcessPerSecond),
        `${(r.samplesPerSecond / r.inProcessPerSecond).toFixed(2)}x`,
        String(r.retransmits),
      ]),
      ['left', 'left', 'left'],
    ),
  );
  console.log('\nin-process = the learner (ff-core.wasm) alone in this process on the same samples; ratio = streamed / in-process.');
  console.log('The device runs in its own process, so a compute-bound model can stream at or above the in-process rate;');
  console.log('on a small model the ratio is the cost of framing, pipes/tty and the host event loop. Expect run-to-run noise on shared machines.');
}

// Run only as the entry point, so all.ts can import streamProgram.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(`bench:stream failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
