// f32x4 versions of the hot kernels, for runtimes with SIMD (V8, wasm2c on
// x86 where the translator supports it). Compiled only into the SIMD build
// (ASC_FEATURE_SIMD); the scalar kernels in dense.ts / optimizer.ts are the
// reference, and test/learner-simd.test.ts holds the two together. Dot
// products sum in 2 x 4 lanes added at the end, so the forward pass differs
// from the scalar order by rounding; the element-wise kernels (weight-gradient
// row, axpy, Adam) do the scalar operations in the scalar order and agree bit
// for bit. Tails (n % 4) fall back to scalar steps.
//
// The relaxed build (ASC_FEATURE_RELAXED_SIMD, build/ff-core.relaxed.wasm) is
// NOT bit-identical across runtimes: the gradient rows' `madd` and Adam's
// updates (adam4Relaxed) become f32x4.relaxed_madd/nmadd, which a runtime may
// run fused (one rounding: x86 FMA3, Arm FMLA) or as mul + add. The forward
// dot products keep mul + add: fused, their accumulator chains wait on the
// FMA's longer latency (measured 1.33x slower in V8 11.3, docs/speed.md). In
// the deterministic SIMD build these branches compile away: its bytes do not
// change.

import { storeUnit } from "./matrix";

/**
 * y[r, j] = relu(W[j] . x[r] + b[j]). Two rows share each load of W; each row
 * sums in two f32x4 accumulators (8 products per iteration), so consecutive
 * adds do not wait on each other (measured 1-5% off a 784-500-500 step in V8).
 */
export function denseForwardSimd(W: usize, b: usize, x: usize, y: usize, R: i32, I: i32, O: i32, relu: bool): void {
  const rowBytes = <usize>I * sizeof<f32>();
  const I8 = I & ~7, I4 = I & ~3;
  for (let j = 0; j < O; j++) {
    const w = W + <usize>j * rowBytes;
    const bias = load<f32>(b + <usize>j * sizeof<f32>());
    let r = 0;
    for (; r + 1 < R; r += 2) { // two rows share each load of W
      const x0 = x + <usize>r * rowBytes, x1 = x0 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      let i = 0;
      for (; i < I8; i += 8) {
        const off = <usize>i * sizeof<f32>();
        const wv = v128.load(w + off), wu = v128.load(w + off, 16);
        a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(x0 + off)));
        a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(x1 + off)));
        c0 = f32x4.add(c0, f32x4.mul(wu, v128.load(x0 + off, 16)));
        c1 = f32x4.add(c1, f32x4.mul(wu, v128.load(x1 + off, 16)));
      }
      for (; i < I4; i += 4) {
        const off = <usize>i * sizeof<f32>();
        const wv = v128.load(w + off);
        a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(x0 + off)));
        a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(x1 + off)));
      }
      let s0 = sumLanes(f32x4.add(a0, c0)), s1 = sumLanes(f32x4.add(a1, c1));
      for (; i < I; i++) {
        const wi = load<f32>(w + <usize>i * sizeof<f32>());
        s0 += wi * load<f32>(x0 + <usize>i * sizeof<f32>());
        s1 += wi * load<f32>(x1 + <usize>i * sizeof<f32>());
      }
      s0 += bias; s1 += bias;
      storeUnit(y, r, j, O, s0, relu);
      storeUnit(y, r + 1, j, O, s1, relu);
    }
    if (r < R) {
      const x0 = x + <usize>r * rowBytes;
      let a0 = f32x4.splat(0), c0 = f32x4.splat(0);
      let i = 0;
      for (; i < I8; i += 8) {
        const off = <usize>i * sizeof<f32>();
        a0 = f32x4.add(a0, f32x4.mul(v128.load(w + off), v128.load(x0 + off)));
        c0 = f32x4.add(c0, f32x4.mul(v128.load(w + off, 16), v128.load(x0 + off, 16)));
      }
      for (; i < I4; i += 4) {
        const off = <usize>i * sizeof<f32>();
        a0 = f32x4.add(a0, f32x4.mul(v128.load(w + off), v128.load(x0 + off)));
      }
      let s0 = sumLanes(f32x4.add(a0, c0));
      for (; i < I; i++) s0 += load<f32>(w + <usize>i * sizeof<f32>()) * load<f32>(x0 + <usize>i * sizeof<f32>());
      s0 += bias;
      storeUnit(y, r, j, O, s0, relu);
    }
  }
}

/**
 * acc + a b. Relaxed build: one f32x4.relaxed_madd (fused or not, the runtime's
 * choice: relaxed SIMD proposal, "Relaxed fused multiply-add"); otherwise the
 * plain mul then add, bit for bit the scalar order.
 */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function sumLanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** dense.ts scaledRow: g[i] = 0 + d x[i], the scalar operations in order (bit-identical). */
export function scaledRowSimd(g: usize, x: usize, d: f32, n: i32): void {
  const zero = f32x4.splat(0), v = f32x4.splat(d);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i * sizeof<f32>();
    v128.store(g + off, f32x4.add(zero, f32x4.mul(v, v128.load(x + off))));
  }
  for (; i < n; i++) {
    const off = <usize>i * sizeof<f32>();
    store<f32>(g + off, <f32>0 + d * load<f32>(x + off));
  }
}

/**
 * dense.ts scaledRowPair: g[i] = (0 + d0 x0[i]) + d1 x1[i], bit-identical to the
 * scalar loop. Measured in V8 on 784-500-500: with scaledRowSimd, ~35% less time
 * for the weight-gradient rows than fill + two axpy passes.
 */
export function scaledRowPairSimd(g: usize, x0: usize, d0: f32, x1: usize, d1: f32, n: i32): void {
  const zero = f32x4.splat(0), v0 = f32x4.splat(d0), v1 = f32x4.splat(d1);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i * sizeof<f32>();
    v128.store(g + off, madd(f32x4.add(zero, f32x4.mul(v0, v128.load(x0 + off))), v1, v128.load(x1 + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i * sizeof<f32>();
    store<f32>(g + off, (<f32>0 + d0 * load<f32>(x0 + off)) + d1 * load<f32>(x1 + off));
  }
}

/** g[i] += d * x[i] for i < n (the weight-gradient row update). */
export function axpySimd(g: usize, x: usize, d: f32, n: i32): void {
  const dv = f32x4.splat(d);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i * sizeof<f32>();
    v128.store(g + off, madd(v128.load(g + off), dv, v128.load(x + off)));
  }
  for (; i < n; i++) {
    const at = g + <usize>i * sizeof<f32>();
    store<f32>(at, load<f32>(at) + d * load<f32>(x + <usize>i * sizeof<f32>()));
  }
}

/**
 * Adam with decoupled decay on n parameters (optimizer.ts), element by element
 * the scalar loop's operations in its order, so bit-identical to it. 16 per
 * iteration: measured ~30% faster in V8 than 4 per iteration (the loop's
 * overhead and its re-splatted constants are shared by four vectors).
 */
export function adamSimd(p: usize, g: usize, n: i32, stateOffset: usize, b1: f32, b2: f32, step: f32, eps: f32, decay: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2);
  const vc1 = f32x4.splat(1 - b1), vc2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(step), veps = f32x4.splat(eps), vdecay = f32x4.splat(decay);
  const n16 = n & ~15, n4 = n & ~3;
  let i = 0;
  for (; i < n16; i += 16) {
    const at = p + <usize>i * sizeof<f32>(), gi = g + <usize>i * sizeof<f32>();
    adam4(at, gi, stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
    adam4(at + 16, gi + 16, stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
    adam4(at + 32, gi + 32, stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
    adam4(at + 48, gi + 48, stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
  }
  for (; i < n4; i += 4) {
    adam4(p + <usize>i * sizeof<f32>(), g + <usize>i * sizeof<f32>(), stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
  }
  for (; i < n; i++) {
    const at = p + <usize>i * sizeof<f32>();
    const grad = load<f32>(g + <usize>i * sizeof<f32>());
    const m = b1 * load<f32>(at + stateOffset) + (1 - b1) * grad;
    const v = b2 * load<f32>(at + 2 * stateOffset) + (1 - b2) * grad * grad;
    store<f32>(at + stateOffset, m);
    store<f32>(at + 2 * stateOffset, v);
    const w = load<f32>(at);
    store<f32>(at, w - step * m / (sqrt<f32>(v) + eps) - decay * w);
  }
}

/** One vector of adamSimd: parameters at `at`, gradient at `g`, m and v stateOffset and 2 stateOffset further. */
// @ts-ignore: decorator
@inline function adam4(at: usize, g: usize, stateOffset: usize, vb1: v128, vb2: v128, vc1: v128, vc2: v128, vstep: v128, veps: v128, vdecay: v128): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    adam4Relaxed(at, g, stateOffset, vb1, vb2, vc1, vc2, vstep, veps, vdecay);
    return;
  }
  const grad = v128.load(g);
  const m = f32x4.add(f32x4.mul(vb1, v128.load(at + stateOffset)), f32x4.mul(vc1, grad));
  const v = f32x4.add(f32x4.mul(vb2, v128.load(at + 2 * stateOffset)), f32x4.mul(f32x4.mul(vc2, grad), grad));
  v128.store(at + stateOffset, m);
  v128.store(at + 2 * stateOffset, v);
  const w = v128.load(at);
  const update = f32x4.div(f32x4.mul(vstep, m), f32x4.add(f32x4.sqrt(v), veps));
  v128.store(at, f32x4.sub(f32x4.sub(w, update), f32x4.mul(vdecay, w)));
}

/**
 * adam4 for the relaxed build: the same formulas with m, v and the decayed
 * weight each one relaxed_madd/relaxed_nmadd (fused on x86 with FMA3, where the
 * reference rounds twice); sqrt and the division stay exact. An rsqrt estimate
 * with two Newton steps in place of sqrt + div was measured no faster in V8 11.3
 * (docs/speed.md), so the rounding stays the reference's but for the fusions.
 */
// @ts-ignore: decorator
@inline function adam4Relaxed(at: usize, g: usize, stateOffset: usize, vb1: v128, vb2: v128, vc1: v128, vc2: v128, vstep: v128, veps: v128, vdecay: v128): void {
  const grad = v128.load(g);
  const m = f32x4.relaxed_madd(vb1, v128.load(at + stateOffset), f32x4.mul(vc1, grad));
  const v = f32x4.relaxed_madd(vb2, v128.load(at + 2 * stateOffset), f32x4.mul(f32x4.mul(vc2, grad), grad));
  v128.store(at + stateOffset, m);
  v128.store(at + 2 * stateOffset, v);
  const w = v128.load(at);
  const update = f32x4.div(f32x4.mul(vstep, m), f32x4.add(f32x4.sqrt(v), veps));
  v128.store(at, f32x4.relaxed_nmadd(vdecay, w, f32x4.sub(w, update)));
}
