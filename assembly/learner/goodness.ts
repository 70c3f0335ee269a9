// Goodness and the FF layer loss (Hinton 2022, sec. 2).
//   G = sum_j y_j^2  (or mean_j y_j^2)
//   p(positive) = sigmoid((G - theta) / T)
//   loss = softplus(-(G - theta)/T) for a positive row, softplus((G - theta)/T) for a negative
//   dL/dG = -(1 - p)/T (positive), p/T (negative);  dG/dy_j = 2 y_j (/ width)

import { Goodness } from "./config";
import { goodnessKind, threshold, temperature } from "./state";
import { sigmoidf, softplusf } from "./mathf32";

/** Goodness of one row y[0..n). */
export function goodnessOf(y: usize, n: i32): f32 {
  let g: f32 = 0;
  for (let j = 0; j < n; j++) {
    const v = load<f32>(y + <usize>j * sizeof<f32>());
    g += v * v;
  }
  return goodnessKind == Goodness.MEAN_SQUARES ? g / <f32>n : g;
}

/** dG/dy_j = scale * y_j: the scale. */
export function goodnessSlope(n: i32): f32 {
  return goodnessKind == Goodness.MEAN_SQUARES ? 2 / <f32>n : 2;
}

/** FF loss of one row with goodness g. */
export function layerLoss(g: f32, positive: bool): f32 {
  const logit = (g - threshold) / temperature;
  return softplusf(positive ? -logit : logit);
}

/** dL/dG for one row with goodness g. */
export function lossSlope(g: f32, positive: bool): f32 {
  const p = sigmoidf((g - threshold) / temperature);
  return positive ? -(1 - p) / temperature : p / temperature;
}

// SymBa (Lee & Song 2023, "SymBa: A Symmetric Loss for Forward-Forward"):
// one loss per pos/neg pair, no threshold:
//   loss = softplus(-(G_pos - G_neg) / T)
//   dL/dG_pos = -sigmoid(-(G_pos - G_neg) / T) / T,  dL/dG_neg = -dL/dG_pos
// Positive and negative goodness are pushed apart with equal force, which the
// thresholded loss does not do once one side has saturated.

export function pairLoss(gPos: f32, gNeg: f32): f32 {
  return softplusf(-(gPos - gNeg) / temperature);
}

/** dL/dG_pos of the pair loss (dL/dG_neg is its negative). */
export function pairSlope(gPos: f32, gNeg: f32): f32 {
  return -sigmoidf(-(gPos - gNeg) / temperature) / temperature;
}
