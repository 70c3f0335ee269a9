// Federated averaging (McMahan et al. 2017, "Communication-Efficient Learning
// of Deep Networks from Decentralized Data", Algorithm 1): after a round of
// local training, the new global weights are the average of the devices'
// weights, each weighted by the samples it trained on, w = sum_k (n_k / n) w_k.
//
// The blob is the learner's parameter region (assembly/learner/arena.ts), f32
// little-endian, layer by layer: W_0 b_0 | W_1 b_1 | ... | head | [feedback].
// FF's layers learn from local goodness only, so averaging can stop at any
// layer: "lower K" shares the prefix W_0 b_0 .. W_{K-1} b_{K-1} and keeps the
// layers above it (and the head) personal to each device.
//
// Optimizer state is not averaged and not kept: the average goes back with
// CHECKPOINT_PUT, which restarts the device's optimizer (Adam moments or SGD
// velocity zeroed) and its step count, so a decaying learning rate starts over
// (assembly/learner/learner.ts weightsLoaded). Each round is a fresh local run
// from the average, as in FedAvg with a stateless client optimizer.
//
// Two corrections for non-IID devices (docs/fleet.md, measured by bench:fleet):
//  * label inputs averaged over the devices that hold the label: FF's label
//    overlay makes column L of W_0 a per-label goodness bias. A device that
//    never holds label L sees it only in negatives and pushes it down, so a
//    plain average favours labels held by more devices (with 8 devices x 2
//    digits, digits held by one device were never predicted). Column L is
//    averaged over the holders of L only (all devices when none holds it).
//  * server momentum (FedAvgM, Hsu et al. 2019, "Measuring the Effects of
//    Non-Identical Data Distribution for Federated Visual Classification"):
//    v <- beta v + (avg - w), w <- w + v; beta = 0 is plain FedAvg.
//
// Non-goals: secure aggregation, compression.

import { paramLayout } from '../learner/param-layout.js';
import { resolveConfig, type LearnerConfig } from '../learner/config.js';

const F32 = Float32Array.BYTES_PER_ELEMENT;

export type ShareMode = { layers: 'all' } | { layers: 'lower'; count: number };

/** "all" or "lower:K" from the command line. */
export function parseShare(text: string): ShareMode {
  if (text === 'all') return { layers: 'all' };
  const m = /^lower:(\d+)$/.exec(text);
  if (m && Number(m[1]) >= 1) return { layers: 'lower', count: Number(m[1]) };
  throw new TypeError(`share must be "all" or "lower:K" (K >= 1 layers averaged, the rest personal), got ${JSON.stringify(text)}`);
}

/** Bytes of the whole weights blob of a model. */
export function weightBytes(config: LearnerConfig): number {
  return paramLayout(config).arrays.reduce((sum, a) => sum + a.rows * a.cols, 0) * F32;
}

/** Bytes of the blob prefix that is averaged: all of it, or the lower K layers' W and b. */
export function sharedBytes(config: LearnerConfig, share: ShareMode): number {
  if (share.layers === 'all') return weightBytes(config);
  const layers = config.layers.length;
  if (share.count >= layers) {
    throw new TypeError(`share lower:${share.count} keeps no layer personal in a ${layers}-layer model: use lower:${layers - 1} or less, or "all"`);
  }
  const arrays = paramLayout(config).arrays;
  let values = 0;
  for (let l = 0; l < share.count; l++) {
    for (const name of [`w${l}`, `b${l}`]) {
      const a = arrays.find((x) => x.name === name)!;
      values += a.rows * a.cols;
    }
  }
  return values * F32;
}

export interface Contribution {
  device: string;
  /** The device's weights blob (or at least its first `bytes` bytes). */
  weights: Uint8Array;
  /** Samples it trained since the last average (n_k). */
  samples: number;
  /** The classes in the device's part (for label-aware averaging); unknown: a holder of none. */
  classes?: readonly number[];
}

/** Where the label one-hot enters W_0: its rows (units), its row length, and the column of each class. */
export interface LabelInputs {
  rows: number;
  cols: number;
  /** columns[c] = the W_0 input column the label c overlay writes. */
  columns: number[];
}

/** The label-overlay columns of W_0 for an FF-family model with a label overlay; null when the model has none. */
export function labelInputs(config: LearnerConfig): LabelInputs | null {
  const c = resolveConfig(config);
  if (!['ff', 'hebbian-ff', 'spiking-ff', 'backprop-ff'].includes(c.algorithm) || c.negatives === 'hybrid') return null;
  const { firstInputs } = paramLayout(config);
  const base = c.overlay === 'prepend' ? c.inputSize : 0;
  return { rows: c.layers[0]!, cols: firstInputs, columns: Array.from({ length: c.classes }, (_, k) => base + k) };
}

/**
 * Overwrites, in `average`, the label-overlay column of each class with the
 * sample-weighted average over the contributions that hold that class (see
 * the file comment). Classes nobody holds keep the plain average.
 */
export function averageLabelInputsOverHolders(average: Uint8Array, contributions: readonly Contribution[], label: LabelInputs): void {
  if (average.length < label.rows * label.cols * F32) return; // W_0 not shared
  const out = new DataView(average.buffer, average.byteOffset, average.byteLength);
  label.columns.forEach((col, cls) => {
    const holders = contributions.filter((c) => c.samples > 0 && c.classes?.includes(cls));
    const total = holders.reduce((s, c) => s + c.samples, 0);
    if (total === 0) return;
    for (let j = 0; j < label.rows; j++) {
      const at = (j * label.cols + col) * F32;
      let sum = 0;
      for (const h of holders) sum += (h.samples / total) * new DataView(h.weights.buffer, h.weights.byteOffset, h.weights.byteLength).getFloat32(at, true);
      out.setFloat32(at, sum, true);
    }
  });
}

/**
 * Server momentum (FedAvgM): velocity <- beta velocity + (average - global),
 * returns global + velocity (f32 LE, same length). `velocity` is updated in place.
 */
export function withServerMomentum(global: Uint8Array, average: Uint8Array, velocity: Float64Array, beta: number): Uint8Array {
  if (!(beta >= 0 && beta < 1)) throw new TypeError(`server momentum must be in [0, 1), got ${beta}`);
  if (global.length !== average.length || velocity.length * F32 !== average.length)
    throw new TypeError('server momentum: the global model, the average and the velocity must have the same length');
  const g = new DataView(global.buffer, global.byteOffset, global.byteLength);
  const a = new DataView(average.buffer, average.byteOffset, average.byteLength);
  const out = new Uint8Array(average.length);
  const o = new DataView(out.buffer);
  for (let i = 0; i < velocity.length; i++) {
    const w = g.getFloat32(i * F32, true);
    velocity[i] = beta * velocity[i]! + (a.getFloat32(i * F32, true) - w);
    o.setFloat32(i * F32, w + velocity[i]!, true);
  }
  return out;
}

/**
 * The sample-weighted average of the first `bytes` bytes of every blob
 * (f32 LE), accumulated in f64. Throws TypeError on mismatched sizes, no
 * samples, or a non-finite weight (a broken device is not averaged in).
 */
export function federatedAverage(contributions: readonly Contribution[], bytes: number): Uint8Array {
  if (contributions.length === 0) throw new TypeError('nothing to average: no device delivered its weights this round');
  if (!Number.isInteger(bytes) || bytes < 0 || bytes % F32 !== 0) throw new TypeError(`bytes must be a multiple of ${F32}, got ${bytes}`);
  let total = 0;
  for (const c of contributions) {
    if (c.weights.length < bytes)
      throw new TypeError(`${c.device} sent ${c.weights.length} bytes of weights, the average needs ${bytes}: is it running the same model?`);
    if (!Number.isInteger(c.samples) || c.samples < 0) throw new TypeError(`${c.device}: samples must be a non-negative integer, got ${c.samples}`);
    total += c.samples;
  }
  if (total === 0) throw new TypeError('the devices of this round trained no samples: nothing to weight the average by');
  const n = bytes / F32;
  const sum = new Float64Array(n);
  for (const c of contributions) {
    if (c.samples === 0) continue;
    const view = new DataView(c.weights.buffer, c.weights.byteOffset, bytes);
    const share = c.samples / total;
    for (let i = 0; i < n; i++) {
      const w = view.getFloat32(i * F32, true);
      if (!Number.isFinite(w)) throw new TypeError(`${c.device} sent a non-finite weight at index ${i}: left out`);
      sum[i]! += share * w;
    }
  }
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(i * F32, sum[i]!, true);
  return out;
}

/** The average's prefix over a device's own blob: its personal layers stay as they are. */
export function withPersonalLayers(average: Uint8Array, own: Uint8Array): Uint8Array {
  if (average.length > own.length)
    throw new TypeError(`the average (${average.length} bytes) is larger than the device's weights (${own.length} bytes): a different model`);
  if (average.length === own.length) return average;
  const merged = Uint8Array.from(own);
  merged.set(average, 0);
  return merged;
}
