// The forward pass through the FF stack, shared by training and prediction.

import { denseReluForward, normalizeRows } from "./dense";
import { layerIn, layerOut, layerW, layerB, layerX, layerY } from "./arena";
import { layerCount } from "./state";
import { goodnessOf } from "./goodness";

/**
 * Rows 0..R-1 of X_0 hold first-layer inputs (label already written);
 * normalises them and runs every layer. Afterwards X_l, Y_l hold each
 * layer's normalised input and ReLU activity.
 */
export function forwardRows(R: i32): void {
  normalizeRows(layerX(0), layerX(0), R, layerIn(0));
  for (let l = 0; l < layerCount; l++) {
    if (l > 0) normalizeRows(layerY(l - 1), layerX(l), R, layerIn(l));
    denseReluForward(layerW(l), layerB(l), layerX(l), layerY(l), R, layerIn(l), layerOut(l));
  }
}

/** Goodness of row r of layer l after forwardRows. */
export function rowGoodness(l: i32, r: i32): f32 {
  const n = layerOut(l);
  return goodnessOf(layerY(l) + <usize>r * <usize>n * sizeof<f32>(), n);
}
