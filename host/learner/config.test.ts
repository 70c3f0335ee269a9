import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigKeys, closestConfigKey, CONFIG_KEYS, DEFAULTS } from './config.js';

test('every default and the shape fields are config keys', () => {
  for (const key of ['inputSize', 'layers', 'classes', ...Object.keys(DEFAULTS)]) assert.ok(CONFIG_KEYS.includes(key), key);
});

test('unknown config keys are refused with the closest valid name', () => {
  assert.equal(closestConfigKey('layerz'), 'layers');
  assert.equal(closestConfigKey('lr'), 'learningRate');
  assert.equal(closestConfigKey('learning_rate'), 'learningRate');
  assert.equal(closestConfigKey('hlr'), 'headLearningRate');
  assert.equal(closestConfigKey('treshold'), 'threshold');
  assert.equal(closestConfigKey('zzzzzzzz'), undefined);
  assert.throws(() => checkConfigKeys({ layers: [4], layerz: [4] }), { name: 'TypeError', message: /unknown config key "layerz": did you mean "layers"\?/ });
  assert.throws(() => checkConfigKeys({ lr: 0.1 }), /did you mean "learningRate"\?/);
  assert.throws(
    () => checkConfigKeys({ zzzzzzzz: 1 }),
    (err: Error) => !/did you mean/.test(err.message) && /valid keys: inputSize, layers/.test(err.message),
  );
  checkConfigKeys({ inputSize: 4, layers: [4], classes: 2, ...DEFAULTS });
});
