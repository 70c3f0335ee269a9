// Plain reference of the device's replay buffer (assembly/learner/replay.ts):
// the same insertion rules drawing from the same PRNG stream, and the same
// int8 (or int4: "int4" storage, one affine range per sample) quantisation in
// f32 (Math.fround at every step), so a test can hold the wasm to it slot by
// slot.
//
//   reservoir       Vitter's algorithm R (Vitter 1985).
//   class-balanced  class-balanced reservoir sampling (Chrysakis & Moens 2020).

import type { Xoshiro128 } from './prng.js';

export type ReservoirMode = 'reservoir' | 'class-balanced';
export type ReservoirStorage = 'raw' | 'int4';

const QMAX = 127;
const QMAX_INT4 = 15;
const f = Math.fround;

export class ReferenceReservoir {
  readonly labels: number[] = [];
  readonly scales: number[] = [];
  /** int4: each sample's lowest value (x' = lo + q * scale). */
  readonly lows: number[] = [];
  /** int8 codes, or int4 codes 0..15 one per element. */
  readonly values: Int8Array[] = [];
  private seen = 0;
  private readonly stored: number[];
  private readonly seenPerClass: number[];

  constructor(
    readonly mode: ReservoirMode,
    readonly capacity: number,
    readonly classes: number,
    private readonly rng: Xoshiro128,
    readonly storage: ReservoirStorage = 'raw',
  ) {
    this.stored = new Array<number>(classes).fill(0);
    this.seenPerClass = new Array<number>(classes).fill(0);
  }

  get filled(): number {
    return this.labels.length;
  }

  /** Offers a sample; returns the slot it went to or -1. */
  offer(input: ArrayLike<number>, label: number): number {
    const slot = this.mode === 'class-balanced' ? this.balancedSlot(label) : this.reservoirSlot();
    if (slot >= 0) this.put(slot, input, label);
    return slot;
  }

  /** Slot i as f32 values (q * scale), as the device trains it. */
  load(i: number): Float32Array {
    const scale = this.scales[i]!;
    if (this.storage === 'int4') {
      const lo = this.lows[i]!;
      return Float32Array.from(this.values[i]!, (q) => f(lo + f(q * scale)));
    }
    return Float32Array.from(this.values[i]!, (q) => f(q * scale));
  }

  private reservoirSlot(): number {
    this.seen++;
    if (this.filled < this.capacity) return this.filled;
    const j = this.rng.nextBelow(this.seen);
    return j < this.capacity ? j : -1;
  }

  private balancedSlot(label: number): number {
    const seenC = ++this.seenPerClass[label]!;
    this.seen++;
    if (this.filled < this.capacity) {
      this.stored[label]!++;
      return this.filled;
    }
    let largest = 0;
    for (let c = 1; c < this.classes; c++) if (this.stored[c]! > this.stored[largest]!) largest = c;
    const storedC = this.stored[label]!;
    let victim: number;
    let k: number;
    if (storedC < this.stored[largest]!) {
      victim = largest;
      k = this.rng.nextBelow(this.stored[largest]!);
    } else {
      const u = this.rng.nextBelow(seenC);
      if (u >= storedC) return -1;
      victim = label;
      k = u;
    }
    const slot = this.labels.findIndex((l) => l === victim && k-- === 0);
    this.stored[victim]!--;
    this.stored[label]!++;
    return slot;
  }

  private put(slot: number, input: ArrayLike<number>, label: number): void {
    if (this.storage === 'int4') {
      this.put4(slot, input, label);
      return;
    }
    let top = 0;
    for (let i = 0; i < input.length; i++) top = Math.max(top, Math.abs(f(input[i]!)));
    const scale = top > 0 ? f(top / QMAX) : 1;
    const q = new Int8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const v = Math.floor(f(f(f(input[i]!) / scale) + 0.5));
      q[i] = Math.min(QMAX, Math.max(-QMAX, v));
    }
    this.labels[slot] = label;
    this.scales[slot] = scale;
    this.values[slot] = q;
  }

  private put4(slot: number, input: ArrayLike<number>, label: number): void {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < input.length; i++) {
      lo = Math.min(lo, f(input[i]!));
      hi = Math.max(hi, f(input[i]!));
    }
    const scale = hi > lo ? f(f(hi - lo) / QMAX_INT4) : 1;
    const q = new Int8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      q[i] = Math.min(QMAX_INT4, Math.max(0, Math.floor(f(f(f(f(input[i]!) - lo) / scale) + 0.5))));
    }
    this.labels[slot] = label;
    this.lows[slot] = lo;
    this.scales[slot] = scale;
    this.values[slot] = q;
  }
}
