// The parts of a step that FF and its FF-style relatives (hebbian.ts,
// spiking.ts, backprop.ts) share: building the positive/negative
// first-layer rows, and the softmax head's step on a neutral-label pass.

import { Negatives } from "./config";
import { layerIn, layerX, inputs, labels, negLabels } from "./arena";
import { negativesKind, inputSize, headInputs, rateScale } from "./state";
import { forwardRows } from "./network";
import { writeLabelledInput, NEUTRAL_LABEL } from "./overlay";
import { randomWrongLabel, hardWrongLabel, writeHybrid } from "./negatives";
import { headForward, headTrain } from "./head";
import { markSeen } from "./seen-labels";

/**
 * First-layer rows of an FF-style step: rows 0..n-1
 * positive (true label), n..2n-1 negative (wrong label, or a hybrid image).
 */
export function writePairRows(n: i32): void {
  const inputBytes = <usize>inputSize * sizeof<f32>();
  const rowBytes = <usize>layerIn(0) * sizeof<f32>();
  const x0 = layerX(0);
  const hybrid = negativesKind == Negatives.HYBRID_IMAGE;
  for (let b = 0; b < n; b++) markSeen(load<i32>(labels + <usize>b * sizeof<i32>())); // Flag.SEEN_LABELS
  for (let b = 0; b < n; b++) { // negatives first: hard ones run the model
    const label = load<i32>(labels + <usize>b * sizeof<i32>());
    let wrong = 0;
    if (negativesKind == Negatives.RANDOM_LABEL) wrong = randomWrongLabel(label);
    else if (!hybrid) wrong = hardWrongLabel(inputs + <usize>b * inputBytes, label);
    store<i32>(negLabels + <usize>b * sizeof<i32>(), wrong);
  }
  for (let b = 0; b < n; b++) {
    const input = inputs + <usize>b * inputBytes;
    const pos = x0 + <usize>b * rowBytes;
    const neg = x0 + <usize>(n + b) * rowBytes;
    if (hybrid) {
      writeLabelledInput(input, pos, NEUTRAL_LABEL);
      writeHybrid(input, n > 1 ? inputs + <usize>((b + 1) % n) * inputBytes : 0, neg);
    } else {
      writeLabelledInput(input, pos, load<i32>(labels + <usize>b * sizeof<i32>()));
      writeLabelledInput(input, neg, load<i32>(negLabels + <usize>b * sizeof<i32>()));
    }
  }
}

/** The softmax head's step on a neutral-label pass ; 0 without a head. */
export function neutralHead(n: i32): f32 {
  if (headInputs == 0) return 0;
  const inputBytes = <usize>inputSize * sizeof<f32>();
  const rowBytes = <usize>layerIn(0) * sizeof<f32>();
  for (let b = 0; b < n; b++) writeLabelledInput(inputs + <usize>b * inputBytes, layerX(0) + <usize>b * rowBytes, NEUTRAL_LABEL);
  forwardRows(n);
  headForward(n);
  return headTrain(n, labels, rateScale());
}
