// The host's lower bound must never exceed what the learner really needs, or
// the session would refuse models that fit. Held against ff-core.wasm's own
// layout (Learner.configure reports the arena bytes) over a spread of shapes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Learner } from '../learner/learner.js';
import { ALGORITHMS, type LearnerConfig } from '../learner/config.js';
import { ConfigError } from '../learner/errors.js';
import { wasmPath } from '../paths.js';
import { arenaLowerBound } from './arena.js';

test(
  "arenaLowerBound <= the learner's arena, and within 2x of it for plain models",
  { skip: existsSync(wasmPath('ff-core')) ? false : 'ff-core.wasm not built' },
  async () => {
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
  },
);

test(
  'arenaLowerBound holds for every learning rule the device accepts',
  { skip: existsSync(wasmPath('ff-core')) ? false : 'ff-core.wasm not built' },
  async () => {
    let checked = 0;
    for (const algorithm of ALGORITHMS) {
      for (const softmaxHead of [true, false]) {
        for (const optimizer of ['adam', 'sgd'] as const) {
          const config: LearnerConfig = { inputSize: 64, layers: [32, 5], classes: 5, algorithm, softmaxHead, optimizer };
          const learner = await Learner.load();
          let arenaBytes: number;
          try {
            ({ arenaBytes } = learner.configure(config));
          } catch (err) {
            if (err instanceof ConfigError) continue; // a combination this rule does not take
            throw err;
          }
          const bound = arenaLowerBound(config);
          assert.ok(bound.bytes <= arenaBytes, `${JSON.stringify(config)}: bound ${bound.bytes} > arena ${arenaBytes}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= ALGORITHMS.length, `only ${checked} configs accepted`);
  },
);
