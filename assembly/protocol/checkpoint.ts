// CHECKPOINT_PUT receiver (docs/protocol.md §5.5, §5.13): chunks arrive in order
// and the whole blob's CRC-32 is checked, as a running CRC, when the last one is
// in. A transfer that breaks (gap, changed total or CRC field, bad CRC) is
// abandoned. Weights are staged into a caller-owned buffer and applied only
// whole; a full-state snapshot is written in place by the caller
// (learner/snapshot.ts), which keeps the learner unconfigured until it is whole.

import { crc32Update } from "./crc32";
import { ERR_CHECKPOINT_CRC, ERR_CHECKPOINT_SEQUENCE } from "./errors";
import { chunkBlobCrc, chunkData, chunkLength, chunkOffset, chunkTotal } from "./messages";

/** checkpointPutChunk results that are not error codes. */
export const CHECKPOINT_MORE: i32 = 0;     // chunk staged, more to come: reply ACK_APPLIED
export const CHECKPOINT_COMPLETE: i32 = 1; // whole blob staged and its CRC matches: apply it, then reply

let active = false;
let total: u32 = 0;
let received: u32 = 0;
let expectedCrc: u32 = 0;
let runningCrc: u32 = 0;

export function checkpointReset(): void { active = false; total = 0; received = 0; expectedCrc = 0; runningCrc = 0; }

/**
 * Checks one chunk's place in the transfer (offset 0 starts a new one; a total
 * over `capacity` is refused). Returns true if the caller may now store
 * chunkData(p) at chunkOffset(p) and call checkpointChunkStored; false after
 * ERR_CHECKPOINT_SEQUENCE (the transfer is abandoned, nothing to store).
 */
export function checkpointChunkFits(p: usize, capacity: u32): bool {
  const offset = chunkOffset(p);
  if (offset == 0) {
    if (chunkTotal(p) > capacity) { active = false; return false; }
    active = true; total = chunkTotal(p); received = 0; expectedCrc = chunkBlobCrc(p); runningCrc = 0;
    return true;
  }
  if (!active || offset != received || chunkTotal(p) != total || chunkBlobCrc(p) != expectedCrc) {
    active = false;
    return false;
  }
  return true;
}

/**
 * The chunk checkpointChunkFits accepted is stored: returns CHECKPOINT_MORE,
 * CHECKPOINT_COMPLETE or ERR_CHECKPOINT_CRC.
 */
export function checkpointChunkStored(p: usize, payloadLength: i32): i32 {
  const n = chunkLength(payloadLength);
  runningCrc = crc32Update(runningCrc, chunkData(p), n);
  received += <u32>n;
  if (received < total) return CHECKPOINT_MORE;
  active = false;
  return runningCrc == expectedCrc ? CHECKPOINT_COMPLETE : ERR_CHECKPOINT_CRC;
}

/**
 * Stage one CHECKPOINT_PUT chunk (payload already passed checkRequest) into
 * stage[0 .. stageCapacity). offset 0 starts a new transfer. Returns
 * CHECKPOINT_MORE, CHECKPOINT_COMPLETE, ERR_CHECKPOINT_SEQUENCE or ERR_CHECKPOINT_CRC.
 */
export function checkpointPutChunk(p: usize, payloadLength: i32, stage: usize, stageCapacity: u32): i32 {
  if (!checkpointChunkFits(p, stageCapacity)) return ERR_CHECKPOINT_SEQUENCE;
  memory.copy(stage + <usize>chunkOffset(p), chunkData(p), <usize>chunkLength(payloadLength));
  return checkpointChunkStored(p, payloadLength);
}

/** Bytes staged so far in the current transfer. */
export function checkpointReceived(): u32 { return received; }
