// Sample sources: the one shape every input to the learner has on the host.
//
// A source is anything that yields fixed-size Float32 input vectors with an
// optional class label: MNIST, CSV/JSONL files, a serial sensor board, the
// synthetic IMU generator. The session streams `Sample`s to the device without
// knowing where they came from.
//
// Non-goals: batching, label overlay, negatives. Those belong to the learner
// (the device builds positive/negative passes from a labelled sample).

/** Label of a sample that carries no class (inference-only or unsupervised). */
export const UNLABELLED = -1;

/** One input vector and its class. */
export interface Sample {
  /** `inputSize` values; layout is documented by each source. */
  inputs: Float32Array;
  /** Class index in `0 .. classes-1`, or `UNLABELLED` (-1). */
  label: number;
}

/**
 * The contract every source implements.
 *
 * - `samples()` starts a fresh pass each time it is called; a finite source
 *   ends its iteration after the last sample, a live source (serial) runs until
 *   the device closes or the caller breaks out of the loop, which releases the
 *   underlying resource.
 * - Every yielded `inputs` has exactly `inputSize` values. A consumer may keep
 *   it: sources never reuse an array they have yielded.
 * - `classes` is the number of classes labels are drawn from (0 if the source
 *   is unlabelled); `classNames`, when present, has `classes` entries.
 */
export interface SampleSource {
  readonly name: string;
  readonly inputSize: number;
  readonly classes: number;
  readonly classNames?: readonly string[];
  samples(): AsyncIterable<Sample>;
}

/**
 * N samples packed row-major into one Float32Array (N x inputSize) and one
 * Int32Array of labels: the layout a fast in-process trainer wants (one copy
 * into wasm memory, no per-sample objects).
 */
export interface PackedSamples {
  readonly count: number;
  readonly inputSize: number;
  /** count * inputSize values; sample i is `inputs.subarray(i*inputSize, (i+1)*inputSize)`. */
  readonly inputs: Float32Array;
  /** count labels, `UNLABELLED` where a sample has none. */
  readonly labels: Int32Array;
}

/** A finite source backed by packed arrays; also iterable synchronously. */
export interface PackedSource extends SampleSource, Iterable<Sample> {
  readonly packed: PackedSamples;
  /** Sample i as a fresh copy (callers may keep or mutate it). */
  sample(index: number): Sample;
}

/** Checks the packed arrays agree with each other; throws TypeError naming the bad field. */
export function checkPacked(packed: PackedSamples): void {
  if (!Number.isInteger(packed.count) || packed.count < 0) {
    throw new TypeError(`packed.count must be a non-negative integer, got ${packed.count}`);
  }
  if (!Number.isInteger(packed.inputSize) || packed.inputSize < 1) {
    throw new TypeError(`packed.inputSize must be a positive integer, got ${packed.inputSize}`);
  }
  if (packed.inputs.length !== packed.count * packed.inputSize) {
    throw new TypeError(`packed.inputs has ${packed.inputs.length} values, expected count*inputSize = ${packed.count * packed.inputSize}`);
  }
  if (packed.labels.length !== packed.count) {
    throw new TypeError(`packed.labels has ${packed.labels.length} entries, expected count = ${packed.count}`);
  }
}

export interface PackedSourceOptions {
  name: string;
  classes: number;
  classNames?: readonly string[];
  /**
   * Visit samples in this order (indices into `packed`), e.g. an epoch
   * permutation from `shuffledIndices`. Default: stored order.
   */
  order?: ArrayLike<number>;
}

/** Wraps packed arrays as a `SampleSource` (async and sync iteration). */
export function packedSource(packed: PackedSamples, options: PackedSourceOptions): PackedSource {
  checkPacked(packed);
  const { name, classes, classNames, order } = options;
  if (typeof name !== 'string') throw new TypeError('options.name must be a string');
  if (!Number.isInteger(classes) || classes < 0) {
    throw new TypeError(`options.classes must be a non-negative integer, got ${classes}`);
  }
  if (classNames !== undefined && classNames.length !== classes) {
    throw new TypeError(`options.classNames has ${classNames.length} names but classes is ${classes}`);
  }
  if (order !== undefined) {
    for (let i = 0; i < order.length; i++) {
      const k = order[i];
      if (!Number.isInteger(k) || k < 0 || k >= packed.count) {
        throw new TypeError(`options.order[${i}] = ${k} is not an index below count ${packed.count}`);
      }
    }
  }
  const { inputSize } = packed;
  const sample = (index: number): Sample => {
    if (!Number.isInteger(index) || index < 0 || index >= packed.count) {
      throw new RangeError(`sample index ${index} is outside 0..${packed.count - 1}`);
    }
    const start = index * inputSize;
    return { inputs: packed.inputs.slice(start, start + inputSize), label: packed.labels[index] };
  };
  function* iterate(): Generator<Sample> {
    const n = order === undefined ? packed.count : order.length;
    for (let i = 0; i < n; i++) yield sample(order === undefined ? i : order[i]);
  }
  return {
    name,
    inputSize,
    classes,
    ...(classNames !== undefined ? { classNames } : {}),
    packed,
    sample,
    [Symbol.iterator]: iterate,
    async *samples() {
      yield* iterate();
    },
  };
}

/** Packs samples into contiguous arrays; every sample must have `inputSize` values. */
export function packSamples(samples: Iterable<Sample>, inputSize: number): PackedSamples {
  if (!Number.isInteger(inputSize) || inputSize < 1) {
    throw new TypeError(`inputSize must be a positive integer, got ${inputSize}`);
  }
  const list = Array.from(samples);
  const inputs = new Float32Array(list.length * inputSize);
  const labels = new Int32Array(list.length);
  list.forEach((s, i) => {
    if (s.inputs.length !== inputSize) {
      throw new TypeError(`sample ${i} has ${s.inputs.length} inputs, expected ${inputSize}`);
    }
    inputs.set(s.inputs, i * inputSize);
    labels[i] = s.label;
  });
  return { count: list.length, inputSize, inputs, labels };
}
