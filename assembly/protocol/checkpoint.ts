// CHECKPOINT_PUT receiver (docs/protocol.md §5.7): chunks are staged in order into
// a caller-owned buffer and the whole blob's CRC-32 is checked before the caller
// applies it. A transfer that breaks (gap, changed total or CRC field, bad CRC) is
// abandoned; the learner's weights are never touched with a partial blob.

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

export function checkpointReset(): void { active = false; total = 0; received = 0; expectedCrc = 0; }

/**
 * Stage one CHECKPOINT_PUT chunk (payload already passed checkRequest) into
 * stage[0 .. stageCapacity). offset 0 starts a new transfer. Returns
 * CHECKPOINT_MORE, CHECKPOINT_COMPLETE, ERR_CHECKPOINT_SEQUENCE or ERR_CHECKPOINT_CRC.
 */
export function checkpointPutChunk(p: usize, payloadLength: i32, stage: usize, stageCapacity: u32): i32 {
  let offset = chunkOffset(p);
  let n = <u32>chunkLength(payloadLength);
  if (offset == 0) {
    if (chunkTotal(p) > stageCapacity) { active = false; return ERR_CHECKPOINT_SEQUENCE; }
    active = true; total = chunkTotal(p); received = 0; expectedCrc = chunkBlobCrc(p);
  } else if (!active || offset != received || chunkTotal(p) != total || chunkBlobCrc(p) != expectedCrc) {
    active = false;
    return ERR_CHECKPOINT_SEQUENCE;
  }
  memory.copy(stage + <usize>offset, chunkData(p), <usize>n);
  received += n;
  if (received < total) return CHECKPOINT_MORE;
  active = false;
  return crc32Update(0, stage, <i32>total) == expectedCrc ? CHECKPOINT_COMPLETE : ERR_CHECKPOINT_CRC;
}

/** Bytes staged so far in the current transfer. */
export function checkpointReceived(): u32 { return received; }
