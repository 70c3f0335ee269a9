import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../sources/prng.js';
import { imuGestureDataset } from '../sources/imu-gestures.js';
import { axisRotation, makeTransform, parseDrift, rotateImage } from './drift.js';

const imu = imuGestureDataset(10, { seed: 5, steps: 16 });
const layout = { inputSize: imu.inputSize, channels: 6 };

test('gain x2 doubles every value; offset adds', () => {
  const x = imu.sample(3).inputs;
  const doubled = makeTransform(parseDrift('gain:2'), layout, 1)(x, new Rng(1));
  x.forEach((v, i) => assert.equal(doubled[i], Math.fround(v * 2)));
  const shifted = makeTransform(parseDrift('offset:-0.25'), layout, 1)(x, new Rng(1));
  x.forEach((v, i) => assert.equal(shifted[i], Math.fround(v - 0.25)));
});

test('IMU axis rotation keeps the norm of every accelerometer and gyroscope triple and changes the values', () => {
  for (const spec of ['rotate:30', 'rotate:75:x', 'rotate:-40:y']) {
    const t = makeTransform(parseDrift(spec), layout, 1);
    const x = imu.sample(7).inputs;
    const y = t(x, new Rng(1));
    let moved = 0;
    for (let i = 0; i < x.length; i += 3) {
      const n0 = Math.hypot(x[i]!, x[i + 1]!, x[i + 2]!),
        n1 = Math.hypot(y[i]!, y[i + 1]!, y[i + 2]!);
      assert.ok(Math.abs(n0 - n1) < 1e-5, `${spec} triple ${i / 3}: |x| ${n0} vs ${n1}`);
      moved += Math.abs(x[i]! - y[i]!) + Math.abs(x[i + 1]! - y[i + 1]!) + Math.abs(x[i + 2]! - y[i + 2]!);
    }
    assert.ok(moved > 0.1, `${spec} changed the data`);
  }
  // 90 degrees about z takes x to y.
  const m = axisRotation(90, 'z');
  assert.ok(Math.abs(m[3]! - 1) < 1e-12 && Math.abs(m[0]!) < 1e-12);
});

test('noise is seeded per sample; permute is a fixed permutation', () => {
  const x = imu.sample(1).inputs;
  const noisy = makeTransform(parseDrift('noise:0.1'), layout, 1);
  assert.deepEqual(noisy(x, new Rng(9)), noisy(x, new Rng(9)));
  assert.notDeepEqual(noisy(x, new Rng(9)), noisy(x, new Rng(10)));
  const p1 = makeTransform(parseDrift('permute'), layout, 42);
  const y = p1(x, new Rng(1));
  assert.deepEqual([...y].sort(), [...x].sort());
  assert.notDeepEqual(y, x);
  assert.deepEqual(makeTransform(parseDrift('permute'), layout, 42)(x, new Rng(2)), y, 'same seed, same permutation');
});

test('image rotation: 0 degrees is the identity, 90 degrees moves a pixel a quarter turn about the centre', () => {
  const side = 5;
  const img = new Float32Array(side * side);
  img[0 * side + 2] = 1; // top centre
  assert.deepEqual(rotateImage(img, side, 0), img);
  const r = rotateImage(img, side, 90);
  const at = r.indexOf(Math.max(...r));
  assert.ok(r[at]! > 0.99, 'the pixel survives a 90 degree turn');
  assert.ok(at === 2 * side + 0 || at === 2 * side + 4, `ends at the middle of a side, got (${Math.floor(at / side)}, ${at % side})`);
  const t = makeTransform(parseDrift('rotate:90'), { inputSize: 25, imageSide: 5 }, 1);
  assert.deepEqual(t(img, new Rng(1)), r);
});

test('bad drift specs name the valid ones; rotate needs 3-axis data or images', () => {
  assert.throws(() => parseDrift('tilt:3'), /gain:K, offset:B, noise:S, rotate:DEG/);
  assert.throws(() => parseDrift('gain'), /needs a number/);
  assert.throws(() => parseDrift('rotate:30:w'), /axis must be x, y or z/);
  assert.throws(() => makeTransform(parseDrift('rotate:30'), { inputSize: 10 }, 1), /3-axis sensor data/);
});
