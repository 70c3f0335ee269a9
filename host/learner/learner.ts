// The host's typed API over build/ff-core.wasm: load, configure, train,
// predict, stats, export/import weights. The wasm is instantiated raw (it has
// no imports); its memory is read and written through typed-array views that
// are re-made whenever configure() may have grown the memory.

import { readFile } from 'node:fs/promises';
import { encodeConfig, resolveConfig, type LearnerConfig, type ResolvedConfig } from './config.js';
import { learnerError, LearnerStatus, SampleError, LearnerStateError } from './errors.js';
import { wasmPath } from '../paths.js';

/** The raw exports of ff-core.wasm (see assembly/core.ts). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  configPtr(): number;
  configCapacity(): number;
  configure(length: number): number;
  arenaBytes(): number;
  setMemoryLimit(bytes: number): void;
  inputPtr(): number;
  labelPtr(): number;
  paramsPtr(): number;
  paramsByteLength(): number;
  statsPtr(): number;
  scoresPtr(): number;
  train(n: number): number;
  predict(row: number, mode: number): number;
  weightsLoaded(bytes: number): number;
  /** Runs input row `row` as the rule does (label overlaid where it reads one, -1 neutral); status. */
  represent(row: number, label: number): number;
  /** Layer l's activities after represent(); 0 for no such layer. */
  hiddenPtr(layer: number): number;
  errorDetail(): number;
  /** After train(n): [B] i32 labels predicted before training (-1 none); 0 when prequential and drift are off. */
  predictionsPtr(): number;
  /** After train(n): [B] i32, 1 where the drift detector raised an alarm; 0 when both are off. */
  driftsPtr(): number;
  /** Bytes of the replay buffer (0 when off). */
  replayBytes(): number;
  /** Samples in the replay buffer now. */
  replayFilled(): number;
  /** Full-state snapshot (assembly/learner/snapshot.ts): bytes of the blob, 0 when unconfigured. */
  snapshotBytes(): number;
  snapshotCapture(): void;
  snapshotBeginRestore(): void;
  snapshotApply(): number;
  snapshotHeaderPtr(): number;
  snapshotHeaderBytes(): number;
  arenaPtr(): number;
  /** Re-times the cooldown: finalRate after `decay` train calls from the schedule's start; status. */
  setCooldown(decay: number): number;
  /** Train calls since the learning-rate schedule started. */
  cooldownDone(): number;
}

export const CORE_ABI_VERSION = 1;

export interface LayerStats {
  /** Mean goodness of the positive rows. */
  goodnessPositive: number;
  /** Mean goodness of the negative rows. */
  goodnessNegative: number;
  /** Mean FF loss per pos/neg pair. */
  loss: number;
  /** Fraction of units with y > 0 on positive rows. */
  active: number;
  /** Hoyer sparseness of positive rows, 0 (dense) .. 1 (one unit). */
  hoyer: number;
  /** Peer-normalisation penalty (0 when off). */
  peerPenalty: number;
}

export interface StepStats {
  step: number;
  headLoss: number;
  layers: LayerStats[];
}

/**
 * "goodness": the rule's own prediction (FF family: goodness summed over the
 * label variants; "ed": its energy head; the output family: its output
 * layer). "head": the softmax head (the output layer for the output family).
 */
export type PredictMode = 'goodness' | 'head';

export interface Prediction {
  label: number;
  /** Goodness sums per label, or softmax probabilities for the head. */
  scores: Float32Array;
}

export interface LoadOptions {
  /** Path of a wasm file, or its bytes. Default: build/ff-core.wasm. */
  wasm?: string | Uint8Array;
  /** Linear-memory bytes the learner may use, as a firmware target has (0 = no limit). */
  memoryLimit?: number;
}

const STATS_HEADER = 4;

export class Learner {
  private config: ResolvedConfig | null = null;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private u8!: Uint8Array;

  private constructor(readonly exports: CoreExports) {
    this.refreshViews();
  }

  static async load(options: LoadOptions = {}): Promise<Learner> {
    const source = options.wasm ?? wasmPath('ff-core');
    const bytes = typeof source === 'string' ? await readFile(source) : source;
    const module = await WebAssembly.compile(new Uint8Array(bytes));
    const instance = await WebAssembly.instantiate(module, {});
    const exports = instance.exports as unknown as CoreExports;
    if (typeof exports.abiVersion !== 'function' || exports.abiVersion() !== CORE_ABI_VERSION) {
      throw new Error(
        `${typeof source === 'string' ? source : 'the wasm'} is not an ff-core module of ABI ${CORE_ABI_VERSION}; rebuild it with npm run build:wasm`,
      );
    }
    const learner = new Learner(exports);
    if (options.memoryLimit !== undefined) {
      if (!Number.isInteger(options.memoryLimit) || options.memoryLimit < 0) throw new TypeError('memoryLimit must be a non-negative integer (bytes)');
      exports.setMemoryLimit(options.memoryLimit);
    }
    return learner;
  }

  private refreshViews(): void {
    const buffer = this.exports.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }

  private check(status: number): void {
    if (status !== LearnerStatus.OK) throw learnerError(status, this.exports.errorDetail());
  }

  private requireConfig(): ResolvedConfig {
    if (!this.config) throw new LearnerStateError('the learner is not configured: call configure() first', LearnerStatus.NOT_CONFIGURED, 0);
    return this.config;
  }

  /** The config in force (defaults filled), or null. */
  get current(): ResolvedConfig | null {
    return this.config;
  }

  /** Lays out the arena and initialises the weights; returns the arena size. */
  configure(config: LearnerConfig): { arenaBytes: number; paramsBytes: number } {
    const blob = encodeConfig(config);
    const e = this.exports;
    if (blob.length > e.configCapacity()) throw new RangeError(`config blob of ${blob.length} bytes exceeds the learner's ${e.configCapacity()}`);
    this.u8.set(blob, e.configPtr());
    this.config = null;
    this.lastRowCount = 0;
    const status = e.configure(blob.length);
    this.refreshViews();
    this.check(status);
    this.config = resolveConfig(config);
    return { arenaBytes: e.arenaBytes(), paramsBytes: e.paramsByteLength() };
  }

  /**
   * Trains on n = labels.length samples; inputs holds n x inputSize values.
   * Returns this step's statistics.
   */
  train(inputs: Float32Array, labels: ArrayLike<number>): StepStats {
    this.writeBatch(inputs, labels);
    this.check(this.exports.train(labels.length));
    return this.stats();
  }

  /**
   * Re-times the learning-rate cooldown mid-run (config `decaySteps`): the rate
   * reaches `finalRate` after `decaySteps` train calls counted from the
   * schedule's start. Used to end the cooldown at a time budget (fit.ts).
   */
  setCooldown(decaySteps: number): void {
    if (!Number.isInteger(decaySteps) || decaySteps < 0) throw new TypeError(`setCooldown: decaySteps must be a non-negative integer, got ${decaySteps}`);
    this.check(this.exports.setCooldown(decaySteps));
  }

  /** Train calls since the learning-rate schedule started (what decaySteps counts). */
  get cooldownDone(): number {
    return this.exports.cooldownDone();
  }

  /** As train() without building the stats object (for fast loops). */
  trainFast(inputs: Float32Array, labels: ArrayLike<number>): void {
    this.writeBatch(inputs, labels);
    this.check(this.exports.train(labels.length));
  }

  /**
   * Labels predicted for the rows of the last train() before it trained on
   * them (prequential, test-then-train); null for unlabelled rows or when
   * config.prequential is "off".
   */
  lastPredictions(): (number | null)[] {
    const at = this.exports.predictionsPtr() >>> 2;
    return this.lastRows().map((r) => (at === 0 || this.i32[at + r]! < 0 ? null : this.i32[at + r]!));
  }

  /** Rows of the last train() at which the drift detector raised an alarm (config.drift). */
  lastDrifts(): boolean[] {
    const at = this.exports.driftsPtr() >>> 2;
    return this.lastRows().map((r) => at !== 0 && this.i32[at + r] !== 0);
  }

  /** The replay buffer: its bytes in the arena and the samples it holds now. */
  replay(): { bytes: number; filled: number } {
    this.requireConfig();
    return { bytes: this.exports.replayBytes(), filled: this.exports.replayFilled() };
  }

  private lastRowCount = 0;

  private lastRows(): number[] {
    this.requireConfig();
    return Array.from({ length: this.lastRowCount }, (_, r) => r);
  }

  private writeBatch(inputs: Float32Array, labels: ArrayLike<number>): void {
    const c = this.requireConfig();
    const n = labels.length;
    if (n < 1 || n > c.batch) throw new SampleError(`batch of ${n} samples: send 1..${c.batch} (the configured batch)`, LearnerStatus.BATCH, n);
    if (inputs.length !== n * c.inputSize) {
      throw new SampleError(`inputs has ${inputs.length} values; ${n} samples of inputSize ${c.inputSize} need ${n * c.inputSize}`, LearnerStatus.BATCH, n);
    }
    this.f32.set(inputs, this.exports.inputPtr() >>> 2);
    const at = this.exports.labelPtr() >>> 2;
    for (let i = 0; i < n; i++) this.i32[at + i] = labels[i];
    this.lastRowCount = n;
  }

  /** Predicts one sample (inputSize values). */
  predict(input: Float32Array, mode: PredictMode = 'goodness'): Prediction {
    const c = this.requireConfig();
    if (input.length !== c.inputSize) throw new SampleError(`input has ${input.length} values; inputSize is ${c.inputSize}`, LearnerStatus.BATCH, 0);
    this.f32.set(input, this.exports.inputPtr() >>> 2);
    const label = this.exports.predict(0, mode === 'goodness' ? 0 : 1);
    if (label < 0) this.check(-label);
    const at = this.exports.scoresPtr() >>> 2;
    return { label, scores: this.f32.slice(at, at + c.classes) };
  }

  /** Predicts many samples (n x inputSize); returns labels. */
  predictMany(inputs: Float32Array, mode: PredictMode = 'goodness'): Int32Array {
    const c = this.requireConfig();
    const n = inputs.length / c.inputSize;
    if (!Number.isInteger(n)) throw new SampleError(`inputs has ${inputs.length} values, not a multiple of inputSize ${c.inputSize}`, LearnerStatus.BATCH, 0);
    const out = new Int32Array(n);
    const base = this.exports.inputPtr() >>> 2;
    const m = mode === 'goodness' ? 0 : 1;
    for (let i = 0; i < n; i++) {
      this.f32.set(inputs.subarray(i * c.inputSize, (i + 1) * c.inputSize), base);
      const label = this.exports.predict(0, m);
      if (label < 0) this.check(-label);
      out[i] = label;
    }
    return out;
  }

  /**
   * One sample's activity in every layer, as the configured rule computes it
   * (copies, one per layer; for the output family the last is the output
   * logits). `label` is overlaid where the rule reads a label (the FF family
   * but ED); -1 (default) overlays the neutral label 1/C.
   */
  represent(input: Float32Array, label = -1): Float32Array[] {
    const c = this.requireConfig();
    if (input.length !== c.inputSize) throw new SampleError(`input has ${input.length} values; inputSize is ${c.inputSize}`, LearnerStatus.BATCH, 0);
    if (!Number.isInteger(label) || label < -1 || label >= c.classes) throw new TypeError(`label must be -1 (neutral) or 0..${c.classes - 1}; got ${label}`);
    this.f32.set(input, this.exports.inputPtr() >>> 2);
    this.check(this.exports.represent(0, label));
    return c.layers.map((width, l) => {
      const at = this.exports.hiddenPtr(l) >>> 2;
      return this.f32.slice(at, at + width);
    });
  }

  /** Statistics of the last training step. */
  stats(): StepStats {
    const c = this.requireConfig();
    const at = this.exports.statsPtr() >>> 2;
    const fields = this.i32[at + 3] || 8;
    const layers: LayerStats[] = [];
    for (let l = 0; l < c.layers.length; l++) {
      const s = at + STATS_HEADER + l * fields;
      layers.push({
        goodnessPositive: this.f32[s],
        goodnessNegative: this.f32[s + 1],
        loss: this.f32[s + 2],
        active: this.f32[s + 3],
        hoyer: this.f32[s + 4],
        peerPenalty: this.f32[s + 5],
      });
    }
    return { step: this.i32[at] >>> 0, headLoss: this.f32[at + 1], layers };
  }

  /** A copy of all parameters (layers, then head), little-endian f32. */
  exportWeights(): Uint8Array {
    this.requireConfig();
    const p = this.exports.paramsPtr();
    return this.u8.slice(p, p + this.exports.paramsByteLength());
  }

  /** Loads parameters made by exportWeights() for the same config; resets the optimizer. */
  importWeights(bytes: Uint8Array): void {
    this.requireConfig();
    const size = this.exports.paramsByteLength();
    if (bytes.length !== size) {
      throw new LearnerStateError(
        `weights have ${bytes.length} bytes; this model has ${size} bytes of parameters; load a checkpoint made for the same config`,
        LearnerStatus.WEIGHTS_LENGTH,
        size,
      );
    }
    this.u8.set(bytes, this.exports.paramsPtr());
    this.check(this.exports.weightsLoaded(bytes.length));
  }

  /**
   * The learner's whole state (parameters, optimizer moments and step, schedule,
   * PRNG, traces, replay buffer and detector): importState() of it on a learner
   * configured alike continues exactly as this one would (docs/protocol.md §5.13).
   */
  exportState(): Uint8Array {
    this.requireConfig();
    const e = this.exports;
    e.snapshotCapture();
    const headerBytes = e.snapshotHeaderBytes();
    const out = new Uint8Array(e.snapshotBytes());
    out.set(this.u8.subarray(e.snapshotHeaderPtr(), e.snapshotHeaderPtr() + headerBytes), 0);
    out.set(this.u8.subarray(e.arenaPtr(), e.arenaPtr() + out.length - headerBytes), headerBytes);
    return out;
  }

  /** Restores a blob from exportState() made under the same config; a refused blob leaves the learner unconfigured. */
  importState(bytes: Uint8Array): void {
    this.requireConfig();
    const e = this.exports;
    const size = e.snapshotBytes();
    if (bytes.length !== size) {
      throw new LearnerStateError(
        `the state snapshot has ${bytes.length} bytes; this config's has ${size}: restore a snapshot made under the same config`,
        LearnerStatus.SNAPSHOT_MISMATCH,
        size,
      );
    }
    const headerBytes = e.snapshotHeaderBytes();
    e.snapshotBeginRestore();
    this.u8.set(bytes.subarray(0, headerBytes), e.snapshotHeaderPtr());
    this.u8.set(bytes.subarray(headerBytes), e.arenaPtr());
    this.check(e.snapshotApply());
  }

  /** Parameters as float32 (a copy). */
  weights(): Float32Array {
    const b = this.exportWeights();
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
}
