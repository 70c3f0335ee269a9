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
import { layerIn, layerOut, layerW, layerX, layerY, layerAux, delta, inputs } from "./arena";
import { algorithm, layerCount, inputSize, temperature } from "./state";
import { addScaled, scaleVector, dot, gateInto } from "./vector";
import { forwardRows } from "./network";
import { goodnessSlope } from "./goodness";
import { goodnessFactors } from "./goodness-factors";
import { beginUpdate, finishStep, updateLayer } from "./step";
import { mlpForward, softmaxError, outputFamilySparsity } from "./output-family";
import { writePairRows, neutralHead } from "./pairs";

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
