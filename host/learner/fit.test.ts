import test from "node:test";
import assert from "node:assert/strict";
import { Learner } from "./learner.js";
import { fit, evaluate, shuffledOrder } from "./fit.js";
import { Xoshiro128 } from "./reference/prng.js";
import type { PackedSamples } from "../sources/sample.js";

function blobs(count: number, seed: number): PackedSamples {
  const rng = new Xoshiro128(seed);
  const inputSize = 12, labels = new Int32Array(count), inputs = new Float32Array(count * inputSize);
  for (let i = 0; i < count; i++) {
    const y = rng.nextBelow(3);
    labels[i] = y;
    for (let k = 0; k < inputSize; k++) inputs[i * inputSize + k] = (k % 3 === y ? 1 : 0) + 0.3 * rng.nextUnit();
  }
  return { count, inputSize, inputs, labels };
}

test("shuffledOrder is a permutation that depends only on the seed", () => {
  const a = shuffledOrder(100, new Xoshiro128(4)), b = shuffledOrder(100, new Xoshiro128(4)), c = shuffledOrder(100, new Xoshiro128(5));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
});

test("fit trains every sample of every epoch (last batch partial) and learns the task", async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [16], classes: 3, batch: 4, learningRate: 0.01, headLearningRate: 0.01, threshold: 1 });
  const train = blobs(102, 1), held = blobs(60, 2);
  const epochs: number[] = [];
  const result = await fit(learner, train, { epochs: 5, seed: 3, onEpoch: (e) => { epochs.push(e); } });
  assert.deepEqual(epochs, [1, 2, 3, 4, 5]);
  assert.equal(result.samples, 510);
  assert.equal(learner.stats().step, 5 * Math.ceil(102 / 4));
  const g = evaluate(learner, held, "goodness", 3);
  let manual = 0;
  for (let i = 0; i < held.count; i++) if (learner.predict(held.inputs.subarray(i * 12, (i + 1) * 12)).label === held.labels[i]) manual++;
  assert.equal(g.correct, manual);
  assert.ok(g.accuracy > 0.8, `accuracy ${g.accuracy}`);
});

test("fit stops at the time budget and says so", async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [16], classes: 3 });
  const result = await fit(learner, blobs(50, 1), { epochs: 1000, timeBudgetSeconds: 0 });
  assert.equal(result.stoppedByBudget, true);
  assert.ok(result.samples < 50);
});

test("fit refuses data of the wrong width", async () => {
  const learner = await Learner.load();
  learner.configure({ inputSize: 10, layers: [4], classes: 3 });
  await assert.rejects(fit(learner, blobs(5, 1), { epochs: 1 }), /12 inputs per sample; the model expects 10/);
});
