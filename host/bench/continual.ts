// npm run bench:continual: issue 10's continual-learning targets on the
// virtual device, every figure printed with its target and met/missed.
//
//   split-MNIST  class-incremental, 5 tasks x 2 digits, the 7,996/2,004 split;
//                fine-tune, and replay in a buffer of <= 64 KiB: ACC >= 85%, BWT >= -10 pts
//   split-IMU    class-incremental, 5 gestures one per task;
//                fine-tune, and replay in a buffer of <= 16 KiB: ACC >= 80%
//   rules        ff, hebbian-ff, pepita, backprop, each with the same buffer
//   ff family    ff and hebbian-ff draw hard negatives among the labels seen so far
//                and predict among them (LearnerConfig.seenLabelsOnly); --plain-ff: not
//   joint        the same samples as one task (all classes shuffled together):
//                the one-pass accuracy of the rule and model, the reference replay
//                is measured against (BWT/FWT n/a: one task)
//
// The buffer's capacity is the most samples the byte budget holds for the
// storage code (assembly/learner/replay.ts: slot bytes + 2 counters per
// class); the bytes printed are the device's own replayBytes() for that
// config (in-process ff-core.wasm, same code as the device's).
//
// --budget SECONDS: once spent, the runs not started are skipped and listed
// (a started run always finishes its whole schedule: every task, every R row).
//
//   npm run bench:continual -- [--only mnist|imu] [--rules ff,backprop] [--storage raw|int4]
//     [--mode reservoir|class-balanced] [--ratio R] [--budget S] [--json]
//
// Non-goals: the M4 firmware run (bench:firmware), drift targets (the drift bench).

import { Command, Option } from 'commander';
import { buildScenario, type ContinualFlags } from '../cli/continual.js';
import { openSession } from '../cli/device.js';
import { Learner } from '../learner/learner.js';
import type { LearnerConfig } from '../learner/config.js';
import { renderTable } from '../logs/index.js';
import { runScenario, type ScenarioResult } from '../continual/runner.js';
import { runConfig, RULES, type StrategyOptions } from '../continual/strategies.js';
import type { Scenario } from '../continual/scenarios.js';

/** ratio: per rule, the replay ratio measured best for the scenario (docs/continual.md), unless --ratio. */
interface Target {
  name: string;
  source: 'mnist' | 'imu';
  bufferBytes: number;
  acc: number;
  bwt: number | null;
  layers: number[];
  ratio: Record<string, number>;
  trainSize?: string;
  evalSamples?: string;
}

const TARGETS: Target[] = [
  {
    name: 'split-IMU (5 gestures, 1 per task)',
    source: 'imu',
    bufferBytes: 16 * 1024,
    acc: 0.8,
    bwt: null,
    layers: [64, 32],
    ratio: { ff: 8, 'hebbian-ff': 8, pepita: 4, backprop: 4 },
    trainSize: '2000',
  },
  {
    name: 'split-MNIST (5 x 2 digits)',
    source: 'mnist',
    bufferBytes: 64 * 1024,
    acc: 0.85,
    bwt: -0.1,
    layers: [500, 500],
    ratio: { ff: 2, 'hebbian-ff': 2, pepita: 2, backprop: 2 },
    evalSamples: '2004',
  },
];

/** Bytes of one stored sample (assembly/learner/replay.ts: replaySlotBytes). */
export function slotBytes(inputs: number, storage: 'raw' | 'int4'): number {
  return storage === 'int4' ? 12 + ((Math.ceil(inputs / 2) + 3) & ~3) : 8 + ((inputs + 3) & ~3);
}

/** The most samples a buffer of `bytes` holds (slots + stored/seen counters per class). */
export function capacityFor(bytes: number, inputs: number, classes: number, storage: 'raw' | 'int4'): number {
  return Math.floor((bytes - 8 * classes) / slotBytes(inputs, storage));
}

interface Row {
  target: Target;
  rule: string;
  strategy: string;
  capacity: number;
  ratio: number;
  bytes: number;
  result: ScenarioResult | null;
}

const program = new Command('node dist/host/bench/continual.js')
  .description("issue 10's continual-learning targets on the virtual device (split-MNIST, split-IMU; every rule, fine-tune vs replay)")
  .addOption(new Option('--only <scenario>', 'run one scenario').choices(['mnist', 'imu']))
  .option('--rules <list>', 'rules to run', RULES.join(','))
  .addOption(new Option('--storage <code>', 'replay storage (int4: twice the samples in the same bytes)').choices(['raw', 'int4']).default('int4'))
  .addOption(new Option('--mode <mode>', 'replay buffer').choices(['reservoir', 'class-balanced']).default('reservoir'))
  .option('--ratio <r>', 'replayed samples per streamed sample (default per rule: IMU ff family 8, pepita/backprop 4; MNIST 2)')
  .option('--skip-fine-tune', 'replay runs only (no fine-tune, no joint)')
  .option('--no-joint', 'skip the joint run (all classes in one task, one pass: what the rule learns with nothing to forget)')
  .option('--budget <seconds>', 'start no run after this many seconds (a started run finishes)', '3600')
  .option('--model <json>', 'LearnerConfig fields over the scenario\'s model, e.g. \'{"negatives":"random","learningRate":0.003}\'', '{}')
  .option('--plain-ff', 'ff and hebbian-ff with the default random negatives over all labels (default: hard negatives over seen labels only)')
  .option('--json', 'print the rows as JSON too');
const opts = program.parse().opts<{
  only?: 'mnist' | 'imu';
  rules: string;
  storage: 'raw' | 'int4';
  mode: 'reservoir' | 'class-balanced';
  ratio?: string;
  skipFineTune?: boolean;
  joint: boolean;
  budget: string;
  model: string;
  plainFf?: boolean;
  json?: boolean;
}>();
const rules = opts.rules
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const r of rules) if (!(RULES as readonly string[]).includes(r)) program.error(`--rules: unknown rule ${JSON.stringify(r)}: use ${RULES.join(', ')}`);
const ratioFlag = opts.ratio === undefined ? undefined : Number(opts.ratio);
if (ratioFlag !== undefined && !(ratioFlag >= 0 && ratioFlag <= 64)) program.error(`--ratio must be a number in [0, 64]; got ${opts.ratio}`);
let overrides: Partial<LearnerConfig> = {};
try {
  overrides = JSON.parse(opts.model) as Partial<LearnerConfig>;
} catch (err) {
  program.error(`--model must be a JSON object of LearnerConfig fields: ${(err as Error).message}`);
}
const budget = Number(opts.budget);
if (!(budget > 0)) program.error(`--budget must be seconds > 0; got ${opts.budget}`);

const started = performance.now();
const elapsed = (): number => (performance.now() - started) / 1000;
const pct = (v: number | null) => (v === null ? 'n/a' : (v * 100).toFixed(1));
const pts = (v: number | null) => (v === null ? 'n/a' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`);

/** The device's own byte count for a replay config (in-process ff-core.wasm). */
async function deviceReplayBytes(config: LearnerConfig): Promise<number> {
  const learner = await Learner.load();
  learner.configure(config);
  return learner.replay().bytes;
}

const rows: Row[] = [];
const skipped: string[] = [];
const session = await openSession({}, undefined, true);
try {
  for (const target of TARGETS.filter((t) => !opts.only || t.source === opts.only)) {
    const flags: ContinualFlags = {
      scenario: 'class-incremental',
      source: target.source,
      strategies: 'replay',
      rules: 'ff',
      ...(target.trainSize ? { trainSize: target.trainSize } : {}),
      ...(target.evalSamples ? { evalSamples: target.evalSamples } : {}),
    };
    const scenario: Scenario = await buildScenario(flags, 1);
    // The same samples as one task, shuffled: what one pass of the rule reaches without any forgetting to undo.
    const jointScenario: Scenario = await buildScenario({ ...flags, tasks: Array.from({ length: scenario.classes }, (_, c) => c).join(',') }, 1);
    const capacity = capacityFor(target.bufferBytes, scenario.inputSize, scenario.classes, opts.storage);
    const optionsFor = (ratio: number): StrategyOptions => ({
      replayCapacity: capacity,
      replayRatio: ratio,
      replayMode: opts.mode,
      replayStorage: opts.storage,
      prequential: 'goodness',
    });
    const model: LearnerConfig = { inputSize: scenario.inputSize, classes: scenario.classes, layers: target.layers, ...overrides };
    process.stderr.write(`${target.name}: ${scenario.length} samples per run; replay ${opts.mode}, ${capacity} samples (${opts.storage})\n`);
    for (const rule of rules) {
      const ratio = ratioFlag ?? target.ratio[rule]!;
      const options = optionsFor(ratio);
      const strategies = opts.skipFineTune ? ['replay'] : [...(opts.joint ? ['joint'] : []), 'fine-tune', 'replay'];
      for (const strategy of strategies) {
        // FF family: hard negatives drawn among the labels seen so far, prediction over them (measured best, docs/continual.md).
        const ffFamily = rule === 'ff' || rule === 'hebbian-ff';
        const ruleModel: LearnerConfig = ffFamily && !opts.plainFf ? { negatives: 'hard', seenLabelsOnly: true, ...model } : model;
        const config = runConfig(ruleModel, strategy === 'joint' ? 'fine-tune' : strategy, rule, options);
        const bytes = strategy === 'replay' ? await deviceReplayBytes(config) : 0;
        if (bytes > target.bufferBytes)
          throw new Error(`replay buffer of ${bytes} B is over the ${target.bufferBytes} B target: capacityFor() disagrees with the device's slot size`);
        const row: Row = { target, rule, strategy, capacity: strategy === 'replay' ? capacity : 0, ratio, bytes, result: null };
        rows.push(row);
        if (elapsed() > budget) {
          skipped.push(`${target.source} ${strategy} ${rule}`);
          continue;
        }
        row.result = await runScenario(session, strategy === 'joint' ? jointScenario : scenario, config);
        const m = row.result.metrics;
        process.stderr.write(`  ${strategy} ${rule}: ACC ${pct(m.acc)}% BWT ${pts(m.bwt)} FWT ${pts(m.fwt)} (${row.result.seconds.toFixed(0)} s)\n`);
      }
    }
  }
} finally {
  await session.close();
}

const verdict = (r: Row): string => {
  if (!r.result || r.strategy !== 'replay') return '';
  const m = r.result.metrics;
  const accOk = m.acc !== null && m.acc >= r.target.acc;
  const bwtOk = r.target.bwt === null || (m.bwt !== null && m.bwt >= r.target.bwt);
  return accOk && bwtOk
    ? 'met'
    : `missed (${[accOk ? '' : `ACC < ${r.target.acc * 100}%`, bwtOk ? '' : `BWT < ${r.target.bwt! * 100} pts`].filter(Boolean).join(', ')})`;
};
for (const target of TARGETS) {
  const mine = rows.filter((r) => r.target === target);
  if (mine.length === 0) continue;
  process.stdout.write(
    `\n${target.name}: target with replay in <= ${target.bufferBytes / 1024} KiB: ACC >= ${target.acc * 100}%${target.bwt !== null ? `, BWT >= ${target.bwt * 100} pts` : ''}\n`,
  );
  process.stdout.write(
    renderTable(
      ['rule', 'strategy', 'buffer (samples, bytes, ratio)', 'ACC %', 'BWT pts', 'FWT pts', 'prequential %', 'target'],
      mine.map((r) => [
        r.rule,
        r.strategy,
        r.strategy === 'replay' ? `${r.capacity}, ${r.bytes.toLocaleString('en-US')} B, ${r.ratio}` : '-',
        ...(r.result
          ? [pct(r.result.metrics.acc), pts(r.result.metrics.bwt), pts(r.result.metrics.fwt), pct(r.result.prequential), verdict(r)]
          : ['skipped (budget)', '', '', '', '']),
      ]),
      ['left', 'left', 'left'],
    ) + '\n',
  );
}
if (skipped.length) process.stdout.write(`\nnot run (--budget ${budget} s spent): ${skipped.join('; ')}\n`);
process.stdout.write(
  `\n${elapsed().toFixed(0)} s; ${opts.plainFf ? 'ff family: random negatives over all labels' : 'ff family: hard negatives and prediction over seen labels'}; replay ${opts.mode}, storage ${opts.storage}, ratio ${ratioFlag ?? 'per rule (column)'}; seed 1; metrics: Lopez-Paz & Ranzato 2017 (GEM)\n`,
);
if (opts.json) {
  process.stdout.write(
    JSON.stringify(
      rows.map((r) => ({
        scenario: r.target.source,
        rule: r.rule,
        strategy: r.strategy,
        capacity: r.capacity,
        ratio: r.ratio,
        bytes: r.bytes,
        ...(r.result
          ? { acc: r.result.metrics.acc, bwt: r.result.metrics.bwt, fwt: r.result.metrics.fwt, R: r.result.R, verdict: verdict(r) }
          : { skipped: true }),
      })),
    ) + '\n',
  );
}
