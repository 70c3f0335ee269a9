// Neo-Hebbian Forward-Forward (papers/001). With squared-norm goodness the
// FF update of a layer is a three-factor Hebbian rule: presynaptic x_i,
// postsynaptic y_j, and a global factor saying how wrong the layer's
// verdict on this row was:
//
//   dW_ji = eta (l - sigma(k (G - theta))) x_i y_j,   db_j = eta (l - sigma(.)) y_j
//
// l = 1 for a positive row, 0 for a negative; G = |y|^2 (GOODNESS), k = 1/T
// (TEMPERATURE), theta = THRESHOLD. FF's gradient step on the same rows is
// eta_FF (2/T)(l - p) x y for sum-squares goodness, so the two are the same
// update when eta = 2 eta_FF / T (test/rules-gradients.test.ts holds them
// together). Optional eligibility trace (RULE_A = decay lambda):
// e <- lambda e + dW/eta, W += eta e (rules.ts: updateLayer).
//
// Non-goals: peer normalisation and the SymBa loss (FF only).

import { layerOut, layerX, layerY, STAT_GOODNESS_POS, STAT_GOODNESS_NEG, STAT_LOSS } from "./arena";
import { layerCount, threshold, temperature } from "./state";
import { goodnessOf, layerLoss } from "./goodness";
import { sigmoidf } from "./mathf32";
import { forwardRows } from "./network";
import { scaleVector } from "./vector";
import { beginUpdate, finishStep, updateLayer, recordSparsity, statAt } from "./rules";
import { writePairRows, neutralHead } from "./pairs";

export function hebbianStep(n: i32): void {
  writePairRows(n);
  forwardRows(2 * n);
  const eta = beginUpdate();
  for (let l = 0; l < layerCount; l++) hebbianLayer(l, layerX(l), n, eta);
  finishStep(neutralHead(n));
}

/**
 * Layer l's Hebbian update from its activities Y_l (rows 0..n-1 positive,
 * n..2n-1 negative) and presynaptic rows `pre`, averaged over the n pairs
 * as FF's is.
 */
export function hebbianLayer(l: i32, pre: usize, n: i32, eta: f32): void {
  goodnessFactors(l, n, 1);
  updateLayer(l, layerY(l), pre, 2 * n, 1 / <f32>n, eta);
}

/**
 * Y_l rows -> (p_r - l_r) * scale * y_r in place, p_r = sigma((G_r - theta)/T):
 * with scale 1 the Hebbian factors above (negated, as the optimizer
 * descends), with scale dG/dy / (T y) FF's dL/dz (goodness.ts: lossSlope).
 * Writes layer l's goodness, loss and sparsity stats (positive rows).
 */
export function goodnessFactors(l: i32, n: i32, scale: f32): void {
  const O = layerOut(l), Y = layerY(l);
  recordSparsity(l, Y, n);
  let gPos: f32 = 0, gNeg: f32 = 0, loss: f32 = 0;
  for (let r = 0; r < 2 * n; r++) {
    const y = Y + <usize>r * <usize>O * sizeof<f32>();
    const positive = r < n;
    const g = goodnessOf(y, O);
    loss += layerLoss(g, positive);
    if (positive) gPos += g; else gNeg += g;
    const p = sigmoidf((g - threshold) / temperature);
    scaleVector(y, (positive ? p - 1 : p) * scale, O);
  }
  const pairScale: f32 = 1 / <f32>n;
  store<f32>(statAt(l, STAT_GOODNESS_POS), gPos * pairScale);
  store<f32>(statAt(l, STAT_GOODNESS_NEG), gNeg * pairScale);
  store<f32>(statAt(l, STAT_LOSS), loss * pairScale);
}
