import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterImage } from './image-jitter.js';

const side = 8;
const image = (): Float32Array => Float32Array.from({ length: side * side }, (_, i) => ((i * 37) % 11) / 10);

test('zero jitter copies the image exactly', () => {
  const src = image(),
    dst = new Float32Array(side * side);
  jitterImage(src, dst, side, { maxShift: 0, maxRotateDegrees: 0, maxScale: 0 }, Math.random);
  assert.deepEqual(dst, src);
});

test('a shift of one pixel moves every pixel by one, zero filling the edge', () => {
  const src = image(),
    dst = new Float32Array(side * side);
  // random() = 1 - tiny gives shift ~ +maxShift on x and y; rotation, scale ~ their maxima (0 here).
  const draws = [0.5, 0.5, 1, 0.5];
  let k = 0;
  jitterImage(src, dst, side, { maxShift: 1, maxRotateDegrees: 0, maxScale: 0 }, () => draws[k++]);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const expected = x === 0 ? 0 : src[y * side + x - 1];
      assert.ok(Math.abs(dst[y * side + x] - expected) < 1e-6, `(${x}, ${y}): ${dst[y * side + x]} vs ${expected}`);
    }
  }
});

test('a rotation keeps the ink mass of a centred blob within a few percent', () => {
  const src = new Float32Array(side * side);
  for (let y = 2; y < 6; y++) for (let x = 3; x < 5; x++) src[y * side + x] = 1;
  const dst = new Float32Array(side * side);
  const draws = [1, 0.5, 0.5, 0.5]; // +maxRotate, no scale, no shift
  let k = 0;
  jitterImage(src, dst, side, { maxShift: 0, maxRotateDegrees: 10, maxScale: 0 }, () => draws[k++]);
  const mass = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);
  assert.notDeepEqual(dst, src);
  assert.ok(Math.abs(mass(dst) - mass(src)) / mass(src) < 0.05, `mass ${mass(dst)} vs ${mass(src)}`);
});
