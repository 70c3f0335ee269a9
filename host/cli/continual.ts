// `ffedge continual`: a continual-learning scenario on a device for a set of
// strategies x rules. Each run is a fresh CONFIGURE on one connection; each
// writes its own JSONL log (train, boundary, drift, prequential, task-eval,
// continual-summary records) and SVG plot into --out, and the command writes
// results.json (every R matrix and metric) and results.txt (the table and the
// matrices) beside them.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderAccuracyMatrix, renderTable, openJsonlWriter, writeGoodnessPlot, type JsonlWriter } from '../logs/index.js';
import type { LearnerConfig } from '../learner/config.js';
import type { RecordSink, Session } from '../session/index.js';
import type { LogRecord } from '../logs/records.js';
import { packSamples, type PackedSamples, type Sample } from '../sources/index.js';
import { parseDrift, DriftSpecError } from '../continual/drift.js';
import {
  classIncremental,
  defaultTaskGroups,
  domainDrift,
  parseTaskGroups,
  recurringClasses,
  ScenarioError,
  SCENARIOS,
  taskColumn,
  type BaseData,
  type Scenario,
} from '../continual/scenarios.js';
import { runScenario, type ScenarioResult } from '../continual/runner.js';
import { DEFAULT_STRATEGY_OPTIONS, RULES, runConfig, STRATEGIES, StrategyError, type StrategyOptions } from '../continual/strategies.js';
import { loadTaskFile } from '../continual/task-file.js';
import { mixSeed } from '../sources/prng.js';
import { openSession, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { buildModel, type ModelFlags } from './model.js';
import { ProgressBar } from './progress.js';
import { openSource } from './sources.js';
import { defaultLogPath } from './stream.js';

export interface ContinualFlags extends DeviceFlags, ModelFlags {
  scenario: string;
  source: string;
  tasks?: string;
  classesPerTask?: string;
  shuffleClasses?: boolean;
  drift?: string;
  gradual?: string;
  samplesPerTask?: string;
  trainSize?: string;
  evalSamples?: string;
  holdout?: string;
  taskColumn?: string;
  labelColumn?: string;
  strategies: string;
  rules: string;
  replayCapacity?: string;
  replayRatio?: string;
  replayMode?: string;
  predict?: string;
  window?: string;
  seed?: string;
  out?: string;
  quiet?: boolean;
}

function count(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

function list<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of items)
    if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`unknown ${flag} ${JSON.stringify(s)}: use ${allowed.join(', ')}`);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}

async function collect(samples: Iterable<Sample> | AsyncIterable<Sample>, max: number): Promise<Sample[]> {
  const out: Sample[] = [];
  if (max <= 0) return out;
  for await (const s of samples as AsyncIterable<Sample>) {
    out.push(s);
    if (out.length >= max) break;
  }
  return out;
}

/** Any `--source` as train/held-out rows in memory (a live serial sensor: the first --train-size windows, part held out). */
async function loadBase(flags: ContinualFlags, seed: number): Promise<BaseData> {
  const trainSize = count('--train-size', flags.trainSize, 1);
  const evalSamples = count('--eval-samples', flags.evalSamples, 1);
  const holdout = flags.holdout === undefined ? undefined : Number(flags.holdout);
  const source = await openSource(flags.source, {
    seed,
    ...(trainSize !== undefined ? { trainSize } : {}),
    ...(evalSamples !== undefined ? { evalSamples } : {}),
    ...(holdout !== undefined ? { holdout } : {}),
    ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
  });
  try {
    const kind = flags.source.split(':')[0];
    const live = source.samplesPerEpoch === null;
    if (live && trainSize === undefined) throw new UsageError('a live source needs --train-size N: the scenario is built from the first N windows it sends');
    let train: PackedSamples = packSamples(await collect(source.train(0), live ? trainSize! : Infinity), source.inputSize);
    let held: PackedSamples;
    if (source.evalSet) {
      held = packSamples(await collect(source.evalSet(), Infinity), source.inputSize);
    } else {
      // Live source: hold out every k-th captured window.
      const every = Math.max(2, Math.round(1 / (holdout ?? 0.2)));
      const rows = Array.from({ length: train.count }, (_, i) => i);
      const pick = (keep: (i: number) => boolean): PackedSamples =>
        packSamples(
          rows.filter(keep).map((i) => ({
            inputs: train.inputs.slice(i * train.inputSize, (i + 1) * train.inputSize),
            label: train.labels[i]!,
          })),
          source.inputSize,
        );
      held = pick((i) => i % every === every - 1);
      train = pick((i) => i % every !== every - 1);
    }
    const imuLike = kind === 'imu' || (kind === 'serial-sensor' && source.inputSize % 6 === 0);
    return {
      name: source.name,
      inputSize: source.inputSize,
      classes: source.classes,
      ...(source.classNames ? { classNames: source.classNames } : {}),
      ...(imuLike ? { channels: 6 } : {}),
      ...(kind === 'mnist' ? { imageSide: 28 } : {}),
      train,
      eval: held,
    };
  } finally {
    await source.close?.();
  }
}

export async function buildScenario(flags: ContinualFlags, seed: number): Promise<Scenario> {
  const name = flags.scenario;
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new UsageError(`unknown --scenario ${JSON.stringify(name)}: use one of ${SCENARIOS.join(', ')}`);
  const samplesPerTask = count('--samples-per-task', flags.samplesPerTask, 1);
  const gradual = count('--gradual', flags.gradual) ?? 0;
  const common = { seed, ...(samplesPerTask !== undefined ? { samplesPerTask } : {}) };
  try {
    if (name === 'task-column') {
      const [kind, file] = [flags.source.split(':')[0], flags.source.slice(flags.source.indexOf(':') + 1)];
      if ((kind !== 'csv' && kind !== 'jsonl') || !file || !flags.source.includes(':'))
        throw new UsageError('--scenario task-column reads a file: --source csv:FILE or jsonl:FILE');
      const column = flags.taskColumn ?? 'task';
      const raw = flags.labelColumn;
      const label = raw === undefined ? undefined : raw === 'none' ? null : /^-?\d+$/.test(raw) ? Number(raw) : raw;
      const { data, tasks } = await loadTaskFile(file, column, label !== undefined ? { label } : {});
      return taskColumn(
        {
          name: file,
          inputSize: data.inputSize,
          classes: data.classes,
          ...(data.classNames ? { classNames: data.classNames } : {}),
          rows: data.packed,
        },
        tasks,
        { seed, ...(flags.holdout !== undefined ? { holdout: Number(flags.holdout) } : {}) },
      );
    }
    const base = await loadBase(flags, seed);
    const groups = (): number[][] => {
      if (flags.tasks) return parseTaskGroups(flags.tasks, base.classes, base.classNames);
      const perTask = count('--classes-per-task', flags.classesPerTask, 1) ?? (base.classes >= 10 ? 2 : 1);
      return defaultTaskGroups(base.classes, perTask, flags.shuffleClasses ? mixSeed(seed, 0xc1a5) : null);
    };
    const drifts = (): ReturnType<typeof parseDrift>[] => (flags.drift ?? '').split(',').filter(Boolean).map(parseDrift);
    switch (name) {
      case 'class-incremental':
        return classIncremental(base, groups(), common);
      case 'domain-drift':
        return domainDrift(base, drifts(), { ...common, gradual });
      default: // recurring
        return flags.drift
          ? domainDrift(base, drifts(), { ...common, gradual, recurring: true })
          : flags.tasks
            ? recurringClasses(base, groups(), common)
            : (() => {
                throw new UsageError('--scenario recurring needs B: --drift SPEC (A clean, B drifted) or --tasks A/B (class groups)');
              })();
    }
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof DriftSpecError) throw new UsageError(err.message);
    throw err;
  }
}

/** A sink that writes to whichever run's log is current (one connection, one log per run). */
class SwitchingSink implements RecordSink {
  current: JsonlWriter | null = null;
  append(record: LogRecord): Promise<void> | void {
    return this.current?.append(record);
  }
}

const pct = (v: number | null) => (v === null ? 'n/a' : (v * 100).toFixed(1));
const pts = (v: number | null) => (v === null ? 'n/a' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`);

export interface ContinualRun {
  strategy: string;
  rule: string;
  config: LearnerConfig;
  result: ScenarioResult;
  log: string;
  plot: string;
}

export function resultsTable(runs: readonly ContinualRun[]): string {
  return renderTable(
    ['strategy', 'rule', 'ACC %', 'BWT pts', 'FWT pts', 'prequential %', 'drift alarms', 'seconds'],
    runs.map(({ strategy, rule, result: r }) => [
      strategy,
      rule,
      pct(r.metrics.acc),
      pts(r.metrics.bwt),
      pts(r.metrics.fwt),
      r.prequential === null ? 'n/a (device sent no predictions)' : pct(r.prequential),
      String(r.driftAlarms.length),
      r.seconds.toFixed(1),
    ]),
    ['left', 'left'],
  );
}

export async function continualCommand(flags: ContinualFlags): Promise<void> {
  const seed = count('--seed', flags.seed) ?? 1;
  const strategies = list('strategy', flags.strategies, STRATEGIES);
  const rules = list('rule', flags.rules, RULES);
  const predict = flags.predict ?? 'goodness';
  if (predict !== 'goodness' && predict !== 'head') throw new UsageError(`--predict must be goodness or head; got ${JSON.stringify(predict)}`);
  const replayMode = flags.replayMode ?? DEFAULT_STRATEGY_OPTIONS.replayMode;
  if (replayMode !== 'reservoir' && replayMode !== 'class-balanced')
    throw new UsageError(`--replay-mode must be reservoir or class-balanced; got ${JSON.stringify(replayMode)}`);
  const strategyOptions: StrategyOptions = {
    replayCapacity: count('--replay-capacity', flags.replayCapacity, 1) ?? DEFAULT_STRATEGY_OPTIONS.replayCapacity,
    replayRatio: flags.replayRatio === undefined ? DEFAULT_STRATEGY_OPTIONS.replayRatio : Number(flags.replayRatio),
    replayMode,
    prequential: predict,
  };
  if (!(strategyOptions.replayRatio >= 0)) throw new UsageError(`--replay-ratio must be a number >= 0; got ${JSON.stringify(flags.replayRatio)}`);
  const window = count('--window', flags.window, 1) ?? 500;
  const quiet = flags.quiet ?? false;
  const say = (text: string): void => {
    if (!quiet) process.stderr.write(`${text}\n`);
  };

  const scenario = await buildScenario(flags, seed);
  const defaults: Partial<LearnerConfig> = scenario.inputSize >= 784 ? { layers: [500, 500] } : { layers: [64, 32] };
  const model = await buildModel(flags, { inputSize: scenario.inputSize, classes: scenario.classes }, defaults);
  // Every config is checked before the device is touched: a bad strategy/rule fails in a second, not after an hour.
  const plans = strategies.flatMap((strategy) =>
    rules.map((rule) => {
      try {
        return { strategy, rule, config: runConfig(model, strategy, rule, strategyOptions) };
      } catch (err) {
        if (err instanceof StrategyError) throw new UsageError(err.message);
        throw err;
      }
    }),
  );

  const out = resolve(flags.out ?? defaultLogPath('continual').replace(/\.jsonl$/, ''));
  mkdirSync(out, { recursive: true });
  say(`scenario ${scenario.description}`);
  say(`  ${scenario.tasks.length} tasks: ${scenario.tasks.map((t, k) => `${k} ${t.name} (${t.trainCount} train, ${t.eval.count} held out)`).join('; ')}`);
  say(
    `  ${plans.length} run${plans.length === 1 ? '' : 's'} (${strategies.join(', ')} x ${rules.join(', ')}), ${scenario.length.toLocaleString('en-US')} samples each; out ${out}`,
  );

  const sink = new SwitchingSink();
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    say('\ninterrupted: finishing the samples in flight (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const runs: ContinualRun[] = [];
  let session: Session | undefined;
  try {
    session = await openSession(flags, sink, quiet);
    for (const plan of plans) {
      const base = `${plan.strategy}-${plan.rule}`.replace(/[^a-z0-9-]+/gi, '-');
      const logPath = join(out, `${base}.jsonl`);
      const writer = openJsonlWriter(logPath);
      sink.current = writer;
      const bar = quiet ? null : new ProgressBar({ label: `${plan.strategy} ${plan.rule}`, total: scenario.length, unit: ' samples' });
      let result: ScenarioResult;
      try {
        result = await runScenario(session, scenario, plan.config, {
          log: sink,
          mode: predict,
          window,
          signal: abort.signal,
          onTrained: (done) => bar?.update(done),
          onEvalStart: (k) => bar?.annotate(k < 0 ? 'evaluating the untrained model ...' : `task ${k} done, evaluating ...`),
          onTaskEnd: (k, row) => bar?.annotate(`after task ${k}: ${row.map((a) => (a * 100).toFixed(0)).join(' ')}`),
        });
      } finally {
        await writer.close();
        sink.current = null;
      }
      bar?.finish(`ACC ${pct(result.metrics.acc)}%  BWT ${pts(result.metrics.bwt)}`);
      const plotPath = join(out, `${base}.svg`);
      await writeGoodnessPlot(logPath, plotPath, { title: `ffedge continual: ${plan.strategy}, ${plan.rule} on ${scenario.name}` });
      runs.push({ ...plan, result, log: logPath, plot: plotPath });
    }
    await session.close();
  } finally {
    process.off('SIGINT', onSigint);
    await session?.close().catch(() => undefined);
  }

  const names = scenario.tasks.map((t) => t.name);
  const text =
    [
      `ffedge continual: ${scenario.description}`,
      `seed ${seed}; model ${model.inputSize} -> ${model.layers.join(' -> ')} (${model.classes} classes); metrics: Lopez-Paz & Ranzato 2017 (GEM)`,
      '',
      resultsTable(runs),
      ...runs.flatMap((r) => [
        '',
        `R for ${r.strategy}, ${r.rule} (row: after task i; column: task j; %)`,
        renderAccuracyMatrix(r.result.R, r.result.baseline, names),
      ]),
    ].join('\n') + '\n';
  writeFileSync(join(out, 'results.txt'), text);
  writeFileSync(
    join(out, 'results.json'),
    JSON.stringify(
      {
        scenario: {
          name: scenario.name,
          description: scenario.description,
          seed,
          tasks: scenario.tasks.map((t) => ({ name: t.name, classes: t.classes, train: t.trainCount, heldOut: t.eval.count })),
          boundaries: scenario.boundaries,
        },
        model,
        runs: runs.map((r) => ({
          strategy: r.strategy,
          rule: r.rule,
          config: r.config,
          R: r.result.R,
          baseline: r.result.baseline,
          ...r.result.metrics,
          prequential: r.result.prequential,
          prequentialN: r.result.prequentialN,
          predictionsMissing: r.result.predictionsMissing,
          driftAlarms: r.result.driftAlarms,
          detectionDelays: r.result.detection.delays,
          falseAlarms: r.result.detection.falseAlarms,
          seconds: r.result.seconds,
          log: r.log,
          plot: r.plot,
        })),
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(text);
  process.stdout.write(`\nresults: ${join(out, 'results.txt')} and results.json; logs and plots: ${out}/<strategy>-<rule>.jsonl/.svg\n`);
}
