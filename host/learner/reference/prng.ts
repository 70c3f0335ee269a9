// xoshiro128** seeded through splitmix32: the same stream as
// assembly/learner/prng.ts, in 32-bit integer arithmetic (Math.imul, >>> 0).

function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Xoshiro128 {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    const s = this.s;
    s[0] = splitmix32(seed >>> 0);
    s[1] = splitmix32(s[0] ^ 0x6a09e667);
    s[2] = splitmix32(s[1] ^ 0xbb67ae85);
    s[3] = splitmix32(s[2] ^ 0x3c6ef372);
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 24 bits (exact in f32). */
  nextUnit(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Uniform integer in [0, n). */
  nextBelow(n: number): number {
    return Number((BigInt(this.nextU32()) * BigInt(n)) >> 32n);
  }
}
