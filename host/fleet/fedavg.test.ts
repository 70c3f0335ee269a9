import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averageLabelInputsOverHolders,
  federatedAverage,
  labelInputs,
  parseShare,
  sharedBytes,
  weightBytes,
  withPersonalLayers,
  withServerMomentum,
} from './fedavg.js';

const blob = (values: number[]): Uint8Array => {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
};
const floats = (b: Uint8Array): number[] => Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getFloat32(i * 4, true));

test('the average matches one computed by hand: weights by samples seen', () => {
  // (100*1 + 300*5) / 400 = 4, (100*2 + 300*-2)/400 = -1, (100*0.5 + 300*0.5)/400 = 0.5
  const avg = federatedAverage(
    [
      { device: 'a', weights: blob([1, 2, 0.5]), samples: 100 },
      { device: 'b', weights: blob([5, -2, 0.5]), samples: 300 },
    ],
    12,
  );
  assert.deepEqual(floats(avg), [4, -1, 0.5]);
  // Three devices, one with no samples this round: it does not pull the average.
  const three = federatedAverage(
    [
      { device: 'a', weights: blob([3, 0]), samples: 1 },
      { device: 'b', weights: blob([6, 3]), samples: 2 },
      { device: 'c', weights: blob([1000, 1000]), samples: 0 },
    ],
    8,
  );
  assert.deepEqual(floats(three), [5, 2]);
});

test("only the shared prefix is averaged; the personal top layers stay the device's", () => {
  const avg = federatedAverage(
    [
      { device: 'a', weights: blob([2, 4, 9, 9]), samples: 1 },
      { device: 'b', weights: blob([4, 8, 7, 7]), samples: 1 },
    ],
    8,
  );
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

test('label-overlay columns are averaged over the devices holding that class only', () => {
  // W_0 of 2 units x 3 inputs (inputs 0, 1 are the label overlay of classes 0, 1), then b_0 [2].
  const label = { rows: 2, cols: 3, columns: [0, 1] };
  const a = { device: 'a', weights: blob([1, 10, 100, 2, 20, 200, 7, 8]), samples: 100, classes: [0] };
  const b = { device: 'b', weights: blob([3, 30, 300, 4, 40, 400, 9, 10]), samples: 300, classes: [1] };
  const avg = federatedAverage([a, b], 32);
  averageLabelInputsOverHolders(avg, [a, b], label);
  // column 0 from a only, column 1 from b only, the image input and b_0 the plain weighted average.
  assert.deepEqual(floats(avg), [1, 30, 250, 2, 40, 350, 8.5, 9.5]);
  // A class nobody holds keeps the plain average.
  const c = { device: 'c', weights: blob([1, 10, 100, 2, 20, 200, 7, 8]), samples: 100 };
  const plain = federatedAverage([c, { ...b, classes: [] }], 32);
  const before = floats(plain);
  averageLabelInputsOverHolders(plain, [c, { ...b, classes: [] }], label);
  assert.deepEqual(floats(plain), before);
});

test('the label columns of an MNIST FF model are its first 10 inputs (overlay replace) or the prepended ones', () => {
  const replace = labelInputs({ inputSize: 784, classes: 10, layers: [256] })!;
  assert.deepEqual([replace.rows, replace.cols, replace.columns[0], replace.columns[9]], [256, 784, 0, 9]);
  const prepend = labelInputs({ inputSize: 784, classes: 10, layers: [256], overlay: 'prepend' })!;
  assert.deepEqual([prepend.cols, prepend.columns[0], prepend.columns[9]], [794, 784, 793]);
  assert.equal(labelInputs({ inputSize: 12, classes: 3, layers: [8, 3], algorithm: 'backprop' }), null);
});

test('server momentum (FedAvgM) by hand: v = beta v + (avg - w), w + v', () => {
  const v = new Float64Array(2);
  const w1 = withServerMomentum(blob([1, 2]), blob([2, 1]), v, 0.5);
  assert.deepEqual(floats(w1), [2, 1]); // v = [1, -1]
  const w2 = withServerMomentum(w1, blob([3, 1]), v, 0.5);
  assert.deepEqual(floats(w2), [3.5, 0.5]); // v = [0.5 + 1, -0.5 + 0] = [1.5, -0.5]
  assert.throws(() => withServerMomentum(blob([1]), blob([1]), new Float64Array(1), 1), /\[0, 1\)/);
});
