// Replay buffer: a reservoir of past samples kept in the arena, stored raw in
// one of two codes (config.ts: REPLAY_STORAGE):
//
//   int8  one symmetric scale per sample (scale = max|x| / 127,
//         q = floor(x / scale + 0.5) clamped to +-127; x' = q * scale);
//   int4  half the bytes, twice the samples in the same buffer: one affine
//         range per sample (lo = min x, scale = (max x - lo) / 15,
//         q = floor((x - lo) / scale + 0.5) clamped to 0..15, two per byte,
//         element 2i in the low nibble; x' = lo + q * scale). The trade: 16
//         levels instead of 255 (MNIST pixels keep 16 grey levels).
//
// Insertion:
//
//   reservoir       Vitter's algorithm R (Vitter 1985): the first N samples
//                   fill the buffer; sample t > N replaces slot j = U[0, t)
//                   if j < N. Every sample seen is kept with probability N/t.
//   class-balanced  class-balanced reservoir sampling (Chrysakis & Moens
//                   2020): when full, a sample of a class that is not (one of)
//                   the largest in the buffer replaces a random sample of the
//                   largest class (lowest class index on a tie); a sample of
//                   a largest class c replaces a random sample of its own class
//                   with probability stored_c / seen_c, else is dropped.
//
// Draws come from the learner's PRNG (prng.ts), so a seed fixes the buffer;
// host/learner/reference/reservoir.ts makes the same draws.
//
//   region (arena.ts: continual)
//   +---------------------------------------------------------------+
//   | slot 0: label i32 | scale f32 | q int8[D] (padded to 4) | ... N |
//   |   (int4: label i32 | lo f32 | scale f32 | q u4[D] (padded to 4)) |
//   | stored per class [C] u32 | seen per class [C] u32              |
//   +---------------------------------------------------------------+
//
// Non-goals: the buffer is not part of a checkpoint (a checkpoint is the
// parameters; after CHECKPOINT_PUT or configure the buffer starts empty).

import { nextBelow } from "./prng";

export const enum ReplayMode {
  OFF = 0,
  RESERVOIR = 1,
  CLASS_BALANCED = 2,
}
// @ts-ignore: decorator
@inline export const REPLAY_MODE_COUNT: u32 = 3;

export const enum ReplayStorage { INT8 = 0, LATENT = 1, INT4 = 2 }

// @ts-ignore: decorator
@inline const SLOT_HEADER: i32 = 8; // label i32, scale f32
// @ts-ignore: decorator
@inline const SLOT_HEADER_INT4: i32 = 12; // label i32, lo f32, scale f32
// @ts-ignore: decorator
@inline const QMAX: f32 = 127;
// @ts-ignore: decorator
@inline const QMAX_INT4: f32 = 15;

let mode: u32 = ReplayMode.OFF;
let capacity: i32 = 0;
let width: i32 = 0;
let storage: u32 = ReplayStorage.INT8;
let classCount: i32 = 0;
let slots: usize = 0;
let stride: usize = 0;
let storedPerClass: usize = 0;
let seenPerClass: usize = 0;
let seen: u32 = 0;
/** Slots holding a sample: min(seen, capacity). */
export let filled: i32 = 0;

/** Bytes of one slot for samples of `inputs` values in `code` (ReplayStorage). */
export function replaySlotBytes(inputs: i32, code: u32): i32 {
  if (code == ReplayStorage.INT4) return SLOT_HEADER_INT4 + ((((inputs + 1) >> 1) + 3) & ~3);
  return SLOT_HEADER + ((inputs + 3) & ~3);
}

/** Bytes of the whole region for N slots, D inputs, C classes (0 when off). */
export function replayBytes(replayMode: u32, slotCount: i32, inputs: i32, classes: i32, code: u32): usize {
  if (replayMode == ReplayMode.OFF) return 0;
  return <usize>slotCount * <usize>replaySlotBytes(inputs, code) + <usize>(2 * classes) * sizeof<u32>();
}

export function replaySetup(at: usize, replayMode: u32, slotCount: i32, inputs: i32, classes: i32, code: u32): void {
  mode = replayMode; capacity = slotCount; width = inputs; classCount = classes; storage = code;
  slots = at;
  stride = <usize>replaySlotBytes(inputs, code);
  storedPerClass = at + <usize>slotCount * stride;
  seenPerClass = storedPerClass + <usize>classes * sizeof<u32>();
  replayReset();
}

/** Samples seen and slots filled as 2 u32 at p (the slots themselves are in the arena; snapshot.ts). */
export function saveReplay(p: usize): void { store<u32>(p, seen); store<i32>(p, filled, 4); }
export function restoreReplay(p: usize): void { seen = load<u32>(p); filled = load<i32>(p, 4); }

export function replayReset(): void {
  seen = 0;
  filled = 0;
  if (mode != ReplayMode.OFF) memory.fill(storedPerClass, 0, <usize>(2 * classCount) * sizeof<u32>());
}

// @ts-ignore: decorator
@inline function slotAt(i: i32): usize { return slots + <usize>i * stride; }
// @ts-ignore: decorator
@inline function counter(base: usize, c: i32): usize { return base + <usize>c * sizeof<u32>(); }

/**
 * Offers one sample (D f32 at `input`, its label) to the buffer; returns the
 * slot it went to, or -1 if it was not kept.
 */
export function replayOffer(input: usize, label: i32): i32 {
  const slot = mode == ReplayMode.CLASS_BALANCED ? balancedSlot(label) : reservoirSlot();
  if (slot >= 0) store_(slotAt(slot), input, label);
  return slot;
}

function reservoirSlot(): i32 {
  seen++;
  if (filled < capacity) return filled++;
  const j = nextBelow(seen);
  return j < <u32>capacity ? <i32>j : -1;
}

function balancedSlot(label: i32): i32 {
  const seenAt = counter(seenPerClass, label);
  const seenC = load<u32>(seenAt) + 1;
  store<u32>(seenAt, seenC);
  seen++;
  if (filled < capacity) {
    bump(label, 1);
    return filled++;
  }
  let largest = 0;
  for (let c = 1; c < classCount; c++) {
    if (load<u32>(counter(storedPerClass, c)) > load<u32>(counter(storedPerClass, largest))) largest = c;
  }
  const storedC = load<u32>(counter(storedPerClass, label));
  const storedL = load<u32>(counter(storedPerClass, largest));
  let victim: i32, k: u32;
  if (storedC < storedL) {
    victim = largest;
    k = nextBelow(storedL);
  } else {
    const u = nextBelow(seenC);
    if (u >= storedC) return -1;
    victim = label;
    k = u;
  }
  const slot = nthOfClass(victim, k);
  bump(victim, -1);
  bump(label, 1);
  return slot;
}

function bump(c: i32, by: i32): void {
  const at = counter(storedPerClass, c);
  store<u32>(at, load<u32>(at) + <u32>by);
}

/** The slot of the k-th (from 0) stored sample of class c, in slot order. */
function nthOfClass(c: i32, k: u32): i32 {
  for (let i = 0; i < filled; i++) {
    if (load<i32>(slotAt(i)) == c) {
      if (k == 0) return i;
      k--;
    }
  }
  return -1; // unreachable: stored counts match the slots
}

function store_(at: usize, input: usize, label: i32): void {
  if (storage == ReplayStorage.INT4) { store4(at, input, label); return; }
  let top: f32 = 0;
  for (let i = 0; i < width; i++) top = max<f32>(top, abs<f32>(load<f32>(input + <usize>i * sizeof<f32>())));
  const scale: f32 = top > 0 ? top / QMAX : 1;
  store<i32>(at, label);
  store<f32>(at, scale, sizeof<i32>());
  const q = at + <usize>SLOT_HEADER;
  for (let i = 0; i < width; i++) {
    let v = floor<f32>(load<f32>(input + <usize>i * sizeof<f32>()) / scale + <f32>0.5);
    v = min<f32>(QMAX, max<f32>(-QMAX, v));
    store<i8>(q + <usize>i, <i8><i32>v);
  }
}

function store4(at: usize, input: usize, label: i32): void {
  let lo: f32 = Infinity, hi: f32 = -Infinity;
  for (let i = 0; i < width; i++) {
    const x = load<f32>(input + <usize>i * sizeof<f32>());
    lo = min<f32>(lo, x); hi = max<f32>(hi, x);
  }
  const scale: f32 = hi > lo ? (hi - lo) / QMAX_INT4 : 1;
  store<i32>(at, label);
  store<f32>(at, lo, sizeof<i32>());
  store<f32>(at, scale, sizeof<i32>() + sizeof<f32>());
  const q = at + <usize>SLOT_HEADER_INT4;
  for (let i = 0; i < width; i += 2) {
    const a = nibble(load<f32>(input + <usize>i * sizeof<f32>()), lo, scale);
    const b = i + 1 < width ? nibble(load<f32>(input + <usize>(i + 1) * sizeof<f32>()), lo, scale) : 0;
    store<u8>(q + <usize>(i >> 1), <u8>(a | (b << 4)));
  }
}

// @ts-ignore: decorator
@inline function nibble(x: f32, lo: f32, scale: f32): i32 {
  return <i32>min<f32>(QMAX_INT4, max<f32>(0, floor<f32>((x - lo) / scale + <f32>0.5)));
}

function load4(at: usize, dst: usize): void {
  const lo = load<f32>(at, sizeof<i32>());
  const scale = load<f32>(at, sizeof<i32>() + sizeof<f32>());
  const q = at + <usize>SLOT_HEADER_INT4;
  for (let j = 0; j < width; j++) {
    const byte = <i32>load<u8>(q + <usize>(j >> 1));
    const v = (j & 1) == 0 ? byte & 15 : byte >> 4;
    store<f32>(dst + <usize>j * sizeof<f32>(), lo + <f32>v * scale);
  }
}

/** Writes slot `i`'s sample as f32 to `dst`; returns its label. */
export function replayLoad(i: i32, dst: usize): i32 {
  const at = slotAt(i);
  if (storage == ReplayStorage.INT4) { load4(at, dst); return load<i32>(at); }
  const scale = load<f32>(at, sizeof<i32>());
  const q = at + <usize>SLOT_HEADER;
  for (let j = 0; j < width; j++) {
    store<f32>(dst + <usize>j * sizeof<f32>(), <f32>load<i8>(q + <usize>j) * scale);
  }
  return load<i32>(at);
}

/** Label held in slot i (for tests and class counts). */
export function replayLabel(i: i32): i32 { return load<i32>(slotAt(i)); }

/** A uniformly drawn filled slot (filled > 0). */
export function replayDraw(): i32 { return <i32>nextBelow(<u32>filled); }
