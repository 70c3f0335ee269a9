// Device side of reliable delivery (docs/protocol.md §6): the sequence filter and
// the reply cache. The device applies a sequenced request only when its seq is the
// next expected one, so nothing is applied twice or out of order; it keeps the
// encoded replies of the last WINDOW requests so a retransmitted duplicate gets
// the same answer again instead of being re-applied.
//
// Sequence numbers are u16 and wrap; "before/after" is the sign of the 16-bit
// difference (RFC 1982 serial arithmetic), valid while |difference| < 32768.
//
// Reply cache: WINDOW slots of CACHE_SLOT_BYTES, slot = seq % WINDOW.
//   +-----------------+-----------------+-----+
//   | slot 0 (frame)  | slot 1 (frame)  | ... |   CACHE: WINDOW * CACHE_SLOT_BYTES
//   +-----------------+-----------------+-----+
//   SLOT_META: per slot  seq u16 | length u16   (length 0 = nothing cached)

/** Requests the host may keep in flight; advertised in HELLO. Power of two. */
export const WINDOW: i32 = 8;
/**
 * Largest encoded reply kept for re-sending (larger replies are answered by
 * ACK_DUPLICATE_UNCACHED). Holds every GOODNESS record: MAX_LAYERS (8) layers x 6
 * fields encode to 211 bytes (header 4 + 8 + 192 + CRC 4, COBS 2, delimiter 1);
 * CHECKPOINT_DATA chunks are cut to fit. 256, not more: the cache is WINDOW slots
 * of static RAM, and 1 KiB decides whether Adam fits a 64 KiB part.
 */
export const CACHE_SLOT_BYTES: i32 = 256;

/** linkAccept results. */
export const LINK_APPLY: i32 = 0;   // seq == expected: validate, apply, reply, linkCommit
export const LINK_RESEND: i32 = 1;  // duplicate: re-send linkCachedFrame(seq), or ACK_DUPLICATE_UNCACHED if length 0
export const LINK_GAP: i32 = 2;     // a request was lost: send ACK(nextExpected, ACK_GAP)
export const LINK_IGNORE: i32 = 3;  // another gap frame while the gap ACK is out: send nothing

// @ts-ignore: decorator
@lazy const CACHE: usize = memory.data(WINDOW * CACHE_SLOT_BYTES, 16);
// @ts-ignore: decorator
@lazy const SLOT_META: usize = memory.data(WINDOW * 4, 4);

let expected: u32 = 0;
let gapAckedFor: i32 = -1; // expected value a gap ACK was already sent for
let countDuplicates: u32 = 0;
let countGaps: u32 = 0;

/** Start (or restart) the sequence at `nextExpected` and forget all cached replies. */
export function linkReset(nextExpected: u32): void {
  expected = nextExpected & 0xFFFF;
  gapAckedFor = -1;
  countDuplicates = 0;
  countGaps = 0;
  memory.fill(SLOT_META, 0, <usize>(WINDOW * 4));
}

export function linkNextExpected(): u32 { return expected; }

/** Signed 16-bit distance from b to a (a - b), for wrapping sequence numbers. */
// @ts-ignore: decorator
@inline export function seqDiff(a: u32, b: u32): i32 {
  return <i32><i16>(a - b);
}

/** Classify a sequenced request's seq. Does not change state except gap-ACK bookkeeping. */
export function linkAccept(seq: u32): i32 {
  let d = seqDiff(seq, expected);
  if (d == 0) return LINK_APPLY;
  if (d < 0) { countDuplicates++; return LINK_RESEND; }
  countGaps++;
  if (gapAckedFor == <i32>expected) return LINK_IGNORE;
  gapAckedFor = <i32>expected;
  return LINK_GAP;
}

/**
 * The request `seq` (== next expected) was answered with the encoded frame at
 * `frame`: cache it and advance. Returns false (and does nothing) for any other seq.
 */
export function linkCommit(seq: u32, frame: usize, frameLength: i32): bool {
  if ((seq & 0xFFFF) != expected) return false;
  let meta = SLOT_META + (<usize>(seq & <u32>(WINDOW - 1)) << 2);
  if (frameLength > 0 && frameLength <= CACHE_SLOT_BYTES) {
    memory.copy(slotFrame(seq), frame, <usize>frameLength);
    store<u16>(meta, <u16>seq);
    store<u16>(meta, <u16>frameLength, 2);
  } else {
    store<u16>(meta, 0, 2);
  }
  expected = (expected + 1) & 0xFFFF;
  return true;
}

// @ts-ignore: decorator
@inline function slotFrame(seq: u32): usize {
  return CACHE + <usize>((seq & <u32>(WINDOW - 1)) * <u32>CACHE_SLOT_BYTES);
}

/** Length of the cached reply to `seq`, 0 if none is kept (too old, too big, never sent). */
export function linkCachedLength(seq: u32): i32 {
  let meta = SLOT_META + (<usize>(seq & <u32>(WINDOW - 1)) << 2);
  let length = <i32>load<u16>(meta, 2);
  if (length == 0 || <u32>load<u16>(meta) != (seq & 0xFFFF)) return 0;
  let age = seqDiff(expected, seq); // 1 .. WINDOW for a kept reply
  return age >= 1 && age <= WINDOW ? length : 0;
}

/** The cached encoded reply to `seq` (valid when linkCachedLength(seq) > 0). */
export function linkCachedFrame(seq: u32): usize { return slotFrame(seq); }

/** Duplicates seen (LINK_RESEND) and gap frames seen (LINK_GAP + LINK_IGNORE). */
export function linkDuplicates(): u32 { return countDuplicates; }
export function linkGaps(): u32 { return countGaps; }
