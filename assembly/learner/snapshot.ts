// Full-state snapshot: everything a training step reads, so a learner
// restored from it continues exactly as the one it was taken from (same
// samples after it => byte-identical weights; docs/protocol.md §5.13).
// The weights checkpoint (params only, optimizer restarted) stays as it is.
//
// Blob = a small header of the learner's scalars, then the whole arena:
//
//   0  magic u32 "FFS1" | 4 arenaBytes u32 | 8 configCrc u32 | 12 configLength u32
//   16 steps u32 | scheduleOrigin u32 | hasPrevious u32        (state.ts)
//   28 b1^t f32 | b2^t f32 | adamScale f32 | adamEps f32        (optimizer.ts)
//   44 xoshiro128** s0..s3 u32                                  (prng.ts)
//   60 drift count u32 | mean | up | upMin | down | downMax f32 (drift.ts)
//   84 replay seen u32 | filled u32                             (replay.ts)
//   92 replay credit f32                                        (continual.ts)
//   96 arena [arenaBase, arenaBase + arenaBytes): params (with pepita-mirror's F),
//      optimizer moments, running means, traces, hybrid negatives' previous input,
//      the continual block (replay slots, counters), and the scratch rows.
//
// The arena is copied whole rather than region by region: any state a rule
// keeps there is in the snapshot by construction, at the price of a few rows
// of scratch (activations are small next to the parameters and their moments).
// A restore writes the arena in place (no second copy, so a 64 KiB part can
// do it) and leaves the learner unconfigured until the whole blob is in and
// checked: a torn restore is never trained on.
//
// Non-goals: the config itself (CONFIGURE first, then restore); compression.

import { arenaBase } from "./arena";
import { arenaBytes, configuredLength } from "./configure";
import { configArea } from "./config";
import { configured, setConfigured, saveProgress, restoreProgress } from "./state";
import { saveOptimizer, restoreOptimizer } from "./optimizer";
import { saveRandom, restoreRandom } from "./prng";
import { saveDrift, restoreDrift } from "./drift";
import { saveReplay, restoreReplay } from "./replay";
import { saveContinual, restoreContinual } from "./continual";
import { crc32Update } from "../protocol/crc32";
import { OK, fail, ERR_NOT_CONFIGURED, ERR_SNAPSHOT_MISMATCH } from "./errors";

/** Bytes of the header before the arena. */
export const SNAPSHOT_HEADER_BYTES: u32 = 96;
const SNAPSHOT_MAGIC: u32 = 0x31534646; // "FFS1"

// @ts-ignore: decorator
@lazy const header: usize = memory.data(<i32>SNAPSHOT_HEADER_BYTES, 16);

/** Where the header is staged (in and out). */
export function snapshotHeader(): usize { return header; }

/** Bytes of the whole blob for the configured learner (0 when unconfigured). */
export function snapshotBytes(): u32 {
  return configured ? SNAPSHOT_HEADER_BYTES + <u32>arenaBytes() : 0;
}

function configFingerprint(): u32 { return crc32Update(0, configArea, configuredLength()); }

/** Writes the scalars into the header; the arena is read in place. */
export function snapshotCapture(): void {
  store<u32>(header, SNAPSHOT_MAGIC);
  store<u32>(header, <u32>arenaBytes(), 4);
  store<u32>(header, configFingerprint(), 8);
  store<u32>(header, <u32>configuredLength(), 12);
  saveProgress(header + 16);
  saveOptimizer(header + 28);
  saveRandom(header + 44);
  saveDrift(header + 60);
  saveReplay(header + 84);
  saveContinual(header + 92);
}

/** CRC-32 of the blob (after snapshotCapture). */
export function snapshotCrc(): u32 {
  const crc = crc32Update(0, header, <i32>SNAPSHOT_HEADER_BYTES);
  return crc32Update(crc, arenaBase, <i32>arenaBytes());
}

/** Copies blob bytes [offset, offset + n) to dst (the caller checked the range). */
export function snapshotRead(offset: u32, dst: usize, n: u32): void {
  while (n > 0) {
    const inHeader = offset < SNAPSHOT_HEADER_BYTES;
    const from = inHeader ? header + <usize>offset : arenaBase + <usize>(offset - SNAPSHOT_HEADER_BYTES);
    const part = inHeader ? min<u32>(n, SNAPSHOT_HEADER_BYTES - offset) : n;
    memory.copy(dst, from, <usize>part);
    dst += <usize>part; offset += part; n -= part;
  }
}

/** Starts a restore: the learner is unconfigured until snapshotApply succeeds. */
export function snapshotBeginRestore(): void { setConfigured(false); }

/** Copies n bytes from src into blob bytes [offset, offset + n): header or arena in place. */
export function snapshotWrite(offset: u32, src: usize, n: u32): void {
  while (n > 0) {
    const inHeader = offset < SNAPSHOT_HEADER_BYTES;
    const to = inHeader ? header + <usize>offset : arenaBase + <usize>(offset - SNAPSHOT_HEADER_BYTES);
    const part = inHeader ? min<u32>(n, SNAPSHOT_HEADER_BYTES - offset) : n;
    memory.copy(to, src, <usize>part);
    src += <usize>part; offset += part; n -= part;
  }
}

/**
 * The whole blob is written (and its CRC checked by the caller): checks it
 * belongs to this config and restores the scalars. OK leaves the learner
 * configured, exactly as it was when the snapshot was taken.
 */
export function snapshotApply(): i32 {
  if (configuredLength() == 0) return fail(ERR_NOT_CONFIGURED, 0);
  const expected = <i32>(SNAPSHOT_HEADER_BYTES + <u32>arenaBytes());
  if (load<u32>(header) != SNAPSHOT_MAGIC || load<u32>(header, 4) != <u32>arenaBytes()
    || load<u32>(header, 12) != <u32>configuredLength() || load<u32>(header, 8) != configFingerprint()) {
    setConfigured(false);
    return fail(ERR_SNAPSHOT_MISMATCH, expected);
  }
  restoreProgress(header + 16);
  restoreOptimizer(header + 28);
  restoreRandom(header + 44);
  restoreDrift(header + 60);
  restoreReplay(header + 84);
  restoreContinual(header + 92);
  setConfigured(true);
  return OK;
}
