// One Forward-Forward training step (Hinton 2022) on a batch of n samples:
// n positive rows (true label) and n negative rows, one forward pass, then
// each layer updates from its own loss only: no gradient crosses a layer.
//
// Per layer l and row r:  G_r = goodness(y_r),  dL/dy_rj = dL/dG_r * s * y_rj
// (s = dG/dy / y: 2 or 2/width), and ReLU makes dz = dL/dy where y > 0, 0
// elsewhere, which is the same expression because y = 0 there. Peer
// normalisation (Hinton 2022, sec. 3.4) adds, on positive rows,
//   d/dy_rj  lambda * sum_k (m_k - mean(m))^2 = lambda * 2 (m_j - mean(m)) (1 - rho),
// with m_j <- rho m_j + (1 - rho) mean_r y_rj the running mean activity.
// The weight gradient is averaged over the n pos/neg pairs. With the
// symmetric flag the loss is SymBa's per pair (goodness.ts) instead of the
// thresholded one per row.

import {
  layerIn, layerOut, layerW, layerB, layerX, layerY, layerPeer, gradRow,
  STAT_GOODNESS_POS, STAT_GOODNESS_NEG, STAT_LOSS, STAT_ACTIVE, STAT_HOYER, STAT_PEER,
} from "./arena";
import { layerCount, peerWeight, peerMomentum, flags } from "./state";
import { Flag } from "./config";
import { cell } from "./matrix";
import { weightGradientRow, biasGradient } from "./dense";
import { applyGradient } from "./optimizer";
import { goodnessOf, goodnessSlope, layerLoss, lossSlope, pairLoss, pairSlope } from "./goodness";
import { forwardRows } from "./network";
import { writePairRows, neutralHead } from "./pairs";
import { beginUpdate, finishStep, statAt } from "./step";

/** Trains on rows 0..n-1 of the input area; labels were checked by the caller. */
export function trainStep(n: i32): void {
  writePairRows(n); // negatives first (hard ones run the model), then the rows
  forwardRows(2 * n);
  const eta = beginUpdate();

  const rows = 2 * n;
  const pairScale: f32 = 1 / <f32>n;
  for (let l = 0; l < layerCount; l++) {
    const I = layerIn(l), O = layerOut(l);
    const Y = layerY(l);
    const slope = goodnessSlope(O);
    let gPos: f32 = 0, gNeg: f32 = 0, loss: f32 = 0, active: f32 = 0, hoyer: f32 = 0;
    const sqrtO = sqrt<f32>(<f32>O);
    const peer = peerWeight > 0;
    const penalty: f32 = peer ? peerNormalise(l, n) : 0;
    const symmetric = (flags & Flag.SYMMETRIC_LOSS) != 0;
    for (let b = 0; b < n; b++) { // pair b: positive row b, negative row n + b
      const yPos = Y + <usize>b * <usize>O * sizeof<f32>();
      const yNeg = Y + <usize>(n + b) * <usize>O * sizeof<f32>();
      const gp = goodnessOf(yPos, O), gn = goodnessOf(yNeg, O);
      gPos += gp;
      gNeg += gn;
      // Sparsity of positive rows (papers/000): active fraction and Hoyer.
      let l1: f32 = 0, l2: f32 = 0, on = 0;
      for (let j = 0; j < O; j++) {
        const v = load<f32>(yPos + <usize>j * sizeof<f32>());
        l1 += v; l2 += v * v;
        if (v > 0) on++;
      }
      active += <f32>on / <f32>O;
      hoyer += l2 > 0 && O > 1 ? (sqrtO - l1 / sqrt<f32>(l2)) / (sqrtO - 1) : 1;
      let cPos: f32, cNeg: f32;
      if (symmetric) {
        loss += pairLoss(gp, gn);
        cPos = pairSlope(gp, gn);
        cNeg = -cPos;
      } else {
        loss += layerLoss(gp, true) + layerLoss(gn, false);
        cPos = lossSlope(gp, true);
        cNeg = lossSlope(gn, false);
      }
      toLocalGradient(yPos, O, cPos * slope, peer);
      toLocalGradient(yNeg, O, cNeg * slope, false);
    }
    const s = statAt(l, 0);
    store<f32>(s + STAT_GOODNESS_POS * sizeof<f32>(), gPos * pairScale);
    store<f32>(s + STAT_GOODNESS_NEG * sizeof<f32>(), gNeg * pairScale);
    store<f32>(s + STAT_LOSS * sizeof<f32>(), loss * pairScale);
    store<f32>(s + STAT_ACTIVE * sizeof<f32>(), active * pairScale);
    store<f32>(s + STAT_HOYER * sizeof<f32>(), hoyer * pairScale);
    store<f32>(s + STAT_PEER * sizeof<f32>(), penalty);

    const W = layerW(l), X = layerX(l);
    for (let j = 0; j < O; j++) {
      weightGradientRow(Y, X, gradRow, j, rows, I, O, pairScale);
      applyGradient(W + <usize>j * <usize>I * sizeof<f32>(), gradRow, I, eta);
    }
    biasGradient(Y, gradRow, rows, O, pairScale);
    applyGradient(layerB(l), gradRow, O, eta);
  }

  finishStep(neutralHead(n)); // headInputs > 0 only with the SOFTMAX_HEAD flag
}

/**
 * Row y of activities -> dL/dz in place: c * y where the unit is active (ReLU
 * passes no gradient where y = 0, and c * 0 = 0 there), plus the peer term
 * from gradRow on positive rows.
 */
function toLocalGradient(y: usize, O: i32, c: f32, withPeer: bool): void {
  for (let j = 0; j < O; j++) {
    const at = y + <usize>j * sizeof<f32>();
    const v = load<f32>(at);
    let dz = c * v;
    if (withPeer && v > 0) dz += load<f32>(gradRow + <usize>j * sizeof<f32>());
    store<f32>(at, dz);
  }
}

/**
 * Peer normalisation on layer l, before Y becomes dL/dz: updates the running
 * mean activity m_j from the positive rows 0..n-1, writes each unit's extra
 * gradient lambda 2 (m_j - mean(m)) (1 - rho) into gradRow, and returns the
 * penalty lambda sum_j (m_j - mean(m))^2.
 */
function peerNormalise(l: i32, n: i32): f32 {
  const O = layerOut(l), Y = layerY(l), m = layerPeer(l);
  const rho = peerMomentum;
  let total: f32 = 0;
  for (let j = 0; j < O; j++) {
    let sum: f32 = 0;
    for (let r = 0; r < n; r++) sum += load<f32>(cell(Y, r, j, O));
    const at = m + <usize>j * sizeof<f32>();
    const updated = rho * load<f32>(at) + (1 - rho) * (sum / <f32>n);
    store<f32>(at, updated);
    total += updated;
  }
  const mean = total / <f32>O;
  const k: f32 = peerWeight * 2 * (1 - rho);
  let penalty: f32 = 0;
  for (let j = 0; j < O; j++) {
    const d = load<f32>(m + <usize>j * sizeof<f32>()) - mean;
    penalty += d * d;
    store<f32>(gradRow + <usize>j * sizeof<f32>(), k * d);
  }
  return peerWeight * penalty;
}
