// The wasm learner against the plain TypeScript reference
// (host/learner/reference/ff-reference.ts): same config, same samples, same
// random draws; parameters and statistics must agree within a tolerance
// (f32 vs f64 arithmetic). The max difference is printed for each case.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from '../host/learner/learner.js';
import { ReferenceFF } from '../host/learner/reference/ff-reference.js';
import type { LearnerConfig } from '../host/learner/config.js';
import { classBlobs, maxDiff } from './learner-data.js';

const dataset = (n: number, size: number, classes: number, seed: number) => classBlobs(n, size, classes, seed, 0.8, 0.4);

const base: LearnerConfig = { inputSize: 30, layers: [20, 16], classes: 5, seed: 11, learningRate: 0.01, headLearningRate: 0.01, threshold: 1 };

const cases: Array<[string, LearnerConfig]> = [
  ['adam, mean-squares, random negatives, batch 1', { ...base }],
  ['adam, batch 4, skip first layer, learning-rate cooldown', { ...base, batch: 4, skipFirstLayer: true, decaySteps: 8, finalRate: 0.25 }],
  [
    'sgd with momentum, sum-squares, prepend overlay',
    { ...base, optimizer: 'sgd', beta1: 0.9, goodness: 'sum-squares', threshold: 10, overlay: 'prepend', learningRate: 0.002 },
  ],
  ['hard negatives, peer normalisation, weight decay', { ...base, batch: 2, negatives: 'hard', peerWeight: 0.1, weightDecay: 0.001 }],
  ['SymBa pair loss, peer normalisation, batch 3', { ...base, batch: 3, loss: 'symba', temperature: 0.5, peerWeight: 0.05 }],
  ['unsupervised hybrid negatives', { ...base, inputSize: 30, imageWidth: 6, imageHeight: 5, negatives: 'hybrid', batch: 1 }],
  ['unsupervised hybrid negatives, batch 3', { ...base, inputSize: 30, imageWidth: 5, imageHeight: 6, negatives: 'hybrid', batch: 3 }],
  // Classes arrive in order (labels sorted below): negatives and prediction over the labels seen so far.
  ['seen labels only, random negatives, classes in order', { ...base, seenLabelsOnly: true }],
  ['seen labels only, hard negatives, batch 2, classes in order', { ...base, batch: 2, negatives: 'hard', seenLabelsOnly: true }],
];

for (const [name, config] of cases) {
  test(`wasm learner matches the reference: ${name}`, async () => {
    const learner = await Learner.load();
    learner.configure(config);
    const reference = new ReferenceFF(config);
    assert.equal(maxDiff(learner.weights(), reference.parameters()), 0, 'initial weights are drawn identically');
    const batch = config.batch ?? 1;
    const data = dataset(12 * batch, config.inputSize, config.classes, 5);
    const order = data.labels.map((_, i) => i);
    if (config.seenLabelsOnly) order.sort((a, b) => data.labels[a]! - data.labels[b]! || a - b);
    const inputs = order.map((i) => data.inputs[i]!),
      labels = order.map((i) => data.labels[i]!);
    let statDiff = 0;
    for (let s = 0; s < 12; s++) {
      const xs = inputs.slice(s * batch, (s + 1) * batch),
        ys = labels.slice(s * batch, (s + 1) * batch);
      const flat = new Float32Array(batch * config.inputSize);
      xs.forEach((x, b) => flat.set(x, b * config.inputSize));
      const stats = learner.train(flat, ys);
      reference.train(xs, ys);
      stats.layers.forEach((l, i) => {
        const r = reference.lastStats[i];
        statDiff = Math.max(
          statDiff,
          Math.abs(l.goodnessPositive - r.goodnessPositive),
          Math.abs(l.goodnessNegative - r.goodnessNegative),
          Math.abs(l.loss - r.loss),
          Math.abs(l.active - r.active),
          Math.abs(l.hoyer - r.hoyer),
          Math.abs(l.peerPenalty - r.peerPenalty),
        );
      });
      statDiff = Math.max(statDiff, Math.abs(stats.headLoss - reference.lastHeadLoss));
      if (config.seenLabelsOnly && s === 3) {
        // Mid-stream some labels are unseen: every goodness prediction is a seen label, the reference's.
        assert.ok(reference.seen.size > 0 && reference.seen.size < config.classes, `seen ${[...reference.seen]}`);
        for (const x of inputs) {
          const got = learner.predict(x, 'goodness').label;
          assert.equal(got, reference.predict(x, 'goodness').label);
          assert.ok(reference.seen.has(got), `predicted unseen label ${got}`);
        }
      }
    }
    const weightDiff = maxDiff(learner.weights(), reference.parameters());
    const probe = inputs[0];
    const mode = config.negatives === 'hybrid' ? 'head' : 'goodness';
    const scoreDiff = maxDiff(learner.predict(probe, mode).scores, reference.predict(probe, mode).scores);

    console.log(`# ${name}: max |dW| ${weightDiff.toExponential(2)}, max |d stats| ${statDiff.toExponential(2)}, max |d scores| ${scoreDiff.toExponential(2)}`);
    assert.ok(weightDiff < 2e-4, `weights differ by ${weightDiff}`);
    assert.ok(statDiff < 2e-3, `stats differ by ${statDiff}`);
    assert.ok(scoreDiff < 2e-3, `scores differ by ${scoreDiff}`);
  });
}
