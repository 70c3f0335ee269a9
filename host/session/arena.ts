// A lower bound on the device memory a config needs, so the host can refuse a
// model that clearly cannot fit before sending it (HELLO.arenaFree). The
// device's own check (assembly/learner/configure.ts) is exact and stays the
// authority; this counts only parameters and optimizer state, which the arena
// must hold whatever else it lays out (assembly/learner/arena.ts):
//
//   params P = sum_l (in_l + 1) * out_l  [+ (head + 1) * C for the softmax head]
//   bytes   >= P * (1 + state copies) * sizeof(f32),  copies = 2 (Adam) or 1 (SGD)

import { resolveConfig, type LearnerConfig } from '../learner/config.js';

const F32_BYTES = Float32Array.BYTES_PER_ELEMENT;

export interface ArenaLowerBound {
  /** Parameters (f32) of the model. */
  params: number;
  /** Bytes the arena needs at least: parameters and optimizer state. */
  bytes: number;
}

export function arenaLowerBound(config: LearnerConfig): ArenaLowerBound {
  const c = resolveConfig(config);
  const copies = c.optimizer === 'adam' ? 2 : 1;
  let inputs = c.overlay === 'prepend' && c.negatives !== 'hybrid' ? c.inputSize + c.classes : c.inputSize;
  let params = 0;
  for (const width of c.layers) {
    params += (inputs + 1) * width;
    inputs = width;
  }
  if (c.softmaxHead) {
    const skip = c.skipFirstLayer && c.layers.length > 1 ? 1 : 0;
    const head = c.layers.slice(skip).reduce((a, b) => a + b, 0);
    params += (head + 1) * c.classes;
  }
  return { params, bytes: params * (1 + copies) * F32_BYTES };
}
