import { test } from 'node:test';
import assert from 'node:assert/strict';
import { federatedAverage, parseShare, sharedBytes, weightBytes, withPersonalLayers } from './fedavg.js';

const blob = (values: number[]): Uint8Array => {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
};
const floats = (b: Uint8Array): number[] => Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getFloat32(i * 4, true));

test('the average matches one computed by hand: weights by samples seen', () => {
  // (100*1 + 300*5) / 400 = 4, (100*2 + 300*-2)/400 = -1, (100*0.5 + 300*0.5)/400 = 0.5
  const avg = federatedAverage([
    { device: 'a', weights: blob([1, 2, 0.5]), samples: 100 },
    { device: 'b', weights: blob([5, -2, 0.5]), samples: 300 },
  ], 12);
  assert.deepEqual(floats(avg), [4, -1, 0.5]);
  // Three devices, one with no samples this round: it does not pull the average.
  const three = federatedAverage([
    { device: 'a', weights: blob([3, 0]), samples: 1 },
    { device: 'b', weights: blob([6, 3]), samples: 2 },
    { device: 'c', weights: blob([1000, 1000]), samples: 0 },
  ], 8);
  assert.deepEqual(floats(three), [5, 2]);
});

test('only the shared prefix is averaged; the personal top layers stay the device\'s', () => {
  const avg = federatedAverage([
    { device: 'a', weights: blob([2, 4, 9, 9]), samples: 1 },
    { device: 'b', weights: blob([4, 8, 7, 7]), samples: 1 },
  ], 8);
  assert.deepEqual(floats(avg), [3, 6]);
  assert.deepEqual(floats(withPersonalLayers(avg, blob([0, 0, 7, 7]))), [3, 6, 7, 7]);
  assert.throws(() => withPersonalLayers(blob([1, 2, 3]), blob([1])), /larger than the device's weights/);
});

test('the layer layout: all, or the lower K layers (W and b of each) of the blob', () => {
  const config = { inputSize: 20, classes: 4, layers: [8, 6] };
  // layer 0: 8x20 + 8, layer 1: 6x8 + 6, head: 4 x (8+6) + 4
  assert.equal(weightBytes(config), (8 * 20 + 8 + 6 * 8 + 6 + 4 * 14 + 4) * 4);
  assert.equal(sharedBytes(config, parseShare('all')), weightBytes(config));
  assert.equal(sharedBytes(config, parseShare('lower:1')), (8 * 20 + 8) * 4);
  assert.throws(() => sharedBytes(config, parseShare('lower:2')), /keeps no layer personal/);
  assert.throws(() => parseShare('top:1'), /all" or "lower:K/);
});

test('refuses what must not be averaged: mismatched sizes, no samples, non-finite weights', () => {
  assert.throws(() => federatedAverage([], 4), /nothing to average/);
  assert.throws(() => federatedAverage([{ device: 'a', weights: blob([1]), samples: 1 }], 8), /a sent 4 bytes/);
  assert.throws(() => federatedAverage([{ device: 'a', weights: blob([1]), samples: 0 }], 4), /trained no samples/);
  assert.throws(() => federatedAverage([{ device: 'a', weights: blob([NaN]), samples: 2 }], 4), /non-finite weight/);
});
