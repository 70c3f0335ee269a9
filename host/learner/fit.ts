// In-process training loops over packed data: epochs of shuffled minibatches,
// and evaluation by either prediction mode. Used by the benchmarks and the
// rule comparison; the streaming path (session.ts) trains sample by sample
// on a device instead.

import type { Learner, PredictMode, StepStats } from './learner.js';
import type { PackedSamples } from '../sources/sample.js';
import { Xoshiro128 } from './reference/prng.js';
import { permutation } from '../sources/prng.js';

export interface FitOptions {
  epochs: number;
  /** Seed of the epoch shuffles. */
  seed?: number;
  /** Stop after this many seconds of training (checked between batches). */
  timeBudgetSeconds?: number;
  /**
   * With timeBudgetSeconds: re-time the learning-rate cooldown (config
   * decaySteps) as the step rate is measured, so it ends at the budget (or at
   * the last epoch, whichever comes first) on a fast or a slow machine.
   * Re-estimated every `cooldownEverySeconds` (default 2) of training.
   */
  cooldownOnBudget?: boolean;
  /**
   * Host-side augmentation: writes a changed copy of one training sample
   * (`src`, read-only) into `dst`, drawing from `random` (seeded from `seed`).
   * Its time counts as training time.
   */
  augment?: (src: Float32Array, dst: Float32Array, random: () => number) => void;
  cooldownEverySeconds?: number;
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
  /** The cooldown's last length in train calls when cooldownOnBudget re-timed it. */
  cooldownSteps?: number;
}

/** An epoch's order: the host's shuffle drawing from the learner's PRNG (same seed, same order). */
export function shuffledOrder(count: number, rng: Xoshiro128): Uint32Array {
  return permutation(count, (bound) => rng.nextBelow(bound));
}

export async function fit(learner: Learner, data: PackedSamples, options: FitOptions): Promise<FitResult> {
  const config = learner.current;
  if (!config) throw new TypeError('fit: configure the learner first');
  if (data.inputSize !== config.inputSize) throw new TypeError(`fit: data has ${data.inputSize} inputs per sample; the model expects ${config.inputSize}`);
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new TypeError('fit: epochs must be a positive integer');
  const B = config.batch,
    D = data.inputSize;
  const rng = new Xoshiro128(options.seed ?? 1);
  const xb = new Float32Array(B * D),
    yb = new Int32Array(B);
  const augment = options.augment;
  const jitterRng = new Xoshiro128(((options.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  const random = (): number => jitterRng.nextUnit();
  const total = options.epochs * data.count;
  const every = options.progressEvery ?? 1000;
  let trainSeconds = 0,
    samples = 0,
    epoch = 0,
    stopped = false;
  const budget = options.timeBudgetSeconds;
  const retime = options.cooldownOnBudget === true && budget !== undefined;
  const retimeEvery = options.cooldownEverySeconds ?? 2;
  const stepsPerEpoch = Math.ceil(data.count / B);
  let nextRetime = retimeEvery,
    calls = 0,
    cooldownSteps: number | undefined;
  for (; epoch < options.epochs && !stopped; epoch++) {
    const order = shuffledOrder(data.count, rng);
    const start = performance.now();
    for (let s = 0; s < order.length; s += B) {
      const n = Math.min(B, order.length - s);
      for (let b = 0; b < n; b++) {
        const k = order[s + b];
        if (augment) augment(data.inputs.subarray(k * D, (k + 1) * D), xb.subarray(b * D, (b + 1) * D), random);
        else xb.set(data.inputs.subarray(k * D, (k + 1) * D), b * D);
        yb[b] = data.labels[k];
      }
      learner.trainFast(n === B ? xb : xb.subarray(0, n * D), n === B ? yb : yb.subarray(0, n));
      samples += n;
      calls++;
      if (options.onProgress && samples % every < n) options.onProgress(samples, total);
      const elapsed = trainSeconds + (performance.now() - start) / 1000;
      if (retime && elapsed >= nextRetime) {
        // Calls left at the rate measured so far, but never past the last epoch.
        const left = Math.min((budget! - elapsed) * (calls / elapsed), (options.epochs - epoch) * stepsPerEpoch - s / B - 1);
        cooldownSteps = learner.cooldownDone + Math.max(0, Math.round(left));
        learner.setCooldown(cooldownSteps);
        nextRetime = elapsed + retimeEvery;
      }
      if (budget !== undefined && elapsed > budget) {
        stopped = true;
        break;
      }
    }
    trainSeconds += (performance.now() - start) / 1000;
    await options.onEpoch?.(epoch + 1, trainSeconds, learner.stats());
  }
  return { epochs: epoch, samples, trainSeconds, stoppedByBudget: stopped, ...(cooldownSteps !== undefined ? { cooldownSteps } : {}) };
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
  const hits = new Array<number>(classes).fill(0),
    seen = new Array<number>(classes).fill(0);
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i];
    seen[y]++;
    if (predicted[i] === y) {
      correct++;
      hits[y]++;
    }
  }
  return {
    accuracy: correct / data.count,
    correct,
    count: data.count,
    perClass: hits.map((h, c) => (seen[c] ? h / seen[c] : NaN)),
    seconds: (performance.now() - start) / 1000,
  };
}
