// A training run over a session: epochs of a training source, an evaluation
// on held-out samples every N samples and at the end, link records beside
// each evaluation, and an `end` record however the run ends (trained for
// certain, in doubt, why). The `ffedge stream` command and the demo are this
// plus printing.
//
// Non-goals: choosing sources or models (the caller does), early stopping.

import type { LinkRecord } from '../logs/records.js';
import type { Sample } from '../sources/sample.js';
import type { EvalResult, PredictMode, StreamSummary, TrainResult } from './types.js';

type Samples = Iterable<Sample> | AsyncIterable<Sample>;

/** What a run needs of a session: a Session, or a RecoveringSession (recovery.ts) that survives device resets. */
export interface RunTarget {
  readonly step: number;
  trainStream(samples: Samples, options: { limit?: number; signal?: AbortSignal; onResult?: (result: TrainResult) => void }): Promise<StreamSummary>;
  evaluate(samples: Samples, options: { mode?: PredictMode }): Promise<EvalResult>;
  logLinkStats(): Promise<LinkRecord>;
  linkRecord(): LinkRecord;
  /** Writes the `end` record that closes a run. */
  logEnd(error?: Error, reason?: string): Promise<void>;
}

export interface RunPlan {
  /** A fresh pass over the training data for epoch e (0-based). */
  train: (epoch: number) => Samples;
  /** Samples per epoch when known (for progress), else null. */
  samplesPerEpoch: number | null;
  /** Passes over the training data (default 1). */
  epochs?: number;
  /** Stop after this many samples in total (default: all epochs). */
  samples?: number;
  /** Held-out samples for accuracy; iterated afresh at each evaluation. */
  evalSet?: Samples | (() => Samples);
  /** Evaluate every this many trained samples (0 = only at the end; default 0). */
  evalEvery?: number;
  /** Prediction mode for evaluation (default goodness). */
  mode?: PredictMode;
  signal?: AbortSignal;
  /** After every trained sample. */
  onTrained?: (result: TrainResult, done: number, total: number | null) => void;
  /** After every evaluation. */
  onEval?: (result: EvalResult) => void;
  /** Before an evaluation starts (e.g. to pause a progress bar). */
  onEvalStart?: () => void;
}

export interface RunResult {
  trained: number;
  refused: number;
  seconds: number;
  samplesPerSecond: number;
  evals: EvalResult[];
  final: EvalResult | null;
  link: LinkRecord;
}

/** Plain iterator over a source that the stream may pause and resume (it never calls return()). */
function resumable(samples: Samples): { view: AsyncIterable<Sample>; close: () => Promise<void> } {
  const it = Symbol.asyncIterator in samples ? (samples as AsyncIterable<Sample>)[Symbol.asyncIterator]() : (samples as Iterable<Sample>)[Symbol.iterator]();
  return {
    view: { [Symbol.asyncIterator]: () => ({ next: async () => it.next() }) },
    close: async () => {
      await it.return?.();
    },
  };
}

export async function runStream(session: RunTarget, plan: RunPlan): Promise<RunResult> {
  let result: RunResult;
  try {
    result = await run(session, plan);
  } catch (err) {
    await session.logEnd(err as Error).catch(() => undefined); // the log itself may be what failed
    throw err;
  }
  await session.logEnd(undefined, plan.signal?.aborted ? 'interrupted' : 'completed');
  return result;
}

async function run(session: RunTarget, plan: RunPlan): Promise<RunResult> {
  const epochs = plan.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new TypeError(`epochs must be a positive integer, got ${plan.epochs}`);
  const evalEvery = plan.evalEvery ?? 0;
  if (!Number.isInteger(evalEvery) || evalEvery < 0) throw new TypeError(`evalEvery must be an integer >= 0, got ${plan.evalEvery}`);
  const cap = plan.samples ?? Infinity;
  if (!(cap >= 0)) throw new TypeError(`samples must be >= 0, got ${plan.samples}`);
  const perEpoch = plan.samplesPerEpoch;
  const total = perEpoch === null ? (Number.isFinite(cap) ? cap : null) : Math.min(cap, perEpoch * epochs);
  const mode = plan.mode ?? 'goodness';
  const evals: EvalResult[] = [];
  const evaluate = async (): Promise<EvalResult | null> => {
    if (!plan.evalSet) return null;
    plan.onEvalStart?.();
    const set = typeof plan.evalSet === 'function' ? plan.evalSet() : plan.evalSet;
    const result = await session.evaluate(set, { mode });
    evals.push(result);
    plan.onEval?.(result);
    await session.logLinkStats();
    return result;
  };

  let done = 0;
  let reported = 0;
  let refused = 0;
  let sinceEval = 0;
  let seconds = 0;
  for (let epoch = 0; epoch < epochs && done < cap && !plan.signal?.aborted; epoch++) {
    const source = resumable(plan.train(epoch));
    try {
      for (;;) {
        const room = cap - done;
        const chunk = evalEvery > 0 ? Math.min(room, evalEvery - sinceEval) : room;
        if (chunk <= 0 || plan.signal?.aborted) break;
        const summary = await session.trainStream(source.view, {
          limit: chunk,
          ...(plan.signal ? { signal: plan.signal } : {}),
          onResult: (r) => plan.onTrained?.(r, ++reported, total),
        });
        seconds += summary.seconds;
        done += summary.submitted;
        refused += summary.refused;
        sinceEval += summary.submitted;
        if (evalEvery > 0 && sinceEval >= evalEvery && done < cap) {
          sinceEval = 0;
          await evaluate();
        }
        if (summary.submitted < chunk) break; // this epoch's source ran out
      }
    } finally {
      await source.close();
    }
  }
  const last = evals[evals.length - 1];
  const final = last && last.step === session.step ? last : await evaluate();
  const link = plan.evalSet ? session.linkRecord() : await session.logLinkStats();
  return {
    trained: done - refused,
    refused,
    seconds,
    samplesPerSecond: seconds > 0 ? (done - refused) / seconds : 0,
    evals,
    final,
    link,
  };
}
