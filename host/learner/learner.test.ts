import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from './learner.js';
import { ConfigError, ArenaTooSmallError, SampleError, LearnerStateError } from './errors.js';
import type { LearnerConfig } from './config.js';

const small: LearnerConfig = { inputSize: 24, layers: [16, 12], classes: 4, batch: 3, seed: 7 };

function data(n: number, size: number, seed: number): { x: Float32Array; y: number[] } {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const y = Array.from({ length: n }, () => Math.floor(next() * 4));
  const x = new Float32Array(n * size).map((_, i) => (y[Math.floor(i / size)] === i % 4 ? 1 : 0) + next() * 0.5);
  return { x, y };
}

test('configure reports arena and parameter bytes', async () => {
  const learner = await Learner.load();
  const { arenaBytes, paramsBytes } = learner.configure(small);
  // params: (24+1)*16 + (16+1)*12 + head (16+12+1)*4, f32 each
  assert.equal(paramsBytes, ((24 + 1) * 16 + (16 + 1) * 12 + (16 + 12 + 1) * 4) * 4);
  assert.ok(arenaBytes > 3 * paramsBytes, `arena ${arenaBytes} holds params and 2 Adam moments`);
});

test('same seed and samples give bit-identical weights; another seed does not', async () => {
  const a = await Learner.load(),
    b = await Learner.load(),
    c = await Learner.load();
  a.configure(small);
  b.configure(small);
  c.configure({ ...small, seed: 8 });
  const { x, y } = data(30, 24, 1);
  for (let s = 0; s < 10; s++) {
    const rows = x.subarray(s * 3 * 24, (s + 1) * 3 * 24),
      labels = y.slice(s * 3, s * 3 + 3);
    a.train(rows, labels);
    b.train(rows, labels);
    c.train(rows, labels);
  }
  assert.deepEqual(a.exportWeights(), b.exportWeights());
  assert.notDeepEqual(a.exportWeights(), c.exportWeights());
});

test('training separates positive from negative goodness', async () => {
  const learner = await Learner.load();
  learner.configure({ ...small, batch: 4, learningRate: 0.01, threshold: 1 });
  const { x, y } = data(400, 24, 3);
  let first = null,
    last = null;
  for (let s = 0; s < 100; s++) {
    const st = learner.train(x.subarray(s * 4 * 24, (s + 1) * 4 * 24), y.slice(s * 4, s * 4 + 4));
    if (s === 0) first = st;
    last = st;
  }
  const sep = (st: NonNullable<typeof last>) => st.layers[0].goodnessPositive - st.layers[0].goodnessNegative;
  assert.ok(sep(last!) > sep(first!) + 0.1, `separation ${sep(first!)} -> ${sep(last!)}`);
  assert.equal(last!.step, 100);
});

test('no allocation in a step: memory does not grow while training', async () => {
  const learner = await Learner.load();
  learner.configure(small);
  const before = learner.exports.memory.buffer.byteLength;
  const { x, y } = data(3, 24, 5);
  for (let s = 0; s < 200; s++) learner.trainFast(x, y);
  learner.predict(x.subarray(0, 24), 'goodness');
  learner.predict(x.subarray(0, 24), 'head');
  assert.equal(learner.exports.memory.buffer.byteLength, before);
});

test('export and import weights round-trip; wrong size is refused', async () => {
  const a = await Learner.load(),
    b = await Learner.load();
  a.configure(small);
  b.configure(small);
  const { x, y } = data(3, 24, 9);
  for (let s = 0; s < 5; s++) a.train(x, y);
  b.importWeights(a.exportWeights());
  assert.deepEqual(b.exportWeights(), a.exportWeights());
  assert.deepEqual(b.predict(x.subarray(0, 24)).scores, a.predict(x.subarray(0, 24)).scores);
  assert.throws(() => b.importWeights(new Uint8Array(12)), LearnerStateError);
});

test('invalid configs raise ConfigError naming the field', async () => {
  const learner = await Learner.load();
  const bad: Array<[LearnerConfig, RegExp]> = [
    [{ ...small, inputSize: 0 }, /inputSize/],
    [{ ...small, layers: [16, 0] }, /layers\[1\]/],
    [{ ...small, layers: [] }, /layer count 0/],
    [{ ...small, learningRate: NaN }, /learningRate/],
    [{ ...small, temperature: 0 }, /temperature/],
    [{ ...small, beta1: 1 }, /beta1/],
    [{ ...small, threshold: Infinity }, /threshold/],
    [{ ...small, classes: 1 }, /classes/],
    [{ ...small, batch: 0 }, /batch/],
    [{ ...small, negatives: 'hybrid' }, /imageWidth/],
  ];
  for (const [config, message] of bad) {
    assert.throws(
      () => learner.configure(config),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(config),
    );
  }
  assert.throws(() => learner.configure({ ...small, optimizer: 'rmsprop' as never }), TypeError);
});

test('a model that does not fit the memory limit is refused with the bytes it needs', async () => {
  const learner = await Learner.load({ memoryLimit: 64 * 1024 });
  learner.configure({ inputSize: 64, layers: [32, 32], classes: 4 });
  try {
    learner.configure({ inputSize: 784, layers: [500, 500], classes: 10 });
    assert.fail('should not fit');
  } catch (e) {
    assert.ok(e instanceof ArenaTooSmallError);
    assert.ok(e.bytesNeeded > 64 * 1024, `needs ${e.bytesNeeded}`);
    assert.match(e.message, /bytes of memory/);
  }
});

test('bad samples raise SampleError; train before configure raises LearnerStateError', async () => {
  const learner = await Learner.load();
  assert.throws(() => learner.train(new Float32Array(24), [0]), LearnerStateError);
  learner.configure(small);
  assert.throws(
    () => learner.train(new Float32Array(24), [4]),
    (e: unknown) => e instanceof SampleError && /label of batch row 0/.test((e as Error).message),
  );
  assert.throws(() => learner.train(new Float32Array(24), [-1]), SampleError);
  const nan = new Float32Array(24);
  nan[5] = NaN;
  assert.throws(
    () => learner.train(nan, [1]),
    (e: unknown) => e instanceof SampleError && /input value 5/.test((e as Error).message),
  );
  assert.throws(() => learner.train(new Float32Array(4 * 24), [0, 1, 2, 3]), SampleError);
  assert.throws(() => learner.train(new Float32Array(23), [0]), SampleError);
});

test('unsupervised hybrid negatives train and predict through the head only', async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 36, layers: [20], classes: 3, negatives: 'hybrid', imageWidth: 6, imageHeight: 6, batch: 1 });
  const x = new Float32Array(36).map((_, i) => (i % 7) / 7);
  learner.train(x, [-1]);
  learner.train(x, [2]);
  assert.equal(learner.predict(x, 'head').scores.length, 3);
  assert.throws(() => learner.predict(x, 'goodness'), LearnerStateError);
});

test('a refused config leaves the learner unconfigured, not half-laid-out', async () => {
  const learner = await Learner.load({ memoryLimit: 64 * 1024 });
  learner.configure(small);
  const x = new Float32Array(24);
  learner.train(x, [1]);
  assert.throws(() => learner.configure({ inputSize: 784, layers: [500], classes: 10 }), ArenaTooSmallError);
  // the wasm itself refuses to train (not just the host wrapper)
  assert.equal(learner.exports.train(1), 8 /* NOT_CONFIGURED */);
  learner.configure(small);
  learner.train(x, [1]);
});
