// Samples per second on a noisy serial link, against the same link clean, in
// one run: the host's real serial path (serialport on a pty) through the
// seeded fault proxy (host/transport/fault-proxy.ts) to the virtual device,
// ~800-byte IMU samples (192 f32: imuGestureDataset, default 32 steps x 6).
// Damage is split over bit flips, drops and duplicated bytes, both ways.
//
//   node dist/host/bench/noisy-link.js [--seconds 15] [--levels 0,0.0002,0.001,0.005] [--seed 7]
//
// Each level trains for --seconds (or until the samples run out) and reports
// trained samples/s, the ratio to the clean link, the damage measured by the
// proxy, retransmits, losses found by probes and retransmission timeouts.
// Numbers only; nothing is asserted (tests do not depend on timing).

import { Command } from 'commander';
import { renderTable } from '../logs/summary.js';
import { Session } from '../session/index.js';
import { generateImuGestures, type PackedSamples } from '../sources/index.js';
import { damagedFraction, FaultProxy, type LinkFaults } from '../transport/fault-proxy.js';
import { SerialTransport } from '../transport/index.js';

interface Row {
  damage: number;
  measured: number;
  trained: number;
  seconds: number;
  perSecond: number;
  retransmits: number;
  probedLosses: number;
  timeouts: number;
  /** Why the run ended early, if it did. */
  error: string;
}

/** `fraction` of bytes damaged, split 40% flips, 40% drops, 20% duplicates. */
export function faultsFor(fraction: number): LinkFaults {
  return { flip: 0.4 * fraction, drop: 0.4 * fraction, duplicate: 0.2 * fraction };
}

function* rows(data: PackedSamples) {
  const d = data.inputSize;
  for (let k = 0; k < data.count; k++) yield { inputs: data.inputs.subarray(k * d, (k + 1) * d), label: data.labels[k]! };
}

async function measure(damage: number, seconds: number, seed: number, data: PackedSamples): Promise<Row> {
  const faults = damage > 0 ? faultsFor(damage) : undefined;
  const proxy = new FaultProxy({ seed, toDevice: faults, fromDevice: faults });
  const path = await proxy.start();
  // Losing a 792-byte frame 100 times in a row is likely at 0.5%: let the session go on, to measure.
  const session = await Session.connect(new SerialTransport({ path }), { maxLosses: 100_000 });
  const started = performance.now();
  let error = '';
  try {
    await session.configure({ inputSize: data.inputSize, layers: [32, 16], classes: 5 });
    const stop = AbortSignal.timeout(seconds * 1000);
    await session.trainStream(rows(data), { signal: stop });
  } catch (err) {
    error = (err as Error).name;
  }
  try {
    const elapsed = (performance.now() - started) / 1000;
    const s = session.linkStats;
    const p = proxy.stats;
    return {
      damage,
      measured: (damagedFraction(p.toDevice) + damagedFraction(p.fromDevice)) / 2,
      trained: session.trained,
      seconds: elapsed,
      perSecond: session.trained / elapsed,
      retransmits: s.retransmits,
      probedLosses: s.probedLosses,
      timeouts: s.timeouts,
      error,
    };
  } finally {
    await session.close();
    await proxy.close();
  }
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--seconds <s>', 'seconds of training per damage level', '15')
    .option('--levels <list>', 'fractions of bytes damaged, comma-separated (0 = clean, the reference)', '0,0.0002,0.001,0.005')
    .option('--seed <n>', 'fault proxy seed', '7')
    .parse()
    .opts<{ seconds: string; levels: string; seed: string }>();
  const seconds = Number(opts.seconds);
  const levels = opts.levels.split(',').map(Number);
  if (!(seconds > 0) || levels.some((l) => !(l >= 0 && l < 0.5))) throw new TypeError('--seconds must be > 0 and --levels fractions in [0, 0.5)');
  if (levels[0] !== 0) levels.unshift(0);
  const data = generateImuGestures(60000, { seed: 3 });
  const results: Row[] = [];
  for (const level of levels) {
    results.push(await measure(level, seconds, Number(opts.seed), data));
    process.stderr.write(`damage ${level}: ${results.at(-1)!.perSecond.toFixed(1)} samples/s\n`);
  }
  const clean = results[0]!.perSecond;
  process.stdout.write(
    `noisy link: ${data.inputSize} f32 per sample (~${data.inputSize * 4 + 20} bytes a frame), ${seconds} s per level, seed ${opts.seed}\n\n`,
  );
  process.stdout.write(
    `${renderTable(
      ['damaged bytes', 'measured', 'trained', 'seconds', 'samples/s', 'vs clean', 'retransmits', 'probed losses', 'timeouts', 'ended by'],
      results.map((r) => [
        `${(100 * r.damage).toFixed(2)}%`,
        `${(100 * r.measured).toFixed(3)}%`,
        String(r.trained),
        r.seconds.toFixed(1),
        r.perSecond.toFixed(1),
        `${((100 * r.perSecond) / clean).toFixed(2)}%`,
        String(r.retransmits),
        String(r.probedLosses),
        String(r.timeouts),
        r.error || '-',
      ]),
    )}\n`,
  );
}

await main();
