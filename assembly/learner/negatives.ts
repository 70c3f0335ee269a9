// Negative data (Hinton 2022, sec. 3.2-3.3).
//  * random label: a wrong label drawn uniformly;
//  * hard label: a wrong label drawn in proportion to exp(score / T) of the
//    model's own goodness scores, so the negatives are the ones it confuses;
//  * hybrid image (unsupervised): two images mixed through a mask made by
//    blurring a random bit image with [1/4, 1/2, 1/4] six times in each
//    direction and thresholding at 1/2: large coherent regions from each.

import { nextBelow, nextUnit } from "./prng";
import { classes, temperature, inputSize, imageWidth, imageHeight, hasPrevious, setHasPrevious } from "./state";
import { scores, mask, maskScratch, previous } from "./arena";
import { predictByGoodness } from "./predict";
import { expf } from "./mathf32";
import { seenOthers, nthSeenOther, isSeen } from "./seen-labels";

export function randomWrongLabel(label: i32): i32 {
  const seen = seenOthers(label, classes); // 0 when SEEN_LABELS is off
  if (seen > 0) return nthSeenOther(label, <i32>nextBelow(<u32>seen), classes);
  return (label + 1 + <i32>nextBelow(<u32>(classes - 1))) % classes;
}

/** Samples a wrong label from the model's goodness scores for `input`. */
export function hardWrongLabel(input: usize, label: i32): i32 {
  predictByGoodness(input);
  const C = classes;
  const masked = seenOthers(label, C) > 0; // only seen labels compete
  let top: f32 = -Infinity;
  for (let c = 0; c < C; c++) if (c != label && (!masked || isSeen(c))) top = max<f32>(top, load<f32>(scores + <usize>c * sizeof<f32>()));
  let total: f32 = 0;
  for (let c = 0; c < C; c++) {
    const w: f32 = c == label || (masked && !isSeen(c)) ? 0 : expf((load<f32>(scores + <usize>c * sizeof<f32>()) - top) / temperature);
    store<f32>(scores + <usize>c * sizeof<f32>(), w);
    total += w;
  }
  let pick = nextUnit() * total;
  for (let c = 0; c < C; c++) {
    if (c == label || (masked && !isSeen(c))) continue;
    pick -= load<f32>(scores + <usize>c * sizeof<f32>());
    if (pick < 0) return c;
  }
  for (let c = C - 1; c >= 0; c--) if (c != label && (!masked || isSeen(c))) return c; // rounding left pick >= 0: the last wrong label
  return label == C - 1 ? C - 2 : C - 1;
}

// @ts-ignore: decorator
@inline const BLUR_PASSES: i32 = 6;

function blurPass(src: usize, dst: usize, stride: i32, count: i32, lines: i32, lineStride: i32): void {
  for (let k = 0; k < lines; k++) {
    const base = <usize>(k * lineStride);
    for (let i = 0; i < count; i++) {
      const left = i > 0 ? i - 1 : i;
      const right = i < count - 1 ? i + 1 : i;
      const at = (base + <usize>(i * stride)) * sizeof<f32>();
      const v: f32 = <f32>0.25 * load<f32>(src + (base + <usize>(left * stride)) * sizeof<f32>())
        + <f32>0.5 * load<f32>(src + at)
        + <f32>0.25 * load<f32>(src + (base + <usize>(right * stride)) * sizeof<f32>());
      store<f32>(dst + at, v);
    }
  }
}

/** Fills `mask` with a fresh 0/1 mask of large regions. */
export function makeMask(): void {
  const W = imageWidth, H = imageHeight, n = inputSize;
  for (let i = 0; i < n; i++) store<f32>(mask + <usize>i * sizeof<f32>(), nextUnit() < 0.5 ? 0 : 1);
  for (let pass = 0; pass < BLUR_PASSES; pass++) {
    blurPass(mask, maskScratch, 1, W, H, W); // along rows
    blurPass(maskScratch, mask, W, H, W, 1); // along columns
  }
  for (let i = 0; i < n; i++) {
    const at = mask + <usize>i * sizeof<f32>();
    store<f32>(at, load<f32>(at) > 0.5 ? 1 : 0);
  }
}

/**
 * dst = mask * a + (1 - mask) * b, with a fresh mask. `b` = 0 means "the
 * previous sample seen" (batch of 1); before any previous sample exists, the
 * first sample is mixed with itself reversed, which is still not a digit.
 */
export function writeHybrid(a: usize, b: usize, dst: usize): void {
  const n = inputSize;
  makeMask();
  const usePrevious = b == 0;
  for (let i = 0; i < n; i++) {
    let other: f32;
    if (!usePrevious) other = load<f32>(b + <usize>i * sizeof<f32>());
    else if (hasPrevious) other = load<f32>(previous + <usize>i * sizeof<f32>());
    else other = load<f32>(a + <usize>(n - 1 - i) * sizeof<f32>());
    const m = load<f32>(mask + <usize>i * sizeof<f32>());
    store<f32>(dst + <usize>i * sizeof<f32>(), m * load<f32>(a + <usize>i * sizeof<f32>()) + (1 - m) * other);
  }
  if (usePrevious) {
    memory.copy(previous, a, <usize>n * sizeof<f32>());
    setHasPrevious(true);
  }
}
