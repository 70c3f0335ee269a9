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
// e <- lambda e + dW/eta, W += eta e (step.ts: updateLayer). The per-layer
// update is goodness-factors.ts: hebbianLayer (spiking.ts uses it too).
//
// Non-goals: peer normalisation and the SymBa loss (FF only).

import { layerX } from "./arena";
import { layerCount } from "./state";
import { forwardRows } from "./network";
import { beginUpdate, finishStep } from "./step";
import { hebbianLayer } from "./goodness-factors";
import { writePairRows, neutralHead } from "./pairs";

export function hebbianStep(n: i32): void {
  writePairRows(n);
  forwardRows(2 * n);
  const eta = beginUpdate();
  for (let l = 0; l < layerCount; l++) hebbianLayer(l, layerX(l), n, eta);
  finishStep(neutralHead(n));
}

