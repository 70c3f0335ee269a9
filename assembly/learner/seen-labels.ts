// Labels seen so far (config Flag.SEEN_LABELS): for class-incremental
// streams, FF's negative labels and its goodness prediction range over the
// labels trained so far instead of all C, so a step never spends its negative
// on a class that has not arrived and prediction never picks one (the
// "seen classes only" masking of class-incremental replay methods, e.g.
// Ahn et al. 2021, applied to FF's label overlay).
//
// A label is seen once a step trains it (streamed or replayed). Until some
// label other than the true one is seen, the draw is over all C as usual.
// Loaded weights mark every label seen (their classes are unknown).
//
// Non-goals: the softmax head (predictByHead) is not masked.

import { MAX_CLASSES } from "./config";

let on: bool = false;
let mask: u64 = 0;

/** At configure: the flag, and nothing seen. */
export function seenSetup(enabled: bool): void { on = enabled; mask = 0; }

/** Weights were loaded: every label counts as seen. */
export function seenAll(): void { mask = ~(<u64>0); }

export function seenOnly(): bool { return on; }

// @ts-ignore: decorator
@inline export function markSeen(label: i32): void {
  if (on && <u32>label < <u32>MAX_CLASSES) mask |= (<u64>1) << <u64>label;
}

// @ts-ignore: decorator
@inline export function isSeen(c: i32): bool {
  return !on || (mask & ((<u64>1) << <u64>c)) != 0;
}

/** Seen labels other than `label` among the first C (0 when the flag is off). */
export function seenOthers(label: i32, classes: i32): i32 {
  if (!on) return 0;
  const all = classes >= 64 ? ~(<u64>0) : ((<u64>1) << <u64>classes) - 1;
  const others = mask & all & ~((<u64>1) << <u64>label);
  return <i32>popcnt<u64>(others);
}

/** The k-th (from 0) seen label other than `label`. */
export function nthSeenOther(label: i32, k: i32, classes: i32): i32 {
  for (let c = 0; c < classes; c++) {
    if (c == label || !isSeen(c)) continue;
    if (k == 0) return c;
    k--;
  }
  return -1; // unreachable: k < seenOthers(label, classes)
}
