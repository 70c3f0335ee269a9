import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleOptions, layersForRule, overlayFor, tunedDefaults } from './defaults.js';

test('the overlay follows the data: replace on images and windows, prepend on rows', () => {
  assert.equal(overlayFor('image').overlay, 'replace');
  assert.equal(overlayFor('window').overlay, 'replace');
  assert.equal(overlayFor('row').overlay, 'prepend');
});

test('tuned defaults give each rule only what it accepts', () => {
  assert.deepEqual(tunedDefaults('ff', 6000), { layers: [64, 32], learningRate: 0.003, negatives: 'hard', peerWeight: 0.03, decaySteps: 6000, finalRate: 0.1 });
  const pepita = tunedDefaults('pepita', 100);
  assert.equal(pepita.negatives, undefined);
  assert.equal(pepita.peerWeight, undefined);
  assert.equal(tunedDefaults('hebbian-ff', null).negatives, 'hard');
  assert.equal(tunedDefaults('ff', null).decaySteps, undefined, 'a live source has no planned length to decay over');
});

test('the output family gets its output layer, or one line naming the flag', () => {
  assert.deepEqual(layersForRule('backprop', [64, 32], 5, false).layers, [64, 32, 5]);
  assert.deepEqual(layersForRule('backprop', [64, 5], 5, true), { layers: [64, 5] });
  assert.deepEqual(layersForRule('ff', [64, 32], 5, false), { layers: [64, 32] });
  assert.throws(
    () => layersForRule('pepita', [64, 32], 5, true),
    (err: Error) => {
      assert.match(err.message, /--layers 64,32,5/);
      assert.ok(!err.message.includes('\n') && err.message.length < 160, err.message);
      return true;
    },
  );
});

test('options a rule does not take are refused in one line', () => {
  assert.throws(() => checkRuleOptions({ inputSize: 4, layers: [4], classes: 2, algorithm: 'pepita', negatives: 'hard' }), /--negatives hard is for ff/);
  assert.throws(() => checkRuleOptions({ inputSize: 4, layers: [4], classes: 2, algorithm: 'ed', peerWeight: 0.1 }), /--peer-weight is for ff only/);
  checkRuleOptions({ inputSize: 4, layers: [4], classes: 2, algorithm: 'ff', negatives: 'hard', peerWeight: 0.1 });
});
