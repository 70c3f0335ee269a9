import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GESTURES, IMU_BOARD_NORMALIZE, generateImuGestures, imuBoardLines, imuGestureDataset, imuGestureSample, imuGestureStream } from './imu-gestures.js';
import type { PackedSamples } from './sample.js';

const K = GESTURES.length;
const row = (ds: PackedSamples, n: number) => ds.inputs.subarray(n * ds.inputSize, (n + 1) * ds.inputSize);

test('deterministic by seed and index; different seeds differ', () => {
  const a = generateImuGestures(40, { seed: 11 });
  assert.deepEqual(a, generateImuGestures(40, { seed: 11 }));
  assert.notDeepEqual(a.inputs, generateImuGestures(40, { seed: 12 }).inputs);
  // Sample i does not depend on how many were generated before it.
  const s = imuGestureSample({ seed: 11 }, 37);
  assert.deepEqual(s.inputs, row(a, 37));
  assert.equal(s.label, a.labels[37]);
});

test('shape, range and balanced labels', () => {
  const ds = generateImuGestures(500, { seed: 3, steps: 40 });
  assert.equal(ds.inputSize, 40 * 6);
  let lo = Infinity,
    hi = -Infinity;
  for (const v of ds.inputs) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= -1 && hi <= 1, `range [${lo}, ${hi}]`);
  assert.ok(hi - lo > 0.5, 'signals use a fair part of the range');
  for (let b = 0; b < 100; b++) {
    const block = Array.from(ds.labels.subarray(b * K, b * K + K)).sort();
    assert.deepEqual(block, [0, 1, 2, 3, 4], `block ${b}`);
  }
  assert.notDeepEqual(Array.from(ds.labels.subarray(0, 25)), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
});

/** Held-out accuracy of the best 1-D classifier on one coordinate (20 quantile bins, majority class each). */
function bestSingleValueAccuracy(train: number[][], trainY: ArrayLike<number>, testX: number[][], testY: ArrayLike<number>): number {
  let best = 0;
  const bins = 20;
  for (let i = 0; i < train[0].length; i++) {
    const sorted = train.map((x) => x[i]).sort((a, b) => a - b);
    const edges = Array.from({ length: bins - 1 }, (_, b) => sorted[Math.floor(((b + 1) * sorted.length) / bins)]);
    const bin = (v: number) => {
      let b = 0;
      while (b < edges.length && v > edges[b]) b++;
      return b;
    };
    const votes = Array.from({ length: bins }, () => new Array<number>(K).fill(0));
    train.forEach((x, n) => votes[bin(x[i])][trainY[n]]++);
    const major = votes.map((v) => v.indexOf(Math.max(...v)));
    const acc = testX.filter((x, n) => major[bin(x[i])] === testY[n]).length / testX.length;
    best = Math.max(best, acc);
  }
  return best;
}

/** Per-channel mean, std, max, min, total variation: a tiny hand-made feature set. */
function features(x: Float32Array): number[] {
  const steps = x.length / 6,
    f: number[] = [];
  for (let c = 0; c < 6; c++) {
    let s = 0,
      s2 = 0,
      mx = -Infinity,
      mn = Infinity,
      tv = 0;
    for (let t = 0; t < steps; t++) {
      const v = x[t * 6 + c];
      s += v;
      s2 += v * v;
      mx = Math.max(mx, v);
      mn = Math.min(mn, v);
      if (t > 0) tv += Math.abs(v - x[(t - 1) * 6 + c]);
    }
    const m = s / steps;
    f.push(m, Math.sqrt(Math.max(0, s2 / steps - m * m)), mx, mn, tv);
  }
  return f;
}

function knnAccuracy(train: number[][], trainY: ArrayLike<number>, testX: number[][], testY: ArrayLike<number>, k = 5): number {
  let ok = 0;
  testX.forEach((q, n) => {
    const d = train.map((x, m) => [x.reduce((s, v, i) => s + (v - q[i]) ** 2, 0), trainY[m]]).sort((a, b) => a[0] - b[0]);
    const votes = new Array<number>(K).fill(0);
    for (let j = 0; j < k; j++) votes[d[j][1]]++;
    if (votes.indexOf(Math.max(...votes)) === testY[n]) ok++;
  });
  return ok / testX.length;
}

test('classes are learnable but no single input value separates them', () => {
  const train = generateImuGestures(1000, { seed: 101 });
  const held = generateImuGestures(400, { seed: 202 });
  const rawTrain = Array.from({ length: train.count }, (_, n) => Array.from(row(train, n)));
  const rawHeld = Array.from({ length: held.count }, (_, n) => Array.from(row(held, n)));
  const single = bestSingleValueAccuracy(rawTrain, train.labels, rawHeld, held.labels);
  // Chance is 0.2; one reading of one axis must not come close to solving it.
  assert.ok(single < 0.6, `best single input accuracy ${single}`);

  const fTrain = rawTrain.map((x) => features(Float32Array.from(x)));
  const fHeld = rawHeld.map((x) => features(Float32Array.from(x)));
  const mu = fTrain[0].map((_, i) => fTrain.reduce((s, f) => s + f[i], 0) / fTrain.length);
  const sd = fTrain[0].map((_, i) => Math.sqrt(fTrain.reduce((s, f) => s + (f[i] - mu[i]) ** 2, 0) / fTrain.length) + 1e-9);
  const z = (f: number[]) => f.map((v, i) => (v - mu[i]) / sd[i]);
  const acc = knnAccuracy(fTrain.map(z), train.labels, fHeld.map(z), held.labels);
  assert.ok(acc > 0.9, `5-NN on simple temporal features: ${acc}`);
  console.log(`# imu gestures: best single-input accuracy ${single.toFixed(3)}, 5-NN on features ${acc.toFixed(3)}`);
});

test('noise: 0 gives clean, different-looking windows of the same class', () => {
  const clean = imuGestureSample({ seed: 5, noise: 0 }, 0);
  const noisy = imuGestureSample({ seed: 5, noise: 1 }, 0);
  assert.equal(clean.label, noisy.label);
  assert.notDeepEqual(clean.inputs, noisy.inputs);
});

test('board lines, normalised like the serial source does, give back the same windows', () => {
  const opts = { seed: 8, steps: 16 };
  const lines = imuBoardLines({ ...opts, labelled: true }, 3, 2);
  assert.equal(lines.length, 3 * 16);
  for (let i = 0; i < 3; i++) {
    const s = imuGestureSample(opts, 2 + i);
    for (let t = 0; t < 16; t++) {
      const cells = lines[i * 16 + t].split(',').map(Number);
      assert.equal(cells.length, 7);
      assert.equal(cells[6], s.label);
      for (let c = 0; c < 6; c++) {
        const v = Math.max(
          -IMU_BOARD_NORMALIZE.clip,
          Math.min(IMU_BOARD_NORMALIZE.clip, (cells[c] - IMU_BOARD_NORMALIZE.offset[c]) / IMU_BOARD_NORMALIZE.scale[c]),
        );
        assert.ok(Math.abs(v - s.inputs[t * 6 + c]) < 1e-4, `sample ${i} t ${t} c ${c}: ${v} vs ${s.inputs[t * 6 + c]}`);
      }
    }
  }
});

test('sources: finite dataset and endless stream agree', async () => {
  const ds = imuGestureDataset(12, { seed: 4 });
  assert.equal(ds.classes, 5);
  assert.deepEqual(ds.classNames, GESTURES);
  const stream = imuGestureStream({ seed: 4 });
  let i = 0;
  for await (const s of stream.samples()) {
    assert.deepEqual(s, ds.sample(i));
    if (++i === 12) break;
  }
  assert.throws(() => generateImuGestures(3, { seed: 1, steps: 8 }), { name: 'TypeError', message: /steps/ });
  assert.throws(() => generateImuGestures(3, { seed: 0.5 }), { name: 'TypeError', message: /seed/ });
});
