// `npm start`: the whole path end to end with no hardware and no system
// packages. The virtual device (build/ff-device.wasm in a Node child
// process) learns synthetic IMU gestures with Forward-Forward, one
// sample at a time as a sensor would deliver them, while the host streams
// samples, evaluates on held-out windows via INFER, and logs every goodness
// record. Prints the per-layer goodness separation and accuracy, and writes
// out/demo.jsonl and out/demo.svg.
//
// The config is tuned honestly on the generator's own seeds (held-out windows
// come from a different seed than the training stream): about 0.8 accuracy
// after 6000 samples, chance is 0.2.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { trainWithProgress, reportLog } from './cli/stream.js';
import { openSource } from './cli/sources.js';
import { overlayFor, tunedDefaults } from './cli/defaults.js';
import type { LearnerConfig } from './learner/config.js';
import { openJsonlWriter } from './logs/index.js';
import { packageRoot } from './paths.js';
import { Session } from './session/index.js';
import { VirtualDeviceTransport } from './transport/virtual-device.js';

const SAMPLES = 6000;
const EVAL_SAMPLES = 500;
const EVAL_EVERY = 1000;

async function main(): Promise<void> {
  const out = join(packageRoot, 'out');
  mkdirSync(out, { recursive: true });
  const logPath = join(out, 'demo.jsonl');
  const plotPath = join(out, 'demo.svg');
  rmSync(logPath, { force: true }); // the writer appends; the demo starts a fresh log

  const source = await openSource('imu', { seed: 1, trainSize: SAMPLES, evalSamples: EVAL_SAMPLES });
  // The same settings `ffedge stream` uses by default (cli/defaults.ts), so the two cannot drift apart.
  const config: LearnerConfig = {
    inputSize: source.inputSize,
    classes: source.classes,
    layers: [64, 32],
    ...tunedDefaults('ff', SAMPLES),
    overlay: overlayFor(source.kind).overlay,
    seed: 1,
  };
  const chance = 1 / source.classes;

  console.log('ff-edge demo: Forward-Forward learning on a virtual device, streamed like a serial sensor');
  console.log(`  data   ${source.name}: ${source.classNames!.join(', ')}`);
  console.log(`  model  ${config.inputSize} -> ${config.layers.join(' -> ')}, ${config.classes} classes, hard negatives, peer normalisation`);

  const log = openJsonlWriter(logPath);
  const transport = new VirtualDeviceTransport();
  const session = await Session.connect(transport, { log });
  try {
    const d = session.device;
    console.log(`  device ${d.runtime} (protocol v${d.protocolVersion}, window ${d.window}) via ${transport.description}`);
    const { arenaUsed } = await session.configure(config);
    console.log(`  arena  ${arenaUsed?.toLocaleString('en-US')} bytes on the device\n`);

    const run = await trainWithProgress(session, source, { epochs: 1, samples: SAMPLES, evalEvery: EVAL_EVERY, mode: 'goodness', quiet: false });
    const head = await session.evaluate(source.evalSet!(), { mode: 'head', log: false });
    await session.close();
    await log.close();

    const summary = await reportLog(logPath, plotPath, 'ff-edge demo: IMU gestures on the virtual device');
    console.log(`\n${summary}`);
    const goodness = run.final!;
    const perClass = goodness.perClass.map((a, i) => `${source.classNames![i]} ${a === null ? '-' : a.toFixed(2)}`).join(', ');
    console.log(`Accuracy on ${goodness.n} held-out windows (chance ${chance.toFixed(2)}):`);
    console.log(`  by goodness     ${goodness.accuracy.toFixed(3)}   (${perClass})`);
    console.log(`  by softmax head ${head.accuracy.toFixed(3)}`);
    console.log(
      `Streamed ${run.trained} samples in ${run.seconds.toFixed(1)} s (${Math.round(run.samplesPerSecond)} samples/s), each trained exactly once (device step ${session.step}).`,
    );
    console.log(`\nlog:  ${logPath}\nplot: ${plotPath}`);
    console.log('next: ffedge logs summary out/demo.jsonl | ffedge stream --help');
    if (goodness.accuracy < 2 * chance) {
      console.error(`demo: accuracy ${goodness.accuracy.toFixed(3)} is not well above chance; something is wrong`);
      process.exitCode = 1;
    }
  } finally {
    await session.close();
    if (!log.closed) await log.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  process.exitCode = 1;
});
