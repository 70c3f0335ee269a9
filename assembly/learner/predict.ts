// Prediction (Hinton 2022, sec. 3.3): by goodness, running the sample once
// per candidate label and picking the label whose scored layers have the
// most goodness in total; or by the softmax head on a neutral-label pass.

import { layerX, layerIn, scores } from "./arena";
import { classes, layerCount, firstScoredLayer } from "./state";
import { writeLabelledInput, NEUTRAL_LABEL } from "./overlay";
import { forwardRows, rowGoodness } from "./network";
import { headPredict, argmax } from "./head";
import { seenOnly, isSeen } from "./seen-labels";

/** scores[c] = summed goodness of `input` under label c; returns argmax. */
export function predictByGoodness(input: usize): i32 {
  const C = classes;
  const rowBytes = <usize>layerIn(0) * sizeof<f32>();
  for (let c = 0; c < C; c++) writeLabelledInput(input, layerX(0) + <usize>c * rowBytes, c);
  forwardRows(C); // all C label variants in one pass: W is read once
  for (let c = 0; c < C; c++) {
    let total: f32 = 0;
    for (let l = firstScoredLayer; l < layerCount; l++) total += rowGoodness(l, c);
    store<f32>(scores + <usize>c * sizeof<f32>(), total);
  }
  if (!seenOnly()) return argmax(scores, C);
  let best = -1; // Flag.SEEN_LABELS: the best seen label (all C before any is seen)
  for (let c = 0; c < C; c++) {
    if (isSeen(c) && (best < 0 || load<f32>(scores + <usize>c * sizeof<f32>()) > load<f32>(scores + <usize>best * sizeof<f32>()))) best = c;
  }
  return best >= 0 ? best : argmax(scores, C);
}

/** scores = head's softmax for `input` with the neutral label; returns argmax. */
export function predictByHead(input: usize): i32 {
  writeLabelledInput(input, layerX(0), NEUTRAL_LABEL);
  forwardRows(1);
  return headPredict();
}
