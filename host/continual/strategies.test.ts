import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConfig, type LearnerConfig } from '../learner/config.js';
import { runConfig, STRATEGIES, strategyFragment, withRule } from './strategies.js';

const model: LearnerConfig = { inputSize: 96, layers: [32, 16], classes: 5 };

test('rules: output-layer rules end in a layer of `classes` units, FF rules keep the hidden layers', () => {
  assert.deepEqual(withRule(model, 'pepita').layers, [32, 16, 5]);
  assert.deepEqual(withRule(model, 'backprop').layers, [32, 16, 5]);
  assert.deepEqual(withRule(withRule(model, 'backprop'), 'hebbian-ff').layers, [32, 16]);
  assert.equal(withRule(model, 'hebbian-ff').algorithm, 'hebbian-ff');
  assert.throws(() => withRule(model, 'sgd'), /use one of ff, hebbian-ff, pepita, backprop/);
  assert.throws(() => strategyFragment('ewc'), /use one of fine-tune, replay, replay\+detection/);
});

test('strategies are config fragments; replay and detection carry the agreed fields', () => {
  assert.deepEqual(Object.keys(strategyFragment('fine-tune')), ['prequential']);
  assert.deepEqual(Object.keys(strategyFragment('replay')).sort(), ['prequential', 'replay']);
  const d = strategyFragment('replay+detection');
  assert.equal(d.drift?.detector, 'page-hinkley');
  assert.equal(d.replay?.mode, 'reservoir');
  assert.equal(STRATEGIES.length, 3);
});

test('every strategy reaches the device: its fields change the CONFIGURE blob, and in the way asked', () => {
  const plain = encodeConfig(withRule(model, 'ff'));
  for (const name of STRATEGIES) {
    const config = runConfig(model, name, 'ff');
    assert.notDeepEqual(encodeConfig(config), plain, `${name} sends something the plain model does not`);
    assert.equal(config.prequential, 'goodness');
  }
  assert.equal(runConfig(model, 'fine-tune', 'ff').replay, undefined);
  assert.equal(runConfig(model, 'replay', 'ff').replay?.mode, 'reservoir');
  assert.equal(runConfig(model, 'replay+detection', 'ff').drift?.detector, 'page-hinkley');
  assert.equal(runConfig(model, 'fine-tune', 'pepita').algorithm, 'pepita');
});
