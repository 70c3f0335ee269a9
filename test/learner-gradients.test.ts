// Finite-difference checks of each local gradient the wasm learner uses.
// With plain SGD (no momentum, no decay) one step moves W by -eta * dL/dW,
// so the wasm's gradient is (W_before - W_after) / eta. It must equal the
// central difference of that layer's own loss -- FF loss plus peer penalty,
// with the layer's input held fixed (no gradient crosses a layer) -- and of
// the softmax head's cross-entropy.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from '../host/learner/learner.js';
import { ReferenceFF, reluForward, goodness, ffLoss, type DenseLayer, type Vector } from '../host/learner/reference/ff-reference.js';
import type { LearnerConfig } from '../host/learner/config.js';
import { classBlobs } from './learner-data.js';

const eta = 0.01;

const samples = (n: number, size: number, classes: number) => classBlobs(n, size, classes, 99, 1, 0.5);

/** The layer's own loss as the learner defines it, for W, b perturbed. */
function layerLoss(config: LearnerConfig, layer: DenseLayer, xs: Vector[], n: number): number {
  const c = { threshold: 2, temperature: 1, goodness: 'mean-squares', peerWeight: 0, peerMomentum: 0.9, ...config };
  let loss = 0;
  const ys = xs.map((x) => reluForward(layer, x));
  const gs = ys.map((y) => goodness(y, c.goodness as 'mean-squares'));
  if (config.loss === 'symba') {
    // per pair: softplus(-(G_pos - G_neg)/T)
    for (let b = 0; b < n; b++) {
      const d = -(gs[b] - gs[n + b]) / c.temperature;
      loss += (Math.max(d, 0) + Math.log1p(Math.exp(-Math.abs(d)))) / n;
    }
  } else {
    gs.forEach((g, r) => {
      loss += ffLoss(g, r < n, c.threshold, c.temperature) / n;
    });
  }
  if (c.peerWeight > 0) {
    // running means start at 0: m = (1 - rho) * batch mean
    const m = new Float64Array(layer.nOut);
    for (let j = 0; j < layer.nOut; j++) for (let r = 0; r < n; r++) m[j] += ((1 - c.peerMomentum) * ys[r][j]) / n;
    const mean = m.reduce((a, b) => a + b, 0) / m.length;
    loss += c.peerWeight * m.reduce((a, v) => a + (v - mean) ** 2, 0);
  }
  return loss;
}

function check(name: string, analytic: number, numeric: number, worst: { diff: number }) {
  const diff = Math.abs(analytic - numeric);
  worst.diff = Math.max(worst.diff, diff);
  assert.ok(diff <= 1e-4 + 1e-3 * Math.abs(numeric), `${name}: wasm ${analytic} vs finite difference ${numeric}`);
}

const cases: Array<[string, LearnerConfig]> = [
  ['mean-squares goodness', { inputSize: 16, layers: [12, 10], classes: 4, batch: 2 }],
  ['SymBa pair loss', { inputSize: 16, layers: [12, 10], classes: 4, batch: 3, loss: 'symba', temperature: 0.5 }],
  [
    'sum-squares goodness with peer normalisation',
    { inputSize: 16, layers: [12, 10], classes: 4, batch: 3, goodness: 'sum-squares', threshold: 8, temperature: 4, peerWeight: 0.5 },
  ],
];

for (const [name, partial] of cases) {
  test(`local gradients match finite differences: ${name}`, async () => {
    const config: LearnerConfig = { ...partial, optimizer: 'sgd', beta1: 0, weightDecay: 0, learningRate: eta, headLearningRate: eta, seed: 3 };
    const learner = await Learner.load();
    learner.configure(config);
    const before = learner.weights();
    const n = config.batch!;
    const { inputs, labels } = samples(n, config.inputSize, config.classes);
    const flat = new Float32Array(n * config.inputSize);
    inputs.forEach((x, b) => flat.set(x, b * config.inputSize));
    learner.train(flat, labels);
    const after = learner.weights();
    const wasmGradient = (i: number) => (before[i] - after[i]) / eta;

    // The same rows, from a reference learner at the same initial weights.
    const reference = new ReferenceFF(config);
    const passes = reference.stepRows(inputs, labels).map((r) => reference.forward(r));
    const h = 1e-4;
    const worst = { diff: 0 };
    let offset = 0;
    reference.layers.forEach((layer, l) => {
      const xs = passes.map((p) => p.xs[l]);
      const numeric = (p: Float64Array, i: number) => {
        const keep = p[i];
        p[i] = keep + h;
        const up = layerLoss(config, layer, xs, n);
        p[i] = keep - h;
        const down = layerLoss(config, layer, xs, n);
        p[i] = keep;
        return (up - down) / (2 * h);
      };
      for (let i = 0; i < layer.W.length; i += 7) check(`layer ${l} W[${i}]`, wasmGradient(offset + i), numeric(layer.W, i), worst);
      for (let j = 0; j < layer.nOut; j++) check(`layer ${l} b[${j}]`, wasmGradient(offset + layer.W.length + j), numeric(layer.b, j), worst);
      offset += layer.W.length + layer.nOut;
    });

    // Head: cross-entropy on the neutral pass after the layers' update, from
    // a fresh reference (the first one's PRNG has moved on).
    const stepped = new ReferenceFF(config);
    stepped.train(inputs, labels);
    const head = stepped.head!;
    // undo the reference head's own step: gradients are taken at the initial head
    const headBefore = before.subarray(offset);
    head.W.set(headBefore.subarray(0, head.W.length));
    head.b.set(headBefore.subarray(head.W.length));
    const hs = inputs.map((x) => stepped.headInput(stepped.forward(stepped.labelledInput(x, -1)).ys));
    const ce = () => hs.reduce((a, hv, r) => a - Math.log(stepped.headProbabilities(hv)[labels[r]]), 0) / n;
    const numericHead = (p: Float64Array, i: number) => {
      const keep = p[i];
      p[i] = keep + h;
      const up = ce();
      p[i] = keep - h;
      const down = ce();
      p[i] = keep;
      return (up - down) / (2 * h);
    };
    for (let i = 0; i < head.W.length; i += 5) check(`head W[${i}]`, wasmGradient(offset + i), numericHead(head.W, i), worst);
    for (let c = 0; c < head.nOut; c++) check(`head b[${c}]`, wasmGradient(offset + head.W.length + c), numericHead(head.b, c), worst);
    console.log(`# ${name}: max |wasm gradient - finite difference| = ${worst.diff.toExponential(2)}`);
  });
}
