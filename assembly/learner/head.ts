// The softmax head (Hinton 2022, sec. 3.3.1): a linear classifier on the
// normalised activities of the scored layers, from a pass with the neutral
// label. Trained by cross-entropy; its gradient stops at its own inputs, so
// the FF layers stay layer-local.

import { normalizeRows, denseLinearForward, weightGradientRow, biasGradient } from "./dense";
import { layerOut, layerY, headW, headB, headIn, logits, gradRow, scores } from "./arena";
import { layerCount, firstScoredLayer, headInputs, classes, headLearningRate } from "./state";
import { applyGradient } from "./optimizer";
import { expf, logf } from "./mathf32";

/** Fills head inputs and logits for rows 0..R-1 from the current Y_l. */
export function headForward(R: i32): void {
  for (let r = 0; r < R; r++) {
    let dst = headIn + <usize>r * <usize>headInputs * sizeof<f32>();
    for (let l = firstScoredLayer; l < layerCount; l++) {
      const n = layerOut(l);
      normalizeRows(layerY(l) + <usize>r * <usize>n * sizeof<f32>(), dst, 1, n);
      dst += <usize>n * sizeof<f32>();
    }
  }
  denseLinearForward(headW, headB, headIn, logits, R, headInputs, classes);
}

/** In place: logits row r -> softmax probabilities. */
export function softmaxRow(p: usize, C: i32): void {
  let top = load<f32>(p);
  for (let c = 1; c < C; c++) top = max<f32>(top, load<f32>(p + <usize>c * sizeof<f32>()));
  let sum: f32 = 0;
  for (let c = 0; c < C; c++) {
    const e = expf(load<f32>(p + <usize>c * sizeof<f32>()) - top);
    store<f32>(p + <usize>c * sizeof<f32>(), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  for (let c = 0; c < C; c++) store<f32>(p + <usize>c * sizeof<f32>(), load<f32>(p + <usize>c * sizeof<f32>()) * inv);
}

/**
 * After headForward(R): one cross-entropy step on rows whose label (in
 * `labelRows`, i32) is >= 0. Returns the mean loss over those rows.
 */
export function headTrain(R: i32, labelRows: usize, rate: f32): f32 {
  const C = classes;
  let count = 0;
  let loss: f32 = 0;
  for (let r = 0; r < R; r++) {
    const p = logits + <usize>r * <usize>C * sizeof<f32>();
    softmaxRow(p, C);
    const label = load<i32>(labelRows + <usize>r * sizeof<i32>());
    if (label < 0) { // unlabelled row: no gradient
      memory.fill(p, 0, <usize>C * sizeof<f32>());
      continue;
    }
    const at = p + <usize>label * sizeof<f32>();
    const q = load<f32>(at);
    loss -= logf(max<f32>(q, 1e-30));
    store<f32>(at, q - 1); // d(-log softmax)/dlogit = p - onehot
    count++;
  }
  if (count == 0) return 0;
  const scale: f32 = 1 / <f32>count;
  const eta = headLearningRate * rate;
  for (let c = 0; c < C; c++) {
    weightGradientRow(logits, headIn, gradRow, c, R, headInputs, C, scale);
    applyGradient(headW + <usize>c * <usize>headInputs * sizeof<f32>(), gradRow, headInputs, eta);
  }
  biasGradient(logits, gradRow, R, C, scale);
  applyGradient(headB, gradRow, C, eta);
  return loss * scale;
}

/** Scores of row 0 as softmax probabilities, into `scores`; returns argmax. */
export function headPredict(): i32 {
  headForward(1);
  memory.copy(scores, logits, <usize>classes * sizeof<f32>());
  softmaxRow(scores, classes);
  return argmax(scores, classes);
}

export function argmax(p: usize, n: i32): i32 {
  let best = 0;
  let top = load<f32>(p);
  for (let i = 1; i < n; i++) {
    const v = load<f32>(p + <usize>i * sizeof<f32>());
    if (v > top) { top = v; best = i; }
  }
  return best;
}
