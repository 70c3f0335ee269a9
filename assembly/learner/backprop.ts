// The baselines (papers/000, 004): the same layers, the same arena, with a
// backward pass.
//
//  * BACKPROP: a ReLU MLP whose last layer is a linear output of C units,
//    trained on softmax cross-entropy:  dz_L = softmax(z_L) - onehot,
//    dz_{l-1} = (W_l^T dz_l) * [h_{l-1} > 0]  (Rumelhart et al. 1986).
//  * FEEDBACK_ALIGNMENT: the same, with W_l^T replaced by a fixed random
//    B_l^T drawn at configure (Lillicrap et al. 2016).
//  * BACKPROP_FF: FF's network (label overlay, length normalisation between
//    layers, pos/neg rows) trained on the SUM of every layer's FF loss by
//    backprop through the whole stack, normalisation included (papers/000:
//    "backprop on the FF objective").
//
// Gradients are averaged over the batch (over pos/neg pairs for BACKPROP_FF)
// and go through the configured optimizer, as FF's do.

import { Algorithm } from "./config";
import { cell } from "./matrix";
import {
  layerIn, layerOut, layerW, layerB, layerX, layerY, layerAux, delta, inputs, labels, scores,
  STAT_LOSS,
} from "./arena";
import { algorithm, layerCount, classes, inputSize, temperature } from "./state";
import { denseReluForward, denseLinearForward } from "./dense";
import { addScaled, scaleVector, dot, gateInto } from "./vector";
import { softmaxRow } from "./head";
import { logf } from "./mathf32";
import { forwardRows } from "./network";
import { goodnessSlope } from "./goodness";
import { goodnessFactors } from "./hebbian";
import { beginUpdate, finishStep, updateLayer, recordSparsity, statAt, bestScore } from "./rules";
import { writePairRows, neutralHead } from "./pairs";

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

/** out[r, :] = sum_j dz[r, j] M[j, :] for r < R: M is O x I (W_l or B_l), out R x I. */
function backDelta(M: usize, dz: usize, out: usize, R: i32, I: i32, O: i32): void {
  memory.fill(out, 0, <usize>R * <usize>I * sizeof<f32>());
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < O; j++) {
      const d = load<f32>(cell(dz, r, j, O));
      if (d != 0) addScaled(out + <usize>r * <usize>I * sizeof<f32>(), M + <usize>j * <usize>I * sizeof<f32>(), d, I);
    }
  }
}

/** BACKPROP and FEEDBACK_ALIGNMENT on rows 0..n-1. */
export function backpropStep(n: i32): void {
  memory.copy(layerX(0), inputs, <usize>n * <usize>inputSize * sizeof<f32>());
  mlpForward(0, n);
  outputFamilySparsity(n);
  const loss = softmaxError(n);
  const eta = beginUpdate();
  const aligned = algorithm == Algorithm.FEEDBACK_ALIGNMENT;
  for (let l = layerCount - 1; l >= 0; l--) {
    const I = layerIn(l), O = layerOut(l);
    const below = l == 0 ? layerX(0) : layerY(l - 1);
    // dL/dh_{l-1} through W_l (or B_l) before W_l moves; then, below's
    // activities used, ReLU's gate turns them into dz_{l-1}.
    if (l > 0) backDelta(aligned ? layerAux(l) : layerW(l), layerY(l), delta, n, I, O);
    updateLayer(l, layerY(l), below, n, 1 / <f32>n, eta);
    if (l > 0) gateInto(below, below, delta, n * I);
  }
  finishStep(loss);
}

/**
 * BACKPROP_FF: loss = sum over layers and rows of FF's layer loss, divided
 * by n. Going down, `delta` holds dL/dy_l from the layers above while
 * layer l adds its own term, then dL/dx_l, then (through the length
 * normalisation) dL/dy_{l-1}.
 */
export function backpropFFStep(n: i32): void {
  writePairRows(n);
  const rows = 2 * n;
  forwardRows(rows);
  const eta = beginUpdate();
  for (let l = layerCount - 1; l >= 0; l--) {
    const I = layerIn(l), O = layerOut(l), Y = layerY(l);
    const fromAbove = l < layerCount - 1;
    if (fromAbove) gateInto(delta, Y, delta, rows * O); // before Y turns into dz
    goodnessFactors(l, n, goodnessSlope(O) / temperature);
    if (fromAbove) addScaled(Y, delta, 1, rows * O);
    if (l > 0) backDelta(layerW(l), Y, delta, rows, I, O);
    updateLayer(l, Y, layerX(l), rows, 1 / <f32>n, eta);
    if (l > 0) normalizeBackward(delta, layerY(l - 1), layerX(l), rows, I);
  }
  finishStep(neutralHead(n));
}

/**
 * Through x = y / (s + eps), s = sqrt(mean y^2) (dense.ts: normalizeRows),
 * row by row, in place: g = dL/dx -> dL/dy = (g - (g . x) x (s + eps) / (N s)) / (s + eps).
 * A row of zeros has no direction to move: its gradient is 0 (ReLU gates it anyway).
 */
function normalizeBackward(g: usize, y: usize, x: usize, R: i32, N: i32): void {
  for (let r = 0; r < R; r++) {
    const gr = g + <usize>r * <usize>N * sizeof<f32>();
    const yr = y + <usize>r * <usize>N * sizeof<f32>();
    const xr = x + <usize>r * <usize>N * sizeof<f32>();
    const s = sqrt<f32>(dot(yr, yr, N) / <f32>N);
    const k: f32 = s > 0 ? dot(gr, xr, N) * (s + 1e-8) / (<f32>N * s) : 0;
    addScaled(gr, xr, -k, N);
    scaleVector(gr, s > 0 ? 1 / (s + 1e-8) : 0, N);
  }
}
