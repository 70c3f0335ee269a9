// Deterministic PRNG: xoshiro128** (Blackman & Vigna, 2018), seeded through
// splitmix32. 32-bit integer operations only, so the host's TypeScript
// reference (host/learner/reference/prng.ts) reproduces the stream exactly:
// same seed + same samples => bit-identical weights on every runtime.

let s0: u32 = 1;
let s1: u32 = 2;
let s2: u32 = 3;
let s3: u32 = 4;

function splitmix32(state: u32): u32 {
  let z = state + 0x9e3779b9;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

export function seedRandom(seed: u32): void {
  s0 = splitmix32(seed);
  s1 = splitmix32(s0 ^ 0x6a09e667);
  s2 = splitmix32(s1 ^ 0xbb67ae85);
  s3 = splitmix32(s2 ^ 0x3c6ef372);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1; // the all-zero state is a fixed point
}

export function nextU32(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** Uniform in [0, 1) with 24 bits: exact in f32. */
export function nextUnit(): f32 {
  return <f32>(nextU32() >>> 8) * (1.0 / 16777216.0);
}

/** Uniform integer in [0, n), n >= 1 (multiply-shift; bias < 2^-32 * n). */
export function nextBelow(n: u32): u32 {
  return <u32>((<u64>nextU32() * <u64>n) >>> 32);
}

/**
 * Copies the generator state to 16 bytes at p, or back from them: prediction
 * with a stochastic rule draws from its own fixed stream and then restores
 * training's, so evaluating does not change what training draws next.
 */
export function saveRandom(p: usize): void {
  store<u32>(p, s0); store<u32>(p, s1, 4); store<u32>(p, s2, 8); store<u32>(p, s3, 12);
}
export function restoreRandom(p: usize): void {
  s0 = load<u32>(p); s1 = load<u32>(p, 4); s2 = load<u32>(p, 8); s3 = load<u32>(p, 12);
}
