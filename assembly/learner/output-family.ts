// The output family's network (config.ts: PEPITA, PEPITA_MIRROR, BACKPROP,
// FEEDBACK_ALIGNMENT), shared by backprop.ts and pepita.ts: a ReLU MLP on the
// raw inputs whose last layer is a linear output of C units, its softmax
// error, its sparsity stats and its prediction.

import { layerIn, layerOut, layerW, layerB, layerX, layerY, labels, scores, STAT_LOSS } from "./arena";
import { layerCount, classes, inputSize } from "./state";
import { denseReluForward, denseLinearForward } from "./dense";
import { softmaxRow } from "./head";
import { logf } from "./mathf32";
import { recordSparsity, statAt, bestScore } from "./step";

/**
 * The output family's forward pass on rows row0..row0+R-1: X_0 holds the raw
 * inputs (no overlay, no normalisation); hidden layers ReLU, the last linear.
 */
export function mlpForward(row0: i32, R: i32): void {
  const last = layerCount - 1;
  for (let l = 0; l <= last; l++) {
    const I = layerIn(l), O = layerOut(l);
    const x = (l == 0 ? layerX(0) : layerY(l - 1)) + <usize>row0 * <usize>I * sizeof<f32>();
    const y = layerY(l) + <usize>row0 * <usize>O * sizeof<f32>();
    if (l < last) denseReluForward(layerW(l), layerB(l), x, y, R, I, O);
    else denseLinearForward(layerW(l), layerB(l), x, y, R, I, O);
  }
}

/**
 * Output rows 0..n-1 (logits) -> softmax - onehot(label) in place; returns
 * the mean cross-entropy. The output layer's stats get it as its loss.
 */
export function softmaxError(n: i32): f32 {
  const C = classes, out = layerY(layerCount - 1);
  let loss: f32 = 0;
  for (let r = 0; r < n; r++) {
    const p = out + <usize>r * <usize>C * sizeof<f32>();
    softmaxRow(p, C);
    const at = p + <usize>load<i32>(labels + <usize>r * sizeof<i32>()) * sizeof<f32>();
    const q = load<f32>(at);
    loss -= logf(max<f32>(q, 1e-30));
    store<f32>(at, q - 1);
  }
  loss /= <f32>n;
  store<f32>(statAt(layerCount - 1, STAT_LOSS), loss);
  return loss;
}

/** Sparsity of the hidden layers' rows 0..n-1 (the output layer's too, as a linear layer). */
export function outputFamilySparsity(n: i32): void {
  for (let l = 0; l < layerCount; l++) recordSparsity(l, layerY(l), n);
}

/** scores = softmax of the output for `input`; returns the best label. */
export function outputPredict(input: usize): i32 {
  memory.copy(layerX(0), input, <usize>inputSize * sizeof<f32>());
  mlpForward(0, 1);
  memory.copy(scores, layerY(layerCount - 1), <usize>classes * sizeof<f32>());
  softmaxRow(scores, classes);
  return bestScore();
}
