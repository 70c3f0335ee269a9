// The host's lower bound must never exceed what the learner really needs, or
// the session would refuse models that fit. Held against ff-core.wasm's own
// layout (Learner.configure reports the arena bytes) over a spread of shapes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Learner } from '../learner/learner.js';
import type { LearnerConfig } from '../learner/config.js';
import { wasmPath } from '../paths.js';
import { arenaLowerBound } from './arena.js';

test('arenaLowerBound <= the learner\'s arena, and within 2x of it for plain models', { skip: existsSync(wasmPath('ff-core')) ? false : 'ff-core.wasm not built' }, async () => {
  const configs: LearnerConfig[] = [
    { inputSize: 192, layers: [64, 32], classes: 5 },
    { inputSize: 784, layers: [500, 500], classes: 10 },
    { inputSize: 24, layers: [16, 8], classes: 5, optimizer: 'sgd' },
    { inputSize: 64, layers: [32, 32], classes: 5, overlay: 'prepend', softmaxHead: false },
    { inputSize: 96, layers: [40, 40, 40], classes: 5, skipFirstLayer: true },
    { inputSize: 16, layers: [16], classes: 4, optimizer: 'sgd', batch: 8 },
  ];
  for (const config of configs) {
    const learner = await Learner.load();
    const { arenaBytes } = learner.configure(config);
    const bound = arenaLowerBound(config);
    assert.ok(bound.bytes <= arenaBytes, `${JSON.stringify(config)}: bound ${bound.bytes} > arena ${arenaBytes}`);
    assert.equal(bound.params * 4, learner.exportWeights().length, `${JSON.stringify(config)}: parameter count`);
    if ((config.batch ?? 1) === 1) assert.ok(bound.bytes * 2 >= arenaBytes, `${JSON.stringify(config)}: bound ${bound.bytes} is far below ${arenaBytes}`);
  }
});
