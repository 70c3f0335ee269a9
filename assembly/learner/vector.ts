// Small vector kernels the learning rules share (step.ts and the rule
// files), kept out of line so each rule costs little code: the release
// module must stay under 16 KiB. Plain loops; addScaled takes the f32x4
// path in the SIMD build (the same axpy as dense.ts's gradient rows).

import { axpySimd } from "./dense-simd";

/** dst[i] += k * src[i] for i < n. */
export function addScaled(dst: usize, src: usize, k: f32, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    axpySimd(dst, src, k, n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const at = dst + <usize>i * sizeof<f32>();
    store<f32>(at, load<f32>(at) + k * load<f32>(src + <usize>i * sizeof<f32>()));
  }
}

/** p[i] *= k for i < n. */
export function scaleVector(p: usize, k: f32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = p + <usize>i * sizeof<f32>();
    store<f32>(at, k * load<f32>(at));
  }
}

/** sum_i a[i] b[i] for i < n. */
export function dot(a: usize, b: usize, n: i32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) sum += load<f32>(a + <usize>i * sizeof<f32>()) * load<f32>(b + <usize>i * sizeof<f32>());
  return sum;
}

/** dst[i] = y[i] > 0 ? src[i] : 0: a gradient through ReLU's gate at activity y (dst may be y or src). */
export function gateInto(dst: usize, y: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i * sizeof<f32>();
    store<f32>(dst + at, load<f32>(y + at) > 0 ? load<f32>(src + at) : 0);
  }
}
