// Dense layer kernels. The scalar loops here are the reference: plain
// loops, one accumulator, inputs in order. The SIMD build (ASC_FEATURE_SIMD)
// hands the hot ones to dense-simd.ts instead; test/learner-simd.test.ts
// holds the two builds together. Shapes: R rows (batch rows), I inputs,
// O outputs; W is O x I row-major (row j = the weights into unit j).

import { denseForwardSimd, scaledRowSimd, scaledRowPairSimd } from "./dense-simd";
import { addScaled } from "./vector";
import { cell, storeUnit } from "./matrix";

/** y[r, j] = relu(sum_i W[j, i] x[r, i] + b[j]) for r < R, j < O. */
export function denseReluForward(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32): void {
  denseForward(W, b, x, y, R, I, O, true);
}

/** z[r, j] = sum_i W[j, i] x[r, i] + b[j] (no activation: softmax head). */
export function denseLinearForward(W: usize, b: usize, x: usize, z: usize, R: i32, I: i32, O: i32): void {
  denseForward(W, b, x, z, R, I, O, false);
}

/**
 * Both of the above. j outer so row j of W stays in cache; two rows share each
 * load of W (each row still sums its products one by one, in order, so this is
 * bit-identical to denseForwardPlain: fewer loads and bounds checks per MAC
 * where every access is checked, as under wasm2c on a Cortex-M).
 */
function denseForward(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32, relu: bool): void {
  if (ASC_FEATURE_SIMD) {
    denseForwardSimd(W, b, x, y, R, I, O, relu);
    return;
  }
  const rowBytes = <usize>I * sizeof<f32>();
  for (let j = 0; j < O; j++) {
    const w = W + <usize>j * rowBytes;
    const bias = load<f32>(b + <usize>j * sizeof<f32>());
    let r = 0;
    for (; r + 1 < R; r += 2) {
      const x0 = x + <usize>r * rowBytes, x1 = x0 + rowBytes;
      let s0: f32 = 0, s1: f32 = 0;
      for (let i = 0; i < I; i++) {
        const off = <usize>i * sizeof<f32>();
        const wi = load<f32>(w + off);
        s0 += wi * load<f32>(x0 + off);
        s1 += wi * load<f32>(x1 + off);
      }
      storeUnit(y, r, j, O, s0 + bias, relu);
      storeUnit(y, r + 1, j, O, s1 + bias, relu);
    }
    if (r < R) {
      const x0 = x + <usize>r * rowBytes;
      let s0: f32 = 0;
      for (let i = 0; i < I; i++) {
        const off = <usize>i * sizeof<f32>();
        s0 += load<f32>(w + off) * load<f32>(x0 + off);
      }
      storeUnit(y, r, j, O, s0 + bias, relu);
    }
  }
}

/** The plain loop denseReluForward must equal bit for bit (test/learner-kernels.test.ts, via the harness). */
export function denseReluForwardPlain(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32): void {
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
      storeUnit(y, r, j, O, acc + bias, true);
    }
  }
}

/**
 * Gradient of row j of W: g[i] = scale * sum_r dz[r, j] x[r, i], summed
 * row by row (r outer). Rows with dz[r, j] = 0 (a unit ReLU turned off)
 * add nothing and are skipped. dz is R x O, x is R x I; g has I entries.
 * The first two rows with dz != 0 go in one pass over g: g = (0 + d0 x0) + d1 x1,
 * the plain loop's operations in its order (weightGradientRowPlain), without its
 * fill and reloads of g; batch 1 has exactly those two rows.
 */
export function weightGradientRow(dz: usize, x: usize, g: usize, j: i32, R: i32, I: i32, O: i32, scale: f32): void {
  const rowBytes = <usize>I * sizeof<f32>();
  let r = 0, r0 = -1, r1 = -1;
  let d0: f32 = 0, d1: f32 = 0;
  for (; r < R && r1 < 0; r++) {
    const d = load<f32>(cell(dz, r, j, O)) * scale;
    if (d == 0) continue;
    if (r0 < 0) { r0 = r; d0 = d; } else { r1 = r; d1 = d; }
  }
  if (r0 < 0) {
    memory.fill(g, 0, rowBytes);
    return;
  }
  const x0 = x + <usize>r0 * rowBytes;
  if (r1 < 0) scaledRow(g, x0, d0, I);
  else scaledRowPair(g, x0, d0, x + <usize>r1 * rowBytes, d1, I);
  for (; r < R; r++) {
    const d = load<f32>(cell(dz, r, j, O)) * scale;
    if (d != 0) addScaled(g, x + <usize>r * rowBytes, d, I);
  }
}

/** g[i] = 0 + d x[i] (the first row into a zeroed g: 0 + -0 is +0, as in the plain loop). */
function scaledRow(g: usize, x: usize, d: f32, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    scaledRowSimd(g, x, d, n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const off = <usize>i * sizeof<f32>();
    store<f32>(g + off, <f32>0 + d * load<f32>(x + off));
  }
}

/** g[i] = (0 + d0 x0[i]) + d1 x1[i]. */
function scaledRowPair(g: usize, x0: usize, d0: f32, x1: usize, d1: f32, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    scaledRowPairSimd(g, x0, d0, x1, d1, n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const off = <usize>i * sizeof<f32>();
    store<f32>(g + off, (<f32>0 + d0 * load<f32>(x0 + off)) + d1 * load<f32>(x1 + off));
  }
}

/** The plain loop weightGradientRow must equal bit for bit (test/learner-kernels.test.ts). */
export function weightGradientRowPlain(dz: usize, x: usize, g: usize, j: i32, R: i32, I: i32, O: i32, scale: f32): void {
  memory.fill(g, 0, <usize>I * sizeof<f32>());
  for (let r = 0; r < R; r++) {
    const d = load<f32>(cell(dz, r, j, O)) * scale;
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
    for (let r = 0; r < R; r++) acc += load<f32>(cell(dz, r, j, O));
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
