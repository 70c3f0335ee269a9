// Every learning rule in the wasm against its plain float64 reference
// (host/learner/reference/rules-reference.ts): same config, same samples,
// same random draws. Parameters after a few steps, the step's loss and the
// rule's own prediction scores must agree within a tolerance (f32 vs f64);
// the max difference is printed for each case.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from '../host/learner/learner.js';
import { ReferenceRules } from '../host/learner/reference/rules-reference.js';
import type { LearnerConfig } from '../host/learner/config.js';
import { classBlobs, maxDiff } from './learner-data.js';

const dataset = (n: number, size: number, classes: number, seed: number) => classBlobs(n, size, classes, seed, 0.8, 0.4);

const base: LearnerConfig = { inputSize: 30, layers: [20, 16], classes: 5, seed: 11, learningRate: 0.01, headLearningRate: 0.01, threshold: 1 };
const output: LearnerConfig = { ...base, layers: [20, 16, 5] };

const cases: Array<[string, LearnerConfig, number]> = [
  ['hebbian-ff', { ...base, algorithm: 'hebbian-ff', batch: 2 }, 2e-4],
  [
    'hebbian-ff with an eligibility trace, sgd',
    { ...base, algorithm: 'hebbian-ff', optimizer: 'sgd', beta1: 0, rule: [0.8, 0, 0, 0], goodness: 'sum-squares', threshold: 6 },
    2e-4,
  ],
  [
    'spiking-ff, batch 2, prepend overlay',
    { ...base, algorithm: 'spiking-ff', batch: 2, overlay: 'prepend', threshold: 0.2, temperature: 0.1, rule: [6, 0.8, 0.5, 0.5] },
    2e-4,
  ],
  ['pepita, batch 3', { ...output, algorithm: 'pepita', batch: 3, optimizer: 'sgd', beta1: 0.9 }, 2e-4],
  ['pepita-mirror, batch 2', { ...output, algorithm: 'pepita-mirror', batch: 2, rule: [0.05, 0.05, 0.1, 0] }, 2e-4],
  // ED's loss does not change when a unit shifts on all copies of a sample, so
  // many bias gradients are 0 up to rounding; Adam would blow that rounding
  // up to whole steps (differently in f32 and f64), so these use SGD.
  ['ed, batch 3, skip first layer', { ...base, algorithm: 'ed', batch: 3, skipFirstLayer: true, rule: [4, 0.3, 1, 0], optimizer: 'sgd', beta1: 0.9 }, 2e-4],
  ['ed, batch 1 (no across term)', { ...base, algorithm: 'ed', batch: 1, rule: [3, 0.2, 1, 0], optimizer: 'sgd', beta1: 0 }, 2e-4],
  ['backprop, batch 4', { ...output, algorithm: 'backprop', batch: 4 }, 2e-4],
  ['feedback-alignment, batch 2, sgd', { ...output, algorithm: 'feedback-alignment', batch: 2, optimizer: 'sgd', beta1: 0.5 }, 2e-4],
  ['backprop-ff, batch 2, sum-squares', { ...base, algorithm: 'backprop-ff', batch: 2, goodness: 'sum-squares', threshold: 8, temperature: 2 }, 2e-4],
];

for (const [name, config, tolerance] of cases) {
  test(`wasm rule matches the reference: ${name}`, async () => {
    const learner = await Learner.load();
    learner.configure(config);
    const reference = new ReferenceRules(config);
    assert.equal(maxDiff(learner.weights(), reference.parameters()), 0, 'initial weights are drawn identically');
    const batch = config.batch ?? 1;
    const steps = 8;
    const { inputs, labels } = dataset(steps * batch, config.inputSize, config.classes, 5);
    let lossDiff = 0;
    for (let s = 0; s < steps; s++) {
      const xs = inputs.slice(s * batch, (s + 1) * batch),
        ys = labels.slice(s * batch, (s + 1) * batch);
      const flat = new Float32Array(batch * config.inputSize);
      xs.forEach((x, b) => flat.set(x, b * config.inputSize));
      const stats = learner.train(flat, ys);
      reference.train(xs, ys);
      lossDiff = Math.max(lossDiff, Math.abs(stats.headLoss - reference.lastHeadLoss));
    }
    const weightDiff = maxDiff(learner.weights(), reference.parameters());
    const probe = inputs[0];
    const scoreDiff = maxDiff(learner.predict(probe, 'goodness').scores, reference.predictRule(probe).scores);
    console.log(`# ${name}: max |dW| ${weightDiff.toExponential(2)}, max |d loss| ${lossDiff.toExponential(2)}, max |d scores| ${scoreDiff.toExponential(2)}`);
    assert.ok(weightDiff < tolerance, `weights differ by ${weightDiff}`);
    assert.ok(lossDiff < 2e-3, `losses differ by ${lossDiff}`);
    assert.ok(scoreDiff < 2e-3, `scores differ by ${scoreDiff}`);
  });
}
