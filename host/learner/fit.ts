// In-process training loops over packed data: epochs of shuffled minibatches,
// and evaluation by either prediction mode. Used by the benchmarks and the
// rule comparison; the streaming path (session.ts) trains sample by sample
// on a device instead.

import type { Learner, PredictMode, StepStats } from "./learner.js";
import type { PackedSamples } from "../sources/sample.js";
import { Xoshiro128 } from "./reference/prng.js";
import { permutation } from "../sources/prng.js";

export interface FitOptions {
  epochs: number;
  /** Seed of the epoch shuffles. */
  seed?: number;
  /** Stop after this many seconds of training (checked between batches). */
  timeBudgetSeconds?: number;
  /** Called after each epoch with the seconds spent training so far. */
  onEpoch?: (epoch: number, trainSeconds: number, stats: StepStats) => void | Promise<void>;
  /** Called every `progressEvery` samples. */
  onProgress?: (samplesDone: number, samplesTotal: number) => void;
  progressEvery?: number;
}

export interface FitResult {
  epochs: number;
  samples: number;
  trainSeconds: number;
  stoppedByBudget: boolean;
}

/** An epoch's order: the host's shuffle drawing from the learner's PRNG (same seed, same order). */
export function shuffledOrder(count: number, rng: Xoshiro128): Uint32Array {
  return permutation(count, (bound) => rng.nextBelow(bound));
}

export async function fit(learner: Learner, data: PackedSamples, options: FitOptions): Promise<FitResult> {
  const config = learner.current;
  if (!config) throw new TypeError("fit: configure the learner first");
  if (data.inputSize !== config.inputSize) throw new TypeError(`fit: data has ${data.inputSize} inputs per sample; the model expects ${config.inputSize}`);
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new TypeError("fit: epochs must be a positive integer");
  const B = config.batch, D = data.inputSize;
  const rng = new Xoshiro128(options.seed ?? 1);
  const xb = new Float32Array(B * D), yb = new Int32Array(B);
  const total = options.epochs * data.count;
  const every = options.progressEvery ?? 1000;
  let trainSeconds = 0, samples = 0, epoch = 0, stopped = false;
  for (; epoch < options.epochs && !stopped; epoch++) {
    const order = shuffledOrder(data.count, rng);
    const start = performance.now();
    for (let s = 0; s < order.length; s += B) {
      const n = Math.min(B, order.length - s);
      for (let b = 0; b < n; b++) {
        const k = order[s + b];
        xb.set(data.inputs.subarray(k * D, (k + 1) * D), b * D);
        yb[b] = data.labels[k];
      }
      learner.trainFast(n === B ? xb : xb.subarray(0, n * D), n === B ? yb : yb.subarray(0, n));
      samples += n;
      if (options.onProgress && samples % every < n) options.onProgress(samples, total);
      if (options.timeBudgetSeconds !== undefined && trainSeconds + (performance.now() - start) / 1000 > options.timeBudgetSeconds) {
        stopped = true;
        break;
      }
    }
    trainSeconds += (performance.now() - start) / 1000;
    await options.onEpoch?.(epoch + 1, trainSeconds, learner.stats());
  }
  return { epochs: epoch, samples, trainSeconds, stoppedByBudget: stopped };
}

export interface Evaluation {
  accuracy: number;
  correct: number;
  count: number;
  /** Accuracy per true class. */
  perClass: number[];
  seconds: number;
}

export function evaluate(learner: Learner, data: PackedSamples, mode: PredictMode, classes: number): Evaluation {
  const start = performance.now();
  const predicted = learner.predictMany(data.inputs, mode);
  const hits = new Array<number>(classes).fill(0), seen = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i];
    seen[y]++;
    if (predicted[i] === y) { correct++; hits[y]++; }
  }
  return {
    accuracy: correct / data.count,
    correct,
    count: data.count,
    perClass: hits.map((h, c) => (seen[c] ? h / seen[c] : NaN)),
    seconds: (performance.now() - start) / 1000,
  };
}
