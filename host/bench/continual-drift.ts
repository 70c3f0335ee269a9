// `npm run bench:continual-drift`: issue 10's drift targets on IMU gestures,
// clean -> drifted (abrupt), with the device's Page-Hinkley detector on
// positive goodness and the restart-schedule reaction (strategies.ts:
// DRIFT_DETECTION, chosen on seeds 1-3; others are held out). Prints,
// per drift and seed: detection delay, false alarms per 10,000 samples,
// samples until the prequential accuracy is back within 5 points, met/missed
// (continual/drift-targets.ts). Two configs: detection alone, and
// replay+detection as `ffedge continual --strategies replay+detection` sets
// it (a 200-sample reservoir, one replayed sample per streamed one).
//
//   node dist/host/bench/continual-drift.js [--seeds 1,2,3,4] [--samples 12000] [--drifts gain:2,rotate:30,rotate:30:x]
//        [--strategies detection,replay+detection] [--device in-process|virtual|both] [--json]
//
// in-process: ff-core.wasm through Learner (fast sweeps); virtual:
// ff-device.wasm through the session and the continual runner, as
// `ffedge continual --scenario domain-drift --drift gain:2 --samples-per-task 12000`
// does; "both" runs the virtual device on the first seed and says whether its
// alarms and window accuracies equal the in-process ones.
//
// Numbers only; nothing is asserted (tests do not depend on measurements).

import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { LearnerConfig } from '../learner/config.js';
import { Learner } from '../learner/learner.js';
import { renderTable } from '../logs/summary.js';
import type { LogRecord } from '../logs/records.js';
import { Session } from '../session/index.js';
import { generateImuGestures, mixSeed } from '../sources/index.js';
import { IMU_CHANNELS, GESTURES } from '../sources/imu-gestures.js';
import { VirtualDeviceTransport } from '../transport/index.js';
import { parseDrift } from '../continual/drift.js';
import { domainDrift, type Scenario } from '../continual/scenarios.js';
import { PrequentialAccuracy } from '../continual/metrics.js';
import { runScenario } from '../continual/runner.js';
import { DEFAULT_STRATEGY_OPTIONS, DRIFT_DETECTION, strategyFragment } from '../continual/strategies.js';
import { driftTargets, driftTargetsMet, DRIFT_GOALS, type DriftTargets } from '../continual/drift-targets.js';

/** Prequential window, as `ffedge continual` (runner default). */
const WINDOW = 500;
const TRAIN_ROWS = 4000;

export const DRIFT_STRATEGIES = ['detection', 'replay+detection'] as const;

/** IMU 64-32 (`ffedge continual`'s default) with prequential prediction and the detector; with replay as the strategy sets it. */
export function driftConfig(inputSize: number, classes: number, strategy: (typeof DRIFT_STRATEGIES)[number] = 'detection'): LearnerConfig {
  const model: LearnerConfig = { inputSize, layers: [64, 32], classes };
  if (strategy === 'replay+detection') return { ...model, ...strategyFragment('replay+detection', DEFAULT_STRATEGY_OPTIONS) };
  return { ...model, prequential: 'goodness', drift: { ...DRIFT_DETECTION } };
}

export function imuDriftScenario(drift: string, seed: number, samplesPerTask: number): Scenario {
  const steps = 32;
  const train = generateImuGestures(TRAIN_ROWS, { seed, steps });
  const held = generateImuGestures(500, { seed: mixSeed(seed, 0x4e1d), steps });
  const base = { name: `imu gestures (seed ${seed})`, inputSize: steps * IMU_CHANNELS, classes: GESTURES.length, channels: IMU_CHANNELS, train, eval: held };
  return domainDrift(base, [parseDrift(drift)], { seed, samplesPerTask });
}

interface Run {
  alarms: number[];
  windowAccuracy: number[];
  seconds: number;
}

async function inProcess(scenario: Scenario, config: LearnerConfig): Promise<Run> {
  const learner = await Learner.load();
  learner.configure(config);
  const preq = new PrequentialAccuracy(WINDOW);
  const alarms: number[] = [],
    windowAccuracy: number[] = [];
  const started = performance.now();
  for (const s of scenario.stream()) {
    learner.trainFast(s.inputs, [s.label]);
    preq.add(learner.lastPredictions()[0] ?? null, s.label);
    windowAccuracy.push(preq.windowAccuracy ?? 0);
    if (learner.lastDrifts()[0]) alarms.push(s.index);
  }
  return { alarms, windowAccuracy, seconds: (performance.now() - started) / 1000 };
}

async function onVirtualDevice(scenario: Scenario, config: LearnerConfig): Promise<Run> {
  const windowAccuracy: number[] = [];
  const log = {
    append: (r: LogRecord): void => {
      if (r.type === 'prequential') windowAccuracy[r.sample] = r.windowAccuracy;
    },
  };
  const session = await Session.connect(new VirtualDeviceTransport(), { heartbeatIdleMs: 5000 });
  try {
    const r = await runScenario(session, scenario, config, { log, window: WINDOW, prequentialEvery: 1 });
    return { alarms: r.driftAlarms, windowAccuracy, seconds: r.seconds };
  } finally {
    await session.close();
  }
}

interface Row {
  drift: string;
  strategy: string;
  seed: number;
  device: string;
  targets: DriftTargets;
  met: boolean;
  seconds: number;
  same?: boolean;
}

const pct = (v: number): string => (100 * v).toFixed(1);

export function driftProgram(): Command {
  return new Command('node dist/host/bench/continual-drift.js')
    .description('issue 10 drift targets: detection delay, false alarms, recovery (IMU, clean -> drifted)')
    .option('--seeds <list>', 'seeds (the setting was chosen on 1-3)', '1,2,3,4')
    .option('--samples <n>', 'samples per task (clean, then drifted)', '12000')
    .option('--drifts <list>', 'drift specs (host/continual/drift.ts)', 'gain:2,rotate:30,rotate:30:x')
    .option('--strategies <list>', DRIFT_STRATEGIES.join(', '), DRIFT_STRATEGIES.join(','))
    .option('--device <kind>', 'in-process, virtual or both (virtual on the first seed only)', 'both')
    .option('--json', 'print the rows as JSON');
}

async function main(): Promise<void> {
  const o = driftProgram().parse().opts<{ seeds: string; samples: string; drifts: string; strategies: string; device: string; json?: boolean }>();
  const strategies = o.strategies.split(',') as (typeof DRIFT_STRATEGIES)[number][];
  for (const s of strategies)
    if (!DRIFT_STRATEGIES.includes(s)) throw new TypeError(`--strategies: ${JSON.stringify(s)} is not one of ${DRIFT_STRATEGIES.join(', ')}`);
  const seeds = o.seeds.split(',').map(Number);
  const samples = Number(o.samples);
  if (!Number.isInteger(samples) || samples < 10_000)
    throw new RangeError(`--samples must be >= 10000 (the false-alarm rate is per 10,000 stationary samples); got ${o.samples}`);
  if (!['in-process', 'virtual', 'both'].includes(o.device)) throw new TypeError(`--device must be in-process, virtual or both; got ${o.device}`);
  const rows: Row[] = [];
  for (const strategy of strategies)
    for (const drift of o.drifts.split(',')) {
      for (const [k, seed] of seeds.entries()) {
        const scenario = imuDriftScenario(drift, seed, samples);
        const config = driftConfig(scenario.inputSize, scenario.classes, strategy);
        const boundary = scenario.boundaries[1]!.sample;
        const row = (device: string, r: Run, same?: boolean): Row => {
          const targets = driftTargets(boundary, r.alarms, r.windowAccuracy, WINDOW);
          return { drift, strategy, seed, device, targets, met: driftTargetsMet(targets), seconds: r.seconds, ...(same !== undefined ? { same } : {}) };
        };
        let local: Run | null = null;
        if (o.device !== 'virtual') rows.push(row('in-process', (local = await inProcess(scenario, config))));
        if (o.device === 'virtual' || (o.device === 'both' && k === 0)) {
          const v = await onVirtualDevice(scenario, config);
          const same =
            local === null
              ? undefined
              : JSON.stringify(local.alarms) === JSON.stringify(v.alarms) && local.windowAccuracy.every((a, i) => Math.abs(a - v.windowAccuracy[i]!) < 1e-12);
          rows.push(row('virtual', v, same));
        }
        if (!o.json) process.stderr.write(`${strategy} ${drift} seed ${seed} done\n`);
      }
    }
  if (o.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(
    `IMU 192-64-32 ff, ${samples} clean then ${samples} drifted samples; detector ${JSON.stringify(DRIFT_DETECTION)} (chosen on seeds 1-3; docs/continual.md)`,
  );
  console.log(
    `targets: delay <= ${DRIFT_GOALS.delay}, <= ${DRIFT_GOALS.falsePer10k} false alarm per 10,000 samples, prequential accuracy (window ${WINDOW}) back within ${100 * DRIFT_GOALS.band} points in <= ${DRIFT_GOALS.recovery} samples`,
  );
  console.log(
    renderTable(
      ['strategy', 'drift', 'seed', 'device', 'delay', 'false alarms', 'per 10k', 'acc before', 'lowest after', 'recovery', 'met', 's'],
      rows.map((r) => [
        r.strategy,
        r.drift,
        String(r.seed),
        r.device + (r.same === undefined ? '' : r.same ? ' (= in-process)' : ' (DIFFERS)'),
        r.targets.delay === null ? 'none' : String(r.targets.delay),
        String(r.targets.falseAlarms),
        r.targets.falsePer10k.toFixed(2),
        pct(r.targets.before),
        pct(r.targets.lowest),
        r.targets.recovery === null ? 'never' : String(r.targets.recovery),
        r.met ? 'met' : 'missed',
        r.seconds.toFixed(1),
      ]),
    ),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
