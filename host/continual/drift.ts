// Domain drift: the same classes under changing sensor conditions, as
// transforms of one input vector. Parsed from the user's words:
//
//   gain:K            x * K (a sensor whose sensitivity changed; no clipping, so values may leave [-1, 1])
//   offset:B          x + B (bias)
//   noise:S           x + S * N(0, 1), fresh noise per sample (seeded by the scenario)
//   rotate:DEG[:AXIS] IMU: every 3-axis group (accelerometer, gyroscope) at every time step rotated by DEG
//                     degrees about AXIS x|y|z (default z): the board re-mounted. MNIST: the image
//                     rotated by DEG about its centre (bilinear, zero outside).
//   permute           a fixed pixel/value permutation drawn from the scenario seed (permuted MNIST)
//
// Non-goals: time warping, channel dropout.

import { Rng } from '../sources/prng.js';
import { shuffledIndices } from '../sources/prng.js';

export const DRIFT_KINDS = ['gain', 'offset', 'noise', 'rotate', 'permute'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface DriftSpec {
  kind: DriftKind;
  value: number;
  axis?: 'x' | 'y' | 'z';
  /** The user's text, for names and logs. */
  text: string;
}

/** What a transform needs to know about the data's layout. */
export interface DataLayout {
  inputSize: number;
  /** Time-major groups of this many channels (IMU: 6 = ax ay az gx gy gz); rotation turns each 3-axis triple. */
  channels?: number;
  /** Square image side (MNIST: 28); rotation turns the image. */
  imageSide?: number;
}

/** Returns a new array; `rng` is the sample's own stream (noise). */
export type Transform = (inputs: Float32Array, rng: Rng) => Float32Array;

export class DriftSpecError extends TypeError {
  override name = 'DriftSpecError';
}

export function parseDrift(text: string): DriftSpec {
  const [kind, a, b, ...rest] = text.trim().split(':');
  const usage = `use one of gain:K, offset:B, noise:S, rotate:DEG[:x|y|z], permute`;
  if (!(DRIFT_KINDS as readonly string[]).includes(kind ?? '') || rest.length > 0) {
    throw new DriftSpecError(`unknown drift ${JSON.stringify(text)}: ${usage}`);
  }
  if (kind === 'permute') {
    if (a !== undefined) throw new DriftSpecError(`drift "permute" takes no value; got ${JSON.stringify(text)}`);
    return { kind, value: 0, text };
  }
  const value = Number(a);
  if (a === undefined || a === '' || !Number.isFinite(value))
    throw new DriftSpecError(`drift ${JSON.stringify(text)} needs a number, e.g. ${kind}:2; ${usage}`);
  if (kind === 'noise' && value < 0) throw new DriftSpecError(`noise:S needs S >= 0, got ${value}`);
  if (kind === 'rotate') {
    if (b !== undefined && b !== 'x' && b !== 'y' && b !== 'z') throw new DriftSpecError(`rotate axis must be x, y or z; got ${JSON.stringify(b)}`);
    return { kind, value, axis: (b as 'x' | 'y' | 'z' | undefined) ?? 'z', text };
  }
  if (b !== undefined) throw new DriftSpecError(`drift ${JSON.stringify(text)} takes one value`);
  return { kind: kind as DriftKind, value, text };
}

/** Rotation matrix (row-major 3x3) of `deg` degrees about a coordinate axis. */
export function axisRotation(deg: number, axis: 'x' | 'y' | 'z'): number[] {
  const r = (deg * Math.PI) / 180,
    c = Math.cos(r),
    s = Math.sin(r);
  if (axis === 'x') return [1, 0, 0, 0, c, -s, 0, s, c];
  if (axis === 'y') return [c, 0, s, 0, 1, 0, -s, 0, c];
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

/** Every 3-axis triple in each time step of `channels` values turned by `m`. */
function rotateTriples(x: Float32Array, channels: number, m: number[]): Float32Array {
  const out = Float32Array.from(x);
  for (let t = 0; t + channels <= x.length; t += channels) {
    for (let g = 0; g + 3 <= channels; g += 3) {
      const i = t + g,
        a = x[i]!,
        b = x[i + 1]!,
        c = x[i + 2]!;
      out[i] = m[0]! * a + m[1]! * b + m[2]! * c;
      out[i + 1] = m[3]! * a + m[4]! * b + m[5]! * c;
      out[i + 2] = m[6]! * a + m[7]! * b + m[8]! * c;
    }
  }
  return out;
}

/** Image rotated by `deg` about its centre: each output pixel samples the input bilinearly (0 outside). */
export function rotateImage(x: Float32Array, side: number, deg: number): Float32Array {
  const out = new Float32Array(x.length);
  const r = (deg * Math.PI) / 180,
    c = Math.cos(r),
    s = Math.sin(r),
    mid = (side - 1) / 2;
  const at = (row: number, col: number): number => (row >= 0 && row < side && col >= 0 && col < side ? x[row * side + col]! : 0);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      // Inverse mapping: where in the source does this output pixel come from.
      const dx = col - mid,
        dy = row - mid;
      const sc = c * dx + s * dy + mid,
        sr = -s * dx + c * dy + mid;
      const r0 = Math.floor(sr),
        c0 = Math.floor(sc),
        fr = sr - r0,
        fc = sc - c0;
      out[row * side + col] = (1 - fr) * ((1 - fc) * at(r0, c0) + fc * at(r0, c0 + 1)) + fr * ((1 - fc) * at(r0 + 1, c0) + fc * at(r0 + 1, c0 + 1));
    }
  }
  return out;
}

/** The transform for a drift spec on data of this layout; `seed` fixes the permutation. */
export function makeTransform(spec: DriftSpec, layout: DataLayout, seed: number): Transform {
  switch (spec.kind) {
    case 'gain':
      return (x) => x.map((v) => v * spec.value);
    case 'offset':
      return (x) => x.map((v) => v + spec.value);
    case 'noise':
      return (x, rng) => x.map((v) => v + spec.value * rng.normal());
    case 'permute': {
      const order = shuffledIndices(layout.inputSize, seed);
      return (x) => Float32Array.from(order, (k) => x[k]!);
    }
    case 'rotate': {
      if (layout.imageSide !== undefined) {
        if (spec.axis !== 'z') throw new DriftSpecError('image rotation is in the image plane: drop the axis (rotate:DEG)');
        const side = layout.imageSide;
        return (x) => rotateImage(x, side, spec.value);
      }
      const channels = layout.channels;
      if (channels === undefined || channels < 3) {
        throw new DriftSpecError('rotate needs 3-axis sensor data (imu, serial-sensor with 6 channels) or images (mnist); use gain, offset, noise or permute');
      }
      const m = axisRotation(spec.value, spec.axis ?? 'z');
      return (x) => rotateTriples(x, channels, m);
    }
    default:
      throw new DriftSpecError(`drift kind ${JSON.stringify((spec as DriftSpec).kind)} has no transform`);
  }
}
