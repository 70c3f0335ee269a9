// Runs a scenario on a device session: configure afresh, measure the untrained
// model on every task (b), stream each task with prequential scoring, and
// after each task evaluate every task's held-out set (row i of R). Writes
// boundary, drift, prequential, task-eval and continual-summary records
// (logs/records.ts) to `log`; the session writes its own train and meta
// records to wherever its log points.
//
// The device is told nothing about boundaries: no protocol message exists for
// it, and a learner that only sees its stream is the point of the exercise.
//
// Non-goals: choosing the model or strategy (strategies.ts), printing (cli/continual.ts).

import type { LogRecord } from '../logs/records.js';
import type { LearnerConfig } from '../learner/config.js';
import type { PredictMode, RecordSink, Session, TrainResult } from '../session/index.js';
import { packedSource } from '../sources/sample.js';
import { accuracyMatrix, continualMetrics, detectionDelays, PrequentialAccuracy, type ContinualMetrics, type DetectionDelays } from './metrics.js';
import type { Scenario, ScenarioSample } from './scenarios.js';

/** TrainResult as the device side of issue 10 extends it; both fields optional until that merge. */
type ContinualTrainResult = TrainResult;

export interface RunScenarioOptions {
  /** Where the continual records go (usually the same writer as the session's log). */
  log?: RecordSink;
  mode?: PredictMode;
  /** Prequential window, samples (default 500). */
  window?: number;
  /** Write a prequential record every this many samples (default 100). */
  prequentialEvery?: number;
  signal?: AbortSignal;
  onTrained?: (done: number, total: number) => void;
  onTaskEnd?: (task: number, row: number[]) => void;
  onEvalStart?: (afterTask: number) => void;
}

export interface ScenarioResult {
  R: number[][];
  baseline: number[];
  metrics: ContinualMetrics;
  /** null when the device sent no predictions. */
  prequential: number | null;
  prequentialN: number;
  /** Labelled samples the device returned without a prediction. */
  predictionsMissing: number;
  /** Stream positions of the device's drift alarms. */
  driftAlarms: number[];
  /** Samples from each boundary (after the first) to the first alarm after it; alarms beyond the first per task are false. */
  detection: DetectionDelays;
  trained: number;
  seconds: number;
}

export async function runScenario(session: Session, scenario: Scenario, config: LearnerConfig, o: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const mode = o.mode ?? 'goodness';
  const every = o.prequentialEvery ?? 100;
  const write = async (r: LogRecord): Promise<void> => {
    if (o.log) await o.log.append(r);
  };
  const started = performance.now();
  await session.configure(config);
  const T = scenario.tasks.length;
  const evals: { afterTask: number; task: number; accuracy: number }[] = [];
  const evaluateAll = async (afterTask: number): Promise<number[]> => {
    o.onEvalStart?.(afterTask);
    const row: number[] = [];
    for (let j = 0; j < T; j++) {
      const set = scenario.tasks[j]!.eval;
      if (set.count === 0)
        throw new RangeError(`task ${scenario.tasks[j]!.name} has no held-out samples: R cannot be measured (use more data or a larger holdout)`);
      const e = await session.evaluate(packedSource(set, { name: scenario.tasks[j]!.name, classes: scenario.classes }), { mode, log: false });
      row.push(e.accuracy);
      evals.push({ afterTask, task: j, accuracy: e.accuracy });
      await write({ type: 'task-eval', t: Date.now(), step: e.step, afterTask, task: j, accuracy: e.accuracy, n: e.n });
    }
    return row;
  };

  const baseline = await evaluateAll(-1);
  const preq = new PrequentialAccuracy(o.window ?? 500);
  const alarms: number[] = [];
  const pending: Promise<void>[] = [];
  let trained = 0;
  const stream = scenario.stream();
  // Samples are pulled one task at a time: the boundary record goes first, and R's row after the task.
  for (let k = 0; k < T && !o.signal?.aborted; k++) {
    const b = scenario.boundaries[k]!;
    await write({
      type: 'boundary',
      t: Date.now(),
      sample: b.sample,
      step: session.step,
      task: b.task,
      from: b.from,
      kind: b.kind,
      name: b.name,
      ...(b.until !== undefined ? { until: b.until } : {}),
    });
    const tasksOf: number[] = [];
    const taskStream = (function* (): Generator<ScenarioSample> {
      for (let i = 0; i < scenario.tasks[k]!.trainCount; i++) {
        const next = stream.next();
        if (next.done) return;
        tasksOf.push(next.value.task);
        yield next.value;
      }
    })();
    let inTask = 0; // results arrive in submission order (Session.trainStream)
    await session.trainStream(taskStream, {
      ...(o.signal ? { signal: o.signal } : {}),
      onResult: (raw) => {
        const r = raw as ContinualTrainResult;
        const position = b.sample + inTask;
        const task = tasksOf[inTask++] ?? k;
        trained++;
        preq.add(r.prediction ?? null, r.label);
        const step = r.step ?? session.step;
        if (r.drift === true) {
          alarms.push(position);
          pending.push(write({ type: 'drift', t: Date.now(), sample: position, step, task }));
        }
        if (preq.n > 0 && (position + 1) % every === 0) {
          pending.push(
            write({
              type: 'prequential',
              t: Date.now(),
              sample: position,
              step,
              task,
              accuracy: preq.accuracy!,
              n: preq.n,
              window: preq.window,
              windowAccuracy: preq.windowAccuracy!,
            }),
          );
        }
        o.onTrained?.(trained, scenario.length);
      },
    });
    await Promise.all(pending.splice(0));
    if (o.signal?.aborted) break;
    // Not inside o.onTaskEnd?.(...): an optional call skips evaluating its arguments.
    const row = await evaluateAll(k);
    o.onTaskEnd?.(k, row);
  }
  const m = accuracyMatrix(evals, T);
  const complete = m.R.every((row) => row.every((v) => v !== null));
  if (!complete) throw new Error(`the scenario stopped before its last task: R has missing rows (interrupted?)`);
  const R = m.R as number[][];
  const metrics = continualMetrics(R, baseline);
  const prequential = preq.accuracy;
  const detection = detectionDelays(
    scenario.boundaries.map((b) => b.sample),
    alarms,
  );
  await write({
    type: 'continual-summary',
    t: Date.now(),
    tasks: T,
    R,
    baseline,
    acc: metrics.acc,
    bwt: metrics.bwt,
    fwt: metrics.fwt,
    prequential,
    prequentialN: preq.n,
    scenario: scenario.name,
    description: scenario.description,
    taskNames: scenario.tasks.map((t) => t.name),
    predictionsMissing: preq.missing,
    driftAlarms: alarms.length,
    detectionDelays: detection.delays,
    falseAlarms: detection.falseAlarms,
  });
  return {
    R,
    baseline,
    metrics,
    prequential,
    prequentialN: preq.n,
    predictionsMissing: preq.missing,
    driftAlarms: alarms,
    detection,
    trained,
    seconds: (performance.now() - started) / 1000,
  };
}
