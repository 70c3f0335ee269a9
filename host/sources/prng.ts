// A small, seedable integer PRNG for reproducible host-side data: epoch order
// (shuffles) and synthetic sensor data. Not cryptographic, not the device's
// PRNG (the learner has its own in assembly/learner); only the host uses it.
//
// Generator: xorshift32 (G. Marsaglia, "Xorshift RNGs", Journal of Statistical
// Software 8(14), 2003), shift triple (13, 17, 5), period 2^32 - 1. The state
// must never be 0, so a seed is first scrambled with the MurmurHash3 32-bit
// finalizer (fmix32): nearby seeds (0, 1, 2, ...) then give unrelated streams
// and seed 0 is valid. All arithmetic is on uint32 via `>>> 0` / Math.imul, so
// every JS engine produces the same sequence.

/** MurmurHash3 fmix32: a bijective avalanche on uint32. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkSeed(seed: number, what = 'seed'): void {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`${what} must be a safe integer, got ${seed}`);
}

/**
 * Combines integers (a seed and, e.g., an epoch number) into one uint32 seed.
 * Order matters: mixSeed(1, 2) !== mixSeed(2, 1).
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    checkSeed(p, 'mixSeed part');
    // Fold both 32-bit halves so seeds above 2^32 still matter.
    const lo = p >>> 0;
    const hi = Math.floor(p / 0x100000000) >>> 0;
    h = fmix32((h ^ lo) >>> 0);
    h = fmix32((h ^ hi ^ 0x5bd1e995) >>> 0);
  }
  return h;
}

export class Rng {
  private state: number;

  /** `seed`: any safe integer; equal seeds give equal streams. */
  constructor(seed: number) {
    checkSeed(seed);
    const s = mixSeed(seed);
    this.state = s === 0 ? 0x6d2b79f5 : s;
  }

  /** Next uint32 (xorshift32). */
  nextU32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n), unbiased (rejects the top partial block of 2^32). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new TypeError(`n must be an integer in 1..2^32, got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Standard normal variate (Box-Muller; one of the pair, the other discarded). */
  normal(): number {
    // 1 - float() is in (0, 1], so log never sees 0.
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** +1 or -1 with equal probability. */
  sign(): number {
    return this.nextU32() & 1 ? 1 : -1;
  }
}

/**
 * A permutation of 0..n-1 (Fisher-Yates, drawing from `Rng(seed)`).
 * For a per-epoch order use `shuffledIndices(n, mixSeed(seed, epoch))`.
 */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  return permutation(n, (bound) => rng.int(bound));
}

/**
 * A permutation of 0..n-1 by Fisher-Yates (Knuth, TAOCP vol. 2, Algorithm 3.4.2 P),
 * from last to first, drawing j = below(i + 1) in [0, i]: the one shuffle of the
 * host. `below` picks the generator (Rng here, the learner's xoshiro128** in fit.ts).
 */
export function permutation(n: number, below: (bound: number) => number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new TypeError(`n must be a non-negative integer below 2^32, got ${n}`);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = below(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
