// The rules that have a gradient, checked by finite differences; the
// Hebbian rule checked against FF. With plain SGD (no momentum, no decay) a
// step moves W by -eta * g, so the wasm's g is (W_before - W_after) / eta
// (as in test/learner-gradients.test.ts). Each g must equal the central
// difference of the loss the rule claims to descend:
//  * backprop: the batch's mean softmax cross-entropy, every layer;
//  * backprop-ff: the sum over layers of FF's loss through the whole stack,
//    length normalisation included, every layer;
//  * feedback-alignment: cross-entropy for the output layer only (its hidden
//    layers follow B, not W^T, and must NOT match backprop's);
//  * ed: each layer's own loss, mean_b log ED(within) - lambda log ED(across),
//    with ED from the O x O covariance (not the Gram identity the wasm uses)
//    and the layer's input rows held fixed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from '../host/learner/learner.js';
import { ReferenceRules, softmax, effectiveDimensionality } from '../host/learner/reference/rules-reference.js';
import { reluForward, goodness, ffLoss, type Vector } from '../host/learner/reference/ff-reference.js';
import type { LearnerConfig } from '../host/learner/config.js';
import { classBlobs } from './learner-data.js';

const eta = 0.01;
const h = 1e-4;

const samples = (n: number, size: number, classes: number) => classBlobs(n, size, classes, 99, 1, 0.5);

function flatten(inputs: Float32Array[], size: number): Float32Array {
  const flat = new Float32Array(inputs.length * size);
  inputs.forEach((x, b) => flat.set(x, b * size));
  return flat;
}

/** Trains one SGD step in the wasm; returns its gradient per parameter and a fresh reference at the initial weights. */
async function oneStep(config: LearnerConfig) {
  const learner = await Learner.load();
  learner.configure(config);
  const before = learner.weights();
  const { inputs, labels } = samples(config.batch!, config.inputSize, config.classes);
  learner.train(flatten(inputs, config.inputSize), labels);
  const after = learner.weights();
  return { gradient: (i: number) => (before[i] - after[i]) / eta, reference: new ReferenceRules(config), inputs, labels };
}

function check(name: string, analytic: number, numeric: number, worst: { diff: number }): void {
  const diff = Math.abs(analytic - numeric);
  worst.diff = Math.max(worst.diff, diff);
  assert.ok(diff <= 1e-4 + 2e-3 * Math.abs(numeric), `${name}: wasm ${analytic} vs finite difference ${numeric}`);
}

/** Compares the wasm gradient of layer l's W (every `stride`-th entry) and b with the central difference of loss(). */
function checkLayer(
  reference: ReferenceRules,
  l: number,
  offset: number,
  gradient: (i: number) => number,
  loss: () => number,
  worst: { diff: number },
  stride = 5,
): void {
  const layer = reference.layers[l];
  const numeric = (p: Float64Array, i: number) => {
    const keep = p[i];
    p[i] = keep + h;
    const up = loss();
    p[i] = keep - h;
    const down = loss();
    p[i] = keep;
    return (up - down) / (2 * h);
  };
  for (let i = 0; i < layer.W.length; i += stride) check(`layer ${l} W[${i}]`, gradient(offset + i), numeric(layer.W, i), worst);
  for (let j = 0; j < layer.nOut; j++) check(`layer ${l} b[${j}]`, gradient(offset + layer.W.length + j), numeric(layer.b, j), worst);
}

function offsets(reference: ReferenceRules): number[] {
  let at = 0;
  return reference.layers.map((layer) => {
    const o = at;
    at += layer.W.length + layer.nOut;
    return o;
  });
}

const sgd = { optimizer: 'sgd', beta1: 0, weightDecay: 0, learningRate: eta, headLearningRate: eta, seed: 3 } as const;

test("backprop: every layer's step is the cross-entropy gradient", async () => {
  const config: LearnerConfig = { ...sgd, inputSize: 16, layers: [12, 10, 4], classes: 4, batch: 3, algorithm: 'backprop' };
  const { gradient, reference, inputs, labels } = await oneStep(config);
  const ce = () => inputs.reduce((a, x, b) => a - Math.log(softmax(reference.mlp(x).at(-1)!)[labels[b]]), 0) / inputs.length;
  const worst = { diff: 0 };
  offsets(reference).forEach((offset, l) => checkLayer(reference, l, offset, gradient, ce, worst));
  console.log(`# backprop: max |wasm gradient - finite difference| = ${worst.diff.toExponential(2)}`);
});

test('feedback alignment: the output layer follows the gradient, the hidden layers follow B instead', async () => {
  const config: LearnerConfig = { ...sgd, inputSize: 16, layers: [12, 10, 4], classes: 4, batch: 3, algorithm: 'feedback-alignment' };
  const { gradient, reference, inputs, labels } = await oneStep(config);
  const ce = () => inputs.reduce((a, x, b) => a - Math.log(softmax(reference.mlp(x).at(-1)!)[labels[b]]), 0) / inputs.length;
  const worst = { diff: 0 };
  const at = offsets(reference);
  checkLayer(reference, 2, at[2], gradient, ce, worst);
  let far = 0; // a hidden layer: FA's step is not backprop's
  const W = reference.layers[1].W;
  for (let i = 0; i < W.length; i += 3) {
    const keep = W[i];
    W[i] = keep + h;
    const up = ce();
    W[i] = keep - h;
    const down = ce();
    W[i] = keep;
    far = Math.max(far, Math.abs(gradient(at[1] + i) - (up - down) / (2 * h)));
  }
  assert.ok(far > 1e-3, `hidden-layer steps equal backprop's (max diff ${far}): B is not in use`);
  console.log(
    `# feedback alignment: output layer max diff ${worst.diff.toExponential(2)}; hidden layer differs from backprop by up to ${far.toExponential(2)}`,
  );
});

test("backprop on the FF objective: every layer's step is the gradient of the summed FF losses through the stack", async () => {
  const config: LearnerConfig = {
    ...sgd,
    inputSize: 16,
    layers: [12, 10, 8],
    classes: 4,
    batch: 2,
    algorithm: 'backprop-ff',
    goodness: 'sum-squares',
    threshold: 6,
    temperature: 2,
  };
  const { gradient, reference, inputs, labels } = await oneStep(config);
  const rows = reference.stepRows(inputs, labels); // same negatives as the wasm drew
  const n = inputs.length;
  const c = reference.config;
  const loss = () =>
    rows.reduce((a, row, r) => {
      const { ys } = reference.forward(row);
      return a + ys.reduce((s, y) => s + ffLoss(goodness(y, c.goodness), r < n, c.threshold, c.temperature), 0) / n;
    }, 0);
  const worst = { diff: 0 };
  offsets(reference).forEach((offset, l) => checkLayer(reference, l, offset, gradient, loss, worst));
  console.log(`# backprop-ff: max |wasm gradient - finite difference| = ${worst.diff.toExponential(2)}`);
});

test("ED goodness: each layer's step is the gradient of its own dimensionality loss", async () => {
  const K = 4,
    lambda = 0.5;
  const config: LearnerConfig = { ...sgd, inputSize: 16, layers: [12, 10], classes: 4, batch: 3, algorithm: 'ed', rule: [K, 0.3, lambda, 0] };
  const { gradient, reference, inputs } = await oneStep(config);
  const passes = reference.dimensionRows(inputs).map((row) => reference.forward(row));
  const n = inputs.length;
  const worst = { diff: 0 };
  offsets(reference).forEach((offset, l) => {
    const xs = passes.map((p) => p.xs[l]);
    const layerLoss = () => {
      const ys = xs.map((x) => reluForward(reference.layers[l], x));
      const means: Vector[] = [];
      let within = 0;
      for (let b = 0; b < n; b++) {
        const block = ys.slice(b * K, (b + 1) * K);
        within += Math.log(effectiveDimensionality(block)) / n;
        means.push(block[0].map((_, j) => block.reduce((s, y) => s + y[j], 0) / K));
      }
      return within - lambda * Math.log(effectiveDimensionality(means));
    };
    checkLayer(reference, l, offset, gradient, layerLoss, worst, 3);
  });
  console.log(`# ed: max |wasm gradient - finite difference| = ${worst.diff.toExponential(2)}`);
});

test('neo-Hebbian FF is FF: with |y|^2 goodness, k = 1/T and eta = 2 eta_FF / T the weights after each step are the same', async () => {
  const T = 2.5;
  const common: LearnerConfig = {
    ...sgd,
    inputSize: 20,
    layers: [16, 12],
    classes: 4,
    batch: 3,
    goodness: 'sum-squares',
    threshold: 5,
    temperature: T,
    softmaxHead: true,
    skipFirstLayer: true,
  };
  const ff = await Learner.load(),
    hebbian = await Learner.load();
  ff.configure({ ...common, algorithm: 'ff', learningRate: (eta * T) / 2 });
  hebbian.configure({ ...common, algorithm: 'hebbian-ff', learningRate: eta });
  const { inputs, labels } = samples(30, 20, 4);
  let worst = 0,
    moved = 0;
  const start = ff.weights();
  for (let s = 0; s < 10; s++) {
    const flat = flatten(inputs.slice(3 * s, 3 * s + 3), 20),
      ys = labels.slice(3 * s, 3 * s + 3);
    ff.train(flat, ys);
    hebbian.train(flat, ys);
    const a = ff.weights(),
      b = hebbian.weights();
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      moved = Math.max(moved, Math.abs(a[i] - start[i]));
    }
  }
  console.log(`# hebbian vs ff over 10 steps: max |W_ff - W_hebbian| = ${worst.toExponential(2)} (weights moved up to ${moved.toExponential(2)})`);
  assert.ok(moved > 1e-3, 'the weights did move');
  assert.ok(worst < 1e-6, `weights differ by ${worst}`);
});
