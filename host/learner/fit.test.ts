import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from './learner.js';
import { fit, evaluate, shuffledOrder } from './fit.js';
import { Xoshiro128 } from './reference/prng.js';
import type { PackedSamples } from '../sources/sample.js';

function blobs(count: number, seed: number): PackedSamples {
  const rng = new Xoshiro128(seed);
  const inputSize = 12,
    labels = new Int32Array(count),
    inputs = new Float32Array(count * inputSize);
  for (let i = 0; i < count; i++) {
    const y = rng.nextBelow(3);
    labels[i] = y;
    for (let k = 0; k < inputSize; k++) inputs[i * inputSize + k] = (k % 3 === y ? 1 : 0) + 0.3 * rng.nextUnit();
  }
  return { count, inputSize, inputs, labels };
}

test('shuffledOrder is a permutation that depends only on the seed', () => {
  const a = shuffledOrder(100, new Xoshiro128(4)),
    b = shuffledOrder(100, new Xoshiro128(4)),
    c = shuffledOrder(100, new Xoshiro128(5));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('fit trains every sample of every epoch (last batch partial) and learns the task', async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [16], classes: 3, batch: 4, learningRate: 0.01, headLearningRate: 0.01, threshold: 1 });
  const train = blobs(102, 1),
    held = blobs(60, 2);
  const epochs: number[] = [];
  const result = await fit(learner, train, {
    epochs: 5,
    seed: 3,
    onEpoch: (e) => {
      epochs.push(e);
    },
  });
  assert.deepEqual(epochs, [1, 2, 3, 4, 5]);
  assert.equal(result.samples, 510);
  assert.equal(learner.stats().step, 5 * Math.ceil(102 / 4));
  const g = evaluate(learner, held, 'goodness', 3);
  let manual = 0;
  for (let i = 0; i < held.count; i++) if (learner.predict(held.inputs.subarray(i * 12, (i + 1) * 12)).label === held.labels[i]) manual++;
  assert.equal(g.correct, manual);
  assert.ok(g.accuracy > 0.8, `accuracy ${g.accuracy}`);
});

test('fit stops at the time budget and says so', async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [16], classes: 3 });
  const result = await fit(learner, blobs(50, 1), { epochs: 1000, timeBudgetSeconds: 0 });
  assert.equal(result.stoppedByBudget, true);
  assert.ok(result.samples < 50);
});

test('fit refuses data of the wrong width', async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 10, layers: [4], classes: 3 });
  await assert.rejects(fit(learner, blobs(5, 1), { epochs: 1 }), /12 inputs per sample; the model expects 10/);
});

test('setCooldown re-times the cooldown mid-run: with finalRate 0 the weights stop moving once it ends', async () => {
  const learner = await Learner.load();
  learner.configure({
    inputSize: 12,
    layers: [16],
    classes: 3,
    batch: 4,
    learningRate: 0.01,
    threshold: 1,
    softmaxHead: false,
    decaySteps: 1000,
    finalRate: 0,
  });
  const data = blobs(40, 3);
  const batch = (k: number): [Float32Array, Int32Array] => [data.inputs.subarray(4 * k * 12, 4 * (k + 1) * 12), data.labels.subarray(4 * k, 4 * (k + 1))];
  learner.train(...batch(0));
  learner.train(...batch(1));
  assert.equal(learner.cooldownDone, 2);
  learner.setCooldown(3); // the rate reaches 0 at the 4th call from the start
  learner.train(...batch(2));
  const before = learner.exportWeights();
  learner.train(...batch(3));
  learner.train(...batch(4));
  assert.deepEqual(learner.exportWeights(), before, 'rate 0 after the re-timed cooldown');
  learner.setCooldown(1000); // longer again: the rate is back above 0
  learner.train(...batch(5));
  assert.notDeepEqual(learner.exportWeights(), before);
  assert.throws(() => learner.setCooldown(-1), TypeError);
});

test('cooldownOnBudget ends the cooldown at the time budget, never past the last epoch', async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [16], classes: 3, batch: 4, learningRate: 0.01, threshold: 1, decaySteps: 1, finalRate: 0.1 });
  const train = blobs(400, 4);
  const stepsPerEpoch = 100;
  // A budget far beyond 3 epochs: the cooldown is capped by the epochs.
  const long = await fit(learner, train, { epochs: 3, seed: 1, timeBudgetSeconds: 1000, cooldownOnBudget: true, cooldownEverySeconds: 0 });
  assert.equal(long.stoppedByBudget, false);
  assert.equal(long.cooldownSteps, 3 * stepsPerEpoch, 're-timed on the last call to end there');
  // A short budget: the last re-timing lands near the calls made by the budget.
  learner.configure({ inputSize: 12, layers: [16], classes: 3, batch: 4, learningRate: 0.01, threshold: 1, decaySteps: 1, finalRate: 0.1 });
  const short = await fit(learner, train, { epochs: 100000, seed: 1, timeBudgetSeconds: 0.3, cooldownOnBudget: true, cooldownEverySeconds: 0.05 });
  assert.equal(short.stoppedByBudget, true);
  const calls = short.samples / 4;
  assert.ok(
    short.cooldownSteps !== undefined && Math.abs(short.cooldownSteps - calls) < 0.35 * calls,
    `cooldown ${short.cooldownSteps} vs ${calls} calls made`,
  );
});
