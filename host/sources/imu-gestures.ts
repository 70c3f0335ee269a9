// Synthetic IMU gestures: a stand-in for a 6-axis sensor board, for demos and
// tests without hardware.
//
// Each sample is one window of `steps` readings (default 32 at 50 Hz = 0.64 s)
// of accelerometer xyz (g) and gyroscope xyz (rad/s) while the hand does one
// gesture. Layout is time-major, the same as the serial sensor source:
//
//   inputs[t * 6 + c],  c = 0..5 = ax ay az gx gy gz,  t = 0..steps-1
//
// Values are normalised to [-1, 1] by the full scale of a common IMU setting
// (+-4 g, +-250 deg/s) and clipped there, as a saturating sensor would.
//
// Classes (GESTURES): idle, shake, circle, tap, tilt. Every window also has a
// random device orientation (gravity direction), per-axis sensor bias, white
// noise and slow hand tremor; each gesture draws its amplitude, frequency,
// axis and phase or onset at random. So no single input value separates the
// classes (see the test), but their temporal patterns do.
//
// Deterministic: sample i of seed s depends only on (s, i), drawn from
// Rng(mixSeed(s, i)). Labels are balanced: each block of 5 consecutive samples
// holds each class once, in a seeded order.
//
// Non-goals: physical accuracy (no sensor-frame kinematics beyond gravity
// rotation), magnetometer.

import { Rng, mixSeed, shuffledIndices } from './prng.js';
import { packedSource, type PackedSamples, type PackedSource, type Sample, type SampleSource } from './sample.js';

export const GESTURES = ['idle', 'shake', 'circle', 'tap', 'tilt'] as const;
export type GestureName = (typeof GESTURES)[number];
export const IMU_CHANNELS = 6;
export const IMU_CHANNEL_NAMES: readonly string[] = ['ax', 'ay', 'az', 'gx', 'gy', 'gz'];
export const IMU_SAMPLE_RATE_HZ = 50;
export const IMU_DEFAULT_STEPS = 32;
/** Accelerometer full scale, g. */
export const ACCEL_FULL_SCALE_G = 4;
/** Gyroscope full scale, deg/s (boards print deg/s; the generator works in rad/s). */
export const GYRO_FULL_SCALE_DPS = 250;
const GYRO_FULL_SCALE_RAD = (GYRO_FULL_SCALE_DPS * Math.PI) / 180;

/**
 * Per-channel offset/scale that maps a board's printed line (g, deg/s) to the
 * generator's normalised inputs; pass it to the serial sensor source.
 */
export const IMU_BOARD_NORMALIZE = {
  offset: [0, 0, 0, 0, 0, 0],
  scale: [ACCEL_FULL_SCALE_G, ACCEL_FULL_SCALE_G, ACCEL_FULL_SCALE_G, GYRO_FULL_SCALE_DPS, GYRO_FULL_SCALE_DPS, GYRO_FULL_SCALE_DPS],
  clip: 1,
} as const;

export interface ImuGestureOptions {
  /** Any safe integer; same seed, same samples. */
  seed: number;
  /** Readings per window; default 32 (inputSize = steps * 6). At least 16. */
  steps?: number;
  /** Multiplies noise, bias and tremor; default 1. 0 gives clean signals. */
  noise?: number;
}

type Vec3 = [number, number, number];

function unitVector(rng: Rng): Vec3 {
  const z = rng.uniform(-1, 1);
  const a = rng.uniform(0, 2 * Math.PI);
  const r = Math.sqrt(1 - z * z);
  return [r * Math.cos(a), r * Math.sin(a), z];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** A unit vector perpendicular to `n`. */
function perpendicular(n: Vec3, rng: Rng): Vec3 {
  for (;;) {
    const c = cross(n, unitVector(rng));
    if (Math.hypot(c[0], c[1], c[2]) > 0.1) return normalise(c);
  }
}

/** Rotates v about unit axis k by angle a (Rodrigues' formula). */
function rotate(v: Vec3, k: Vec3, a: number): Vec3 {
  const c = Math.cos(a),
    s = Math.sin(a);
  const kxv = cross(k, v);
  const kdv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
  return [0, 1, 2].map((i) => v[i] * c + kxv[i] * s + k[i] * kdv * (1 - c)) as Vec3;
}

/**
 * One window in physical units: `steps * 6` values (g and rad/s), time-major.
 * `rng` is consumed; the caller seeds it.
 */
export function gestureWindow(rng: Rng, gesture: number, steps = IMU_DEFAULT_STEPS, noise = 1): Float64Array {
  if (!Number.isInteger(gesture) || gesture < 0 || gesture >= GESTURES.length) {
    throw new TypeError(`gesture must be an index below ${GESTURES.length}, got ${gesture}`);
  }
  checkSteps(steps);
  if (!(noise >= 0)) throw new TypeError(`noise must be >= 0, got ${noise}`);
  const dt = 1 / IMU_SAMPLE_RATE_HZ;
  const out = new Float64Array(steps * IMU_CHANNELS);
  const add = (t: number, c: number, v: Vec3) => {
    out[t * 6 + c] += v[0];
    out[t * 6 + c + 1] += v[1];
    out[t * 6 + c + 2] += v[2];
  };

  // Device orientation: gravity tilted up to 40 deg from +z, any azimuth.
  const tiltUp = rng.uniform(0, (40 * Math.PI) / 180);
  const azimuth = rng.uniform(0, 2 * Math.PI);
  const gravity: Vec3 = [Math.sin(tiltUp) * Math.cos(azimuth), Math.sin(tiltUp) * Math.sin(azimuth), Math.cos(tiltUp)];

  // Gravity per step (the tilt gesture rotates it; everyone else holds it).
  let gravityAt: (t: number) => Vec3 = () => gravity;

  switch (GESTURES[gesture]) {
    case 'idle':
      break;
    case 'shake': {
      const axis = unitVector(rng);
      const wrist = perpendicular(axis, rng);
      const f = rng.uniform(3, 6.5),
        amp = rng.uniform(0.5, 1.6),
        phase = rng.uniform(0, 2 * Math.PI);
      const spin = rng.uniform(0.6, 2.5);
      for (let t = 0; t < steps; t++) {
        const w = 2 * Math.PI * f * t * dt + phase;
        add(t, 0, axis.map((a) => amp * Math.sin(w) * a) as Vec3);
        add(t, 3, wrist.map((a) => spin * Math.cos(w) * a) as Vec3);
      }
      break;
    }
    case 'circle': {
      const normal = unitVector(rng);
      const u = perpendicular(normal, rng);
      const v = cross(normal, u);
      const f = rng.uniform(0.9, 2),
        amp = rng.uniform(0.3, 1),
        phase = rng.uniform(0, 2 * Math.PI);
      const dir = rng.sign(),
        twist = rng.uniform(0.2, 0.9);
      for (let t = 0; t < steps; t++) {
        const w = dir * 2 * Math.PI * f * t * dt + phase;
        add(t, 0, [0, 1, 2].map((i) => amp * (Math.cos(w) * u[i] + Math.sin(w) * v[i])) as Vec3);
        add(t, 3, [0, 1, 2].map((i) => twist * (-Math.sin(w) * u[i] + Math.cos(w) * v[i])) as Vec3);
      }
      break;
    }
    case 'tap': {
      // One or two knocks roughly along the screen normal, ringing briefly.
      const taps = rng.float() < 0.3 ? 2 : 1;
      for (let k = 0; k < taps; k++) {
        const onset = 2 + rng.int(steps - 8);
        const dir = normalise([rng.normal() * 0.3, rng.normal() * 0.3, -1]);
        const peak = rng.uniform(0.8, 3),
          tau = rng.uniform(0.8, 2.2),
          ring = rng.uniform(10, 20);
        const kick = perpendicular(dir, rng),
          kickAmp = rng.uniform(0.3, 1.5);
        for (let t = onset; t < steps; t++) {
          const s = t - onset;
          const env = Math.exp(-s / tau);
          add(t, 0, dir.map((a) => peak * env * Math.cos(2 * Math.PI * ring * s * dt) * a) as Vec3);
          add(t, 3, kick.map((a) => kickAmp * env * a) as Vec3);
        }
      }
      break;
    }
    case 'tilt': {
      // Turn the device 25..80 deg about a horizontal-ish axis, smoothly.
      const axis = perpendicular(gravity, rng);
      const angle = rng.sign() * rng.uniform((25 * Math.PI) / 180, (80 * Math.PI) / 180);
      const duration = rng.uniform(8, Math.min(24, steps - 4));
      const onset = rng.uniform(-4, steps - duration + 2);
      const progress = (t: number) => {
        const x = Math.min(1, Math.max(0, (t - onset) / duration));
        return x * x * (3 - 2 * x); // smoothstep
      };
      const rate = (t: number) => {
        const x = (t - onset) / duration;
        return x <= 0 || x >= 1 ? 0 : (6 * x * (1 - x)) / (duration * dt);
      };
      gravityAt = (t) => rotate(gravity, axis, -angle * progress(t));
      for (let t = 0; t < steps; t++) add(t, 3, axis.map((a) => angle * rate(t) * a) as Vec3);
      break;
    }
    default:
      throw new TypeError(`gesture ${gesture} has no generator`);
  }

  // Sensor and hand imperfections shared by every class.
  const aBias = [0, 1, 2].map(() => rng.normal() * 0.03 * noise);
  const gBias = [0, 1, 2].map(() => rng.normal() * 0.04 * noise);
  const tremorAxis = unitVector(rng),
    tremorF = rng.uniform(0.5, 2.5),
    tremorPhase = rng.uniform(0, 2 * Math.PI);
  const tremorA = rng.uniform(0, 0.12) * noise,
    tremorG = rng.uniform(0, 0.35) * noise;
  const aNoise = rng.uniform(0.02, 0.06) * noise,
    gNoise = rng.uniform(0.02, 0.08) * noise;
  for (let t = 0; t < steps; t++) {
    const g = gravityAt(t);
    const w = 2 * Math.PI * tremorF * t * dt + tremorPhase;
    for (let c = 0; c < 3; c++) {
      out[t * 6 + c] += g[c] + aBias[c] + tremorA * Math.sin(w) * tremorAxis[c] + aNoise * rng.normal();
      out[t * 6 + 3 + c] += gBias[c] + tremorG * Math.cos(w) * tremorAxis[c] + gNoise * rng.normal();
    }
  }
  return out;
}

/** Physical window (g, rad/s) -> normalised inputs in [-1, 1]. */
export function normaliseImu(physical: ArrayLike<number>): Float32Array {
  const out = new Float32Array(physical.length);
  for (let i = 0; i < physical.length; i++) {
    const scale = i % 6 < 3 ? ACCEL_FULL_SCALE_G : GYRO_FULL_SCALE_RAD;
    out[i] = Math.min(1, Math.max(-1, physical[i] / scale));
  }
  return out;
}

function checkSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 16) throw new TypeError(`steps must be an integer >= 16, got ${steps}`);
}

function checkOptions(options: ImuGestureOptions): Required<ImuGestureOptions> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { seed, steps = IMU_DEFAULT_STEPS, noise = 1 } = options;
  if (!Number.isSafeInteger(seed)) throw new TypeError(`options.seed must be a safe integer, got ${seed}`);
  checkSteps(steps);
  if (!(noise >= 0)) throw new TypeError(`options.noise must be >= 0, got ${noise}`);
  return { seed, steps, noise };
}

/** The label of sample `index`: every block of 5 holds each gesture once, in a seeded order. */
export function gestureLabel(seed: number, index: number): number {
  const n = GESTURES.length;
  const block = Math.floor(index / n);
  return shuffledIndices(n, mixSeed(seed, block, 0x1abe1))[index % n];
}

/** Sample `index` of the stream for `options.seed`, in physical units and normalised. */
export function imuGestureSample(options: ImuGestureOptions, index: number): Sample & { physical: Float64Array } {
  const { seed, steps, noise } = checkOptions(options);
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`index must be a non-negative integer, got ${index}`);
  const label = gestureLabel(seed, index);
  const physical = gestureWindow(new Rng(mixSeed(seed, index)), label, steps, noise);
  return { inputs: normaliseImu(physical), label, physical };
}

/** `count` samples packed (count x steps*6), samples 0..count-1 of the seed's stream. */
export function generateImuGestures(count: number, options: ImuGestureOptions): PackedSamples {
  const { steps } = checkOptions(options);
  if (!Number.isInteger(count) || count < 0) throw new TypeError(`count must be a non-negative integer, got ${count}`);
  const inputSize = steps * IMU_CHANNELS;
  const inputs = new Float32Array(count * inputSize);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const s = imuGestureSample(options, i);
    inputs.set(s.inputs, i * inputSize);
    labels[i] = s.label;
  }
  return { count, inputSize, inputs, labels };
}

/** A finite packed source of `count` gesture windows. */
export function imuGestureDataset(count: number, options: ImuGestureOptions): PackedSource {
  return packedSource(generateImuGestures(count, options), {
    name: `imu-gestures seed=${options.seed} n=${count}`,
    classes: GESTURES.length,
    classNames: GESTURES,
  });
}

/** An endless stream of gesture windows (samples 0, 1, 2, ... of the seed). */
export function imuGestureStream(options: ImuGestureOptions): SampleSource {
  const { steps } = checkOptions(options);
  return {
    name: `imu-gestures seed=${options.seed} (stream)`,
    inputSize: steps * IMU_CHANNELS,
    classes: GESTURES.length,
    classNames: GESTURES,
    async *samples() {
      for (let i = 0; ; i++) {
        const { inputs, label } = imuGestureSample(options, i);
        yield { inputs, label };
      }
    },
  };
}

/**
 * What a sensor board would print for samples first..first+count-1: one CSV
 * line per reading, `ax,ay,az,gx,gy,gz[,label]` in g and deg/s with 4
 * decimals, windows back to back. Feeds the serial source in tests and demos.
 */
export function imuBoardLines(options: ImuGestureOptions & { labelled?: boolean }, count: number, first = 0): string[] {
  const { steps } = checkOptions(options);
  const lines: string[] = [];
  for (let i = first; i < first + count; i++) {
    const s = imuGestureSample(options, i);
    for (let t = 0; t < steps; t++) {
      const cells: string[] = [];
      for (let c = 0; c < 6; c++) {
        const v = s.physical[t * 6 + c];
        cells.push((c < 3 ? v : (v * 180) / Math.PI).toFixed(4));
      }
      if (options.labelled) cells.push(String(s.label));
      lines.push(cells.join(','));
    }
  }
  return lines;
}
