// Dense layer kernels. The scalar loops here are the reference: plain
// loops, one accumulator, inputs in order. The SIMD build (ASC_FEATURE_SIMD)
// hands the hot ones to dense-simd.ts instead; test/learner-simd.test.ts
// holds the two builds together. Shapes: R rows (batch rows), I inputs,
// O outputs; W is O x I row-major (row j = the weights into unit j).

import { denseForwardSimd, weightGradientRowSimd } from "./dense-simd";

/** y[r, j] = relu(sum_i W[j, i] x[r, i] + b[j]) for r < R, j < O. */
export function denseReluForward(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32): void {
  denseForward(W, b, x, y, R, I, O, true);
}

/** z[r, j] = sum_i W[j, i] x[r, i] + b[j] (no activation: softmax head). */
export function denseLinearForward(W: usize, b: usize, x: usize, z: usize, R: i32, I: i32, O: i32): void {
  denseForward(W, b, x, z, R, I, O, false);
}

/** Both of the above: j outer so row j of W stays in cache across the R rows. */
function denseForward(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32, relu: bool): void {
  if (ASC_FEATURE_SIMD) {
    denseForwardSimd(W, b, x, y, R, I, O, relu);
    return;
  }
  const rowBytes = <usize>I * sizeof<f32>();
  for (let j = 0; j < O; j++) {
    const w = W + <usize>j * rowBytes;
    const bias = load<f32>(b + <usize>j * sizeof<f32>());
    for (let r = 0; r < R; r++) {
      const xr = x + <usize>r * rowBytes;
      let acc: f32 = 0;
      for (let i = 0; i < I; i++) {
        acc += load<f32>(w + <usize>i * sizeof<f32>()) * load<f32>(xr + <usize>i * sizeof<f32>());
      }
      const z = acc + bias;
      store<f32>(y + (<usize>r * <usize>O + <usize>j) * sizeof<f32>(), relu ? max<f32>(z, 0) : z);
    }
  }
}

/**
 * Gradient of row j of W: g[i] = scale * sum_r dz[r, j] x[r, i], summed
 * row by row (r outer). Rows with dz[r, j] = 0 (a unit ReLU turned off)
 * add nothing and are skipped. dz is R x O, x is R x I; g has I entries.
 */
export function weightGradientRow(dz: usize, x: usize, g: usize, j: i32, R: i32, I: i32, O: i32, scale: f32): void {
  if (ASC_FEATURE_SIMD) {
    weightGradientRowSimd(dz, x, g, j, R, I, O, scale);
    return;
  }
  memory.fill(g, 0, <usize>I * sizeof<f32>());
  for (let r = 0; r < R; r++) {
    const d = load<f32>(dz + (<usize>r * <usize>O + <usize>j) * sizeof<f32>()) * scale;
    if (d == 0) continue;
    const xr = x + <usize>r * <usize>I * sizeof<f32>();
    for (let i = 0; i < I; i++) {
      const at = g + <usize>i * sizeof<f32>();
      store<f32>(at, load<f32>(at) + d * load<f32>(xr + <usize>i * sizeof<f32>()));
    }
  }
}

/** Bias gradient: g[j] = scale * sum_r dz[r, j]. */
export function biasGradient(dz: usize, g: usize, R: i32, O: i32, scale: f32): void {
  for (let j = 0; j < O; j++) {
    let acc: f32 = 0;
    for (let r = 0; r < R; r++) acc += load<f32>(dz + (<usize>r * <usize>O + <usize>j) * sizeof<f32>());
    store<f32>(g + <usize>j * sizeof<f32>(), acc * scale);
  }
}

/**
 * Length normalisation of each row (Hinton 2022, sec. 2): x / (rms(x) + eps),
 * rms(x) = sqrt(mean x^2), so only the direction of a layer's activity
 * reaches the next layer, not its goodness. src and dst are R x N; may alias.
 */
export function normalizeRows(src: usize, dst: usize, R: i32, N: i32): void {
  for (let r = 0; r < R; r++) {
    const s = src + <usize>r * <usize>N * sizeof<f32>();
    const d = dst + <usize>r * <usize>N * sizeof<f32>();
    let sumSquares: f32 = 0;
    for (let i = 0; i < N; i++) {
      const v = load<f32>(s + <usize>i * sizeof<f32>());
      sumSquares += v * v;
    }
    const inv: f32 = 1 / (sqrt<f32>(sumSquares / <f32>N) + 1e-8);
    for (let i = 0; i < N; i++) {
      store<f32>(d + <usize>i * sizeof<f32>(), load<f32>(s + <usize>i * sizeof<f32>()) * inv);
    }
  }
}
