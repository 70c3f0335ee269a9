// The neo-Hebbian update of one layer (papers/001; the derivation is in
// hebbian.ts): each row's global factor (p - l) from its goodness, times the
// pre- and postsynaptic activities. Shared by hebbian.ts, spiking.ts (on
// spike rates) and backprop.ts (BACKPROP_FF's own-layer term, FF's dL/dz).

import { layerOut, layerY, STAT_GOODNESS_POS, STAT_GOODNESS_NEG, STAT_LOSS } from "./arena";
import { threshold, temperature } from "./state";
import { goodnessOf, layerLoss } from "./goodness";
import { sigmoidf } from "./mathf32";
import { scaleVector } from "./vector";
import { updateLayer, recordSparsity, statAt } from "./step";

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
