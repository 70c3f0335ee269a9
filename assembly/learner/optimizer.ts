// Parameter updates. Optimizer state lives at fixed offsets from each
// parameter (arena.ts: stateOffset), so a step needs only the parameter
// pointer and its gradient.
//
// SGD with momentum:  v = mu v + g;  w -= eta (v + lambda w)
// Adam (Kingma & Ba 2015) with decoupled weight decay (Loshchilov & Hutter 2019):
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   w -= eta_t m / (sqrt(v) + eps_t) + eta lambda w,
//   eta_t = eta sqrt(1-b2^t)/(1-b1^t), eps_t = eps sqrt(1-b2^t)  (the paper's
//   "more efficient" ordering of the bias correction).

import { Optimizer } from "./config";
import { stateOffset } from "./arena";
import { adamSimd } from "./dense-simd";

export let optimizerKind: u32 = Optimizer.ADAM;
export let beta1: f32 = 0.9;
export let beta2: f32 = 0.999;
export let weightDecay: f32 = 0;
let beta1Power: f32 = 1;
let beta2Power: f32 = 1;
let adamScale: f32 = 1; // sqrt(1-b2^t)/(1-b1^t)
let adamEps: f32 = 1e-8;

// @ts-ignore: decorator
@inline const EPSILON: f32 = 1e-8;

export function resetOptimizer(kind: u32, b1: f32, b2: f32, decay: f32): void {
  optimizerKind = kind;
  beta1 = b1;
  beta2 = b2;
  weightDecay = decay;
  beta1Power = 1;
  beta2Power = 1;
}

/** Adam's bias-correction state (b1^t, b2^t and what follows from them) as 4 f32 at p (snapshot.ts). */
export function saveOptimizer(p: usize): void {
  store<f32>(p, beta1Power); store<f32>(p, beta2Power, 4); store<f32>(p, adamScale, 8); store<f32>(p, adamEps, 12);
}
export function restoreOptimizer(p: usize): void {
  beta1Power = load<f32>(p); beta2Power = load<f32>(p, 4); adamScale = load<f32>(p, 8); adamEps = load<f32>(p, 12);
}

/** Advances the step count t used by Adam's bias correction; once per train call. */
export function beginStep(): void {
  beta1Power *= beta1;
  beta2Power *= beta2;
  const c2 = sqrt<f32>(1 - beta2Power);
  adamScale = c2 / (1 - beta1Power);
  adamEps = EPSILON * c2;
}

/** Applies gradient g[0..n) to parameters p[0..n) with learning rate eta. */
export function applyGradient(p: usize, g: usize, n: i32, eta: f32): void {
  const decay = eta * weightDecay;
  if (optimizerKind == Optimizer.ADAM) {
    const b1 = beta1, b2 = beta2;
    const c1: f32 = 1 - b1, c2: f32 = 1 - b2;
    const step = eta * adamScale, eps = adamEps;
    if (ASC_FEATURE_SIMD) {
      adamSimd(p, g, n, stateOffset, b1, b2, step, eps, decay);
      return;
    }
    // State offsets in locals: a global re-read after every store costs a load
    // per element where the translator cannot tell memory from globals (wasm2c).
    const mAt = p + stateOffset, vAt = p + 2 * stateOffset;
    for (let i = 0; i < n; i++) {
      const off = <usize>i * sizeof<f32>();
      const grad = load<f32>(g + off);
      const m = b1 * load<f32>(mAt + off) + c1 * grad;
      const v = b2 * load<f32>(vAt + off) + c2 * grad * grad;
      store<f32>(mAt + off, m);
      store<f32>(vAt + off, v);
      const w = load<f32>(p + off);
      store<f32>(p + off, w - step * m / (sqrt<f32>(v) + eps) - decay * w);
    }
  } else {
    const mu = beta1;
    const vAt = p + stateOffset;
    for (let i = 0; i < n; i++) {
      const at = p + <usize>i * sizeof<f32>();
      const v = mu * load<f32>(vAt + <usize>i * sizeof<f32>()) + load<f32>(g + <usize>i * sizeof<f32>());
      store<f32>(vAt + <usize>i * sizeof<f32>(), v);
      const w = load<f32>(at);
      store<f32>(at, w - eta * v - decay * w);
    }
  }
}
