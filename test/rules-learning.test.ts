// Each learning rule learns a small synthetic task well above chance, with
// its own prediction; configs a rule cannot run are refused naming the slot;
// represent() shows per-layer activity; nothing allocates in a step; and
// predicting with a stochastic rule leaves training's random stream alone.

import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from '../host/learner/learner.js';
import { ALGORITHMS, OUTPUT_LAYER_ALGORITHMS, type Algorithm, type LearnerConfig } from '../host/learner/config.js';
import { ConfigError } from '../host/learner/errors.js';

const C = 4,
  D = 24;

/** Four noisy prototypes: easy for every rule, chance = 25%. */
function dataset(n: number, seed: number) {
  let s = 5; // prototypes are fixed; the noise depends on the seed
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const protos = Array.from({ length: C }, () => Float32Array.from({ length: D }, () => rnd()));
  s = seed;
  const x = new Float32Array(n * D),
    y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    for (let d = 0; d < D; d++) x[i * D + d] = protos[y[i]][d] + 0.6 * (rnd() - 0.5);
  }
  return { x, y };
}

/** A config that runs `algorithm` on the task; the spiking rule's goodness is of rates in [0, 1]. */
export function taskConfig(algorithm: Algorithm): LearnerConfig {
  const output = OUTPUT_LAYER_ALGORITHMS.includes(algorithm);
  return {
    inputSize: D,
    classes: C,
    layers: output ? [32, 32, C] : [32, 32],
    batch: 8,
    algorithm,
    overlay: 'prepend',
    learningRate: 0.01,
    headLearningRate: 0.01,
    seed: 3,
    ...(algorithm === 'spiking-ff' ? { threshold: 0.1, temperature: 0.1, learningRate: 0.003, rule: [16, 0.8, 1, 0] as [number, number, number, number] } : {}),
  };
}

const train = dataset(480, 11),
  testSet = dataset(200, 12);

for (const algorithm of ALGORITHMS) {
  test(`${algorithm} learns the prototype task well above chance`, async () => {
    const learner = await Learner.load();
    learner.configure(taskConfig(algorithm));
    for (let epoch = 0; epoch < 4; epoch++) {
      for (let i = 0; i < 480; i += 8) learner.trainFast(train.x.subarray(i * D, (i + 8) * D), train.y.subarray(i, i + 8));
    }
    const predicted = learner.predictMany(testSet.x, 'goodness');
    const accuracy = predicted.reduce((a, p, i) => a + (p === testSet.y[i] ? 1 : 0), 0) / 200;
    const stats = learner.stats();
    console.log(`# ${algorithm}: test accuracy ${(100 * accuracy).toFixed(1)}% (chance 25%), active ${stats.layers.map((l) => l.active.toFixed(2)).join('/')}`);
    assert.ok(accuracy >= 0.7, `${algorithm}: accuracy ${accuracy}`);
    for (const layer of stats.layers) {
      assert.ok(Number.isFinite(layer.loss) && layer.active >= 0 && layer.active <= 1 && layer.hoyer >= 0 && layer.hoyer <= 1.0001, JSON.stringify(layer));
    }
  });
}

test("represent() returns each layer's activity; the neutral and a real label differ where the rule reads labels", async () => {
  for (const algorithm of ALGORITHMS) {
    const learner = await Learner.load();
    const config = taskConfig(algorithm);
    learner.configure(config);
    const x = testSet.x.subarray(0, D);
    const neutral = learner.represent(x);
    assert.deepEqual(
      neutral.map((a) => a.length),
      config.layers,
      algorithm,
    );
    assert.ok(
      neutral.every((a) => a.every(Number.isFinite)),
      algorithm,
    );
    const labelled = learner.represent(x, 2);
    const readsLabels = ['ff', 'hebbian-ff', 'spiking-ff', 'backprop-ff'].includes(algorithm);
    const same = neutral.every((a, l) => a.every((v, j) => v === labelled[l][j]));
    assert.equal(same, !readsLabels, `${algorithm}: label ${readsLabels ? 'ignored' : 'used'}`);
    assert.throws(() => learner.represent(x, C), TypeError);
  }
});

test('configs a rule cannot run are refused, naming the slot', async () => {
  const learner = await Learner.load();
  const refuse = (config: LearnerConfig, pattern: RegExp) =>
    assert.throws(
      () => learner.configure(config),
      (e: unknown) => e instanceof ConfigError && pattern.test((e as Error).message),
      JSON.stringify(config),
    );
  const base = { inputSize: D, classes: C, layers: [16, C] };
  refuse({ ...base, algorithm: 'backprop', layers: [16, 8] }, /layers\[1\]/); // output layer must have C units
  refuse({ ...base, algorithm: 'pepita', softmaxHead: true }, /softmaxHead/);
  refuse({ ...base, algorithm: 'pepita', rule: [0, 0, 0, 0] }, /rule\[0\]/);
  refuse({ ...base, algorithm: 'pepita-mirror', rule: [0.05, 0.01, 0, 0] }, /rule\[2\]/);
  refuse({ ...base, algorithm: 'backprop', negatives: 'hard' }, /negatives/);
  refuse({ ...base, algorithm: 'spiking-ff', rule: [2.5, 0.8, 1, 0] }, /rule\[0\]/);
  refuse({ ...base, algorithm: 'spiking-ff', rule: [8, 1, 1, 0] }, /rule\[1\]/);
  refuse({ ...base, algorithm: 'spiking-ff', softmaxHead: true }, /softmaxHead/);
  refuse({ ...base, algorithm: 'ed', softmaxHead: false }, /softmaxHead/);
  refuse({ ...base, algorithm: 'ed', rule: [1, 0.2, 1, 0] }, /rule\[0\]/);
  refuse({ ...base, algorithm: 'ed', rule: [4, 0.2, -1, 0] }, /rule\[2\]/);
  refuse({ ...base, algorithm: 'hebbian-ff', rule: [1, 0, 0, 0] }, /rule\[0\]/);
  refuse({ ...base, algorithm: 'hebbian-ff', peerWeight: 0.1 }, /peerWeight/);
  refuse({ ...base, algorithm: 'backprop-ff', loss: 'symba' }, /loss/);
  for (const algorithm of ALGORITHMS) learner.configure({ ...base, layers: OUTPUT_LAYER_ALGORITHMS.includes(algorithm) ? [16, C] : [16, 8], algorithm });
});

test('no allocation in a step: memory does not grow while any rule trains or predicts', async () => {
  for (const algorithm of ALGORITHMS) {
    const learner = await Learner.load();
    learner.configure(taskConfig(algorithm));
    learner.trainFast(train.x.subarray(0, 8 * D), train.y.subarray(0, 8));
    const pages = learner.exports.memory.buffer.byteLength;
    for (let i = 8; i < 80; i += 8) learner.trainFast(train.x.subarray(i * D, (i + 8) * D), train.y.subarray(i, i + 8));
    learner.predictMany(testSet.x.subarray(0, 10 * D));
    learner.represent(testSet.x.subarray(0, D));
    assert.equal(learner.exports.memory.buffer.byteLength, pages, algorithm);
  }
});

test('predicting with a stochastic rule does not change what training draws next', async () => {
  for (const algorithm of ['spiking-ff', 'ed', 'pepita-mirror'] as const) {
    const a = await Learner.load(),
      b = await Learner.load();
    a.configure(taskConfig(algorithm));
    b.configure(taskConfig(algorithm));
    for (let i = 0; i < 64; i += 8) {
      const x = train.x.subarray(i * D, (i + 8) * D),
        y = train.y.subarray(i, i + 8);
      a.trainFast(x, y);
      b.trainFast(x, y);
      b.predict(testSet.x.subarray(0, D)); // a never predicts
      b.represent(testSet.x.subarray(0, D));
    }
    assert.deepEqual(a.weights(), b.weights(), algorithm);
  }
});

test('loading weights restarts the eligibility trace with the optimizer', async () => {
  const config = (decay: number): LearnerConfig => ({ ...taskConfig('hebbian-ff'), optimizer: 'sgd', beta1: 0, rule: [decay, 0, 0, 0] });
  const traced = await Learner.load(),
    plain = await Learner.load();
  traced.configure(config(0.8));
  plain.configure(config(0));
  const step = (i: number) => [train.x.subarray(i * D, (i + 8) * D), train.y.subarray(i, i + 8)] as const;
  traced.trainFast(...step(0));
  plain.trainFast(...step(0));
  assert.deepEqual(traced.weights(), plain.weights(), 'a first step from an empty trace is the plain step');
  traced.importWeights(traced.exportWeights());
  plain.importWeights(plain.exportWeights());
  traced.trainFast(...step(8));
  plain.trainFast(...step(8));
  assert.deepEqual(traced.weights(), plain.weights(), 'after loading weights the trace starts empty again');
  traced.trainFast(...step(16));
  plain.trainFast(...step(16));
  assert.notDeepEqual(traced.weights(), plain.weights(), 'then the trace carries over between steps');
});

test("pepita-mirror's learned feedback F travels in a checkpoint; fixed PEPITA's does not need to", async () => {
  const a = await Learner.load(),
    b = await Learner.load(),
    fixed = await Learner.load();
  const { paramsBytes } = a.configure(taskConfig('pepita-mirror'));
  const fBytes = C * D * 4; // F: classes x first-layer inputs (output rules take the raw input, no overlay)
  assert.equal(paramsBytes, fixed.configure(taskConfig('pepita')).paramsBytes + fBytes, 'F sits after the parameters');
  const initialF = a.exportWeights().slice(paramsBytes - fBytes);
  for (let i = 0; i < 64; i += 8) a.trainFast(train.x.subarray(i * D, (i + 8) * D), train.y.subarray(i, i + 8));
  const blob = a.exportWeights();
  const learnedF = blob.slice(paramsBytes - fBytes);
  assert.notDeepEqual(learnedF, initialF, 'mirroring changed F');
  b.configure(taskConfig('pepita-mirror'));
  assert.deepEqual(b.exportWeights().slice(paramsBytes - fBytes), initialF, 'a fresh configure draws the initial F');
  b.importWeights(blob);
  assert.deepEqual(b.exportWeights(), blob, 'the restore brings back every layer and the learned F');
  // Training reads F from there: from the same fresh state (same draws), the restored
  // F and the initial F move the layers differently; the same blob twice, identically.
  const withInitialF = Uint8Array.from(blob);
  withInitialF.set(initialF, paramsBytes - fBytes);
  const layersAfterStep = async (weights: Uint8Array): Promise<Uint8Array> => {
    const l = await Learner.load();
    l.configure(taskConfig('pepita-mirror'));
    l.importWeights(weights);
    l.trainFast(train.x.subarray(64 * D, 72 * D), train.y.subarray(64, 72));
    return l.exportWeights().slice(0, paramsBytes - fBytes);
  };
  const restored = await layersAfterStep(blob);
  assert.deepEqual(await layersAfterStep(blob), restored, 'deterministic');
  assert.notDeepEqual(await layersAfterStep(withInitialF), restored, 'the step used the restored F');
});
