import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeConfig, type LearnerConfig } from '../learner/config.js';
import { runConfig, STRATEGIES, strategyFragment, unsupportedFields, withRule } from './strategies.js';

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

test('a strategy whose fields the config encoder does not carry is refused by name, never run as fine-tune', () => {
  // Whatever this build encodes, runConfig either passes every field to the device or refuses.
  for (const name of STRATEGIES) {
    const missing = unsupportedFields(model, strategyFragment(name)).filter((f) => f !== 'prequential');
    if (missing.length === 0) {
      const config = runConfig(model, name, 'ff');
      assert.notDeepEqual(encodeConfig(config), name === 'fine-tune' ? undefined : encodeConfig(model));
    } else {
      assert.throws(() => runConfig(model, name, 'ff'), new RegExp(`strategy ${name.replace('+', '\\+')} needs LearnerConfig\\.${missing[0]}`));
    }
  }
  // fine-tune always runs (prequential predictions are reported n/a when the device sends none).
  assert.equal(runConfig(model, 'fine-tune', 'pepita').algorithm, 'pepita');
});
