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
// Non-goals: secure aggregation, server momentum (FedAvgM), compression.

import { paramLayout } from '../learner/param-layout.js';
import type { LearnerConfig } from '../learner/config.js';

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
    if (c.weights.length < bytes) throw new TypeError(`${c.device} sent ${c.weights.length} bytes of weights, the average needs ${bytes}: is it running the same model?`);
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
  if (average.length > own.length) throw new TypeError(`the average (${average.length} bytes) is larger than the device's weights (${own.length} bytes): a different model`);
  if (average.length === own.length) return average;
  const merged = Uint8Array.from(own);
  merged.set(average, 0);
  return merged;
}
