// How a label enters the network (Hinton 2022, sec. 3.3): a one-hot of the
// label in C input positions, either replacing the first C inputs (MNIST's
// border pixels are blank) or put in front of them (sensor data, where every
// input matters). The neutral label (Hinton 2022, sec. 3.3.1) puts 1/C in
// every label position, for the softmax head's pass.

import { Overlay, Negatives } from "./config";
import { classes, inputSize, overlayKind, overlayValue, negativesKind } from "./state";

// @ts-ignore: decorator
@inline export const NEUTRAL_LABEL: i32 = -1;

/** Writes the first layer's input row for `input` under `label` to dst. */
export function writeLabelledInput(input: usize, dst: usize, label: i32): void {
  const C = classes;
  if (negativesKind == Negatives.HYBRID_IMAGE) { // unsupervised: no overlay
    memory.copy(dst, input, <usize>inputSize * sizeof<f32>());
    return;
  }
  let labels = dst;
  if (overlayKind == Overlay.PREPEND) {
    memory.copy(dst + <usize>C * sizeof<f32>(), input, <usize>inputSize * sizeof<f32>());
  } else {
    memory.copy(dst, input, <usize>inputSize * sizeof<f32>());
  }
  const neutral: f32 = overlayValue / <f32>C;
  for (let c = 0; c < C; c++) {
    const v: f32 = label == NEUTRAL_LABEL ? neutral : (c == label ? overlayValue : 0);
    store<f32>(labels + <usize>c * sizeof<f32>(), v);
  }
}
