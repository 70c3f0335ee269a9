// f32-only elementary functions for the hot paths. AssemblyScript's Mathf.exp
// goes through f64, which is soft-float on a Cortex-M4F (DESIGN.md, measured);
// these stay in single precision. Accuracy ~2 ulp over the ranges used here
// (goodness logits, softmax logits), checked against Math.exp/Math.log in
// host/learner/mathf32.test.ts.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504;
// ln 2 split in a high part exact in f32 and a low correction (Cody & Waite).
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693145752;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = 1.42860677e-6;

/** e^x in f32. Overflows to +inf above ~88.7, underflows to 0 below ~-103. */
export function expf(x: f32): f32 {
  if (x > 88.72283) return Infinity;
  if (x < -103.0) return 0;
  const n = nearest<f32>(x * LOG2E);
  const r = (x - n * LN2_HI) - n * LN2_LO; // |r| <= ln2/2
  // Taylor terms to r^6: error < 2e-8 relative on |r| <= 0.347.
  let p: f32 = 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // Scale by 2^n in two steps so n down to -149 still gives subnormals.
  let k = <i32>n;
  if (k < -126) {
    p *= reinterpret<f32>((k + 126 + 127) << 23);
    k = -126;
  }
  return p * reinterpret<f32>((k + 127) << 23);
}

/** Natural log in f32 for x > 0 (log(0) = -inf, log(x<0) = NaN). */
export function logf(x: f32): f32 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  let bits = reinterpret<u32>(x);
  let e: i32 = 0;
  if (bits < 0x00800000) { // subnormal: scale up by 2^25
    x *= 33554432.0;
    bits = reinterpret<u32>(x);
    e = -25;
  }
  // Put the mantissa m in [sqrt(1/2), sqrt(2)).
  bits -= 0x3f3504f3;
  e += (<i32>bits >> 23);
  bits = (bits & 0x007fffff) + 0x3f3504f3;
  const f = reinterpret<f32>(bits) - 1;
  // log(1+f) = 2 atanh(s), s = f / (2 + f); odd series in s.
  const s = f / (2 + f);
  const s2 = s * s;
  let p: f32 = 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  return 2 * s * p + <f32>e * LN2_HI + <f32>e * LN2_LO;
}

/** Logistic sigmoid 1 / (1 + e^-x). */
export function sigmoidf(x: f32): f32 {
  return 1 / (1 + expf(-x));
}

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|. */
export function softplusf(x: f32): f32 {
  const t = expf(-abs<f32>(x));
  // log1p(t) = log(u) * t / (u - 1), u = 1 + t: cancels the rounding of u
  // (Goldberg 1991, "What every computer scientist should know...", thm 4).
  const u: f32 = 1 + t;
  const log1p: f32 = u == 1 ? t : logf(u) * (t / (u - 1));
  return max<f32>(x, 0) + log1p;
}
