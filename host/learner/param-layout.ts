// The arrays of a model's parameter blob (what a checkpoint holds), in blob
// order, as the learner lays them out (assembly/learner/arena.ts):
//   per layer l: W_l [out_l x in_l] row-major (row j = weights into unit j), b_l [out_l]
//   softmax head (when the model has one): W [classes x H], b [classes],
//     H = the widths of the layers it reads (all, or all but layer 1 with skipFirstLayer)
//   pepita-mirror only: the learned feedback F [classes x in_0]
// in_0 is inputSize, plus classes when the label one-hot is prepended by a rule
// that reads it (ff, hebbian-ff, spiking-ff, backprop-ff).
// Used by `ffedge export --c-header` and by the fleet's per-layer averaging.

import { resolveConfig, type LearnerConfig } from './config.js';

export interface ParamArray {
  name: string;
  rows: number;
  cols: number;
  comment: string;
}

const READS_OVERLAY = ['ff', 'hebbian-ff', 'spiking-ff', 'backprop-ff'];

/** The arrays of a model's parameter blob, in blob order. */
export function paramLayout(config: LearnerConfig): { firstInputs: number; arrays: ParamArray[] } {
  const c = resolveConfig(config);
  const prepend = READS_OVERLAY.includes(c.algorithm) && c.negatives !== 'hybrid' && c.overlay === 'prepend';
  const firstInputs = prepend ? c.inputSize + c.classes : c.inputSize;
  const arrays: ParamArray[] = [];
  c.layers.forEach((out, l) => {
    const inputs = l === 0 ? firstInputs : c.layers[l - 1];
    arrays.push({ name: `w${l}`, rows: out, cols: inputs, comment: `layer ${l}: weights [${out} x ${inputs}], row j = the weights into unit j` });
    arrays.push({ name: `b${l}`, rows: 1, cols: out, comment: `layer ${l}: biases [${out}]` });
  });
  if (c.softmaxHead) {
    const first = c.skipFirstLayer && c.layers.length > 1 ? 1 : 0;
    const head = c.layers.slice(first).reduce((a, b) => a + b, 0);
    if (head > 0) {
      arrays.push({
        name: 'head_w',
        rows: c.classes,
        cols: head,
        comment: `softmax head: weights [${c.classes} x ${head}] on the activities of layers ${first}..${c.layers.length - 1}`,
      });
      arrays.push({ name: 'head_b', rows: 1, cols: c.classes, comment: `softmax head: biases [${c.classes}]` });
    }
  }
  if (c.algorithm === 'pepita-mirror') {
    arrays.push({ name: 'feedback', rows: c.classes, cols: firstInputs, comment: `learned feedback F [${c.classes} x ${firstInputs}] (weight mirroring)` });
  }
  return { firstInputs, arrays };
}
