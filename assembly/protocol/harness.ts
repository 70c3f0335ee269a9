// Test harness entry (build/protocol-harness.wasm): exposes the device-side codec
// over raw memory so test/protocol-vectors.test.ts can drive it from JS with plain
// WebAssembly.instantiate (no imports, stub runtime). Not part of the device build.
//
// It also holds a reference device loop (simPush): the device program's own
// frame dispatcher (serve.ts) around a toy "learner" that logs what it
// trained, so the host's reliability logic is tested against the real AS link
// code.

import { crc32Update } from "./crc32";
import { ERR_NONE, ERR_UNKNOWN_TYPE } from "./errors";
import {
  cobsEncode as frameCobsEncode, MAX_PAYLOAD, PROTOCOL_VERSION, rxPayload, rxPayloadLength, rxPush, rxSeq, rxType,
  RX_FRAME, txBegin, txFinish,
} from "./frame";
import {
  ACK_APPLIED, checkRequest, checkpointGetMaxLength,
  checkpointGetOffset, MSG_ACK, MSG_CHECKPOINT_DATA, MSG_CHECKPOINT_GET,
  MSG_CHECKPOINT_PUT, MSG_CONFIG_OK, MSG_CONFIGURE, MSG_ERROR, MSG_GOODNESS, MSG_HELLO,
  MSG_INFER, MSG_PONG, MSG_PREDICTION, MSG_RESET, MSG_SAMPLE,
  sampleKind, sampleLabel, sampleToF32, writeAck, writeCheckpointData, writeConfigOk,
  writeError, writeGoodness, writeHello, writePong, writePrediction, writeProtocolError,
} from "./messages";
import { CACHE_SLOT_BYTES, linkNextExpected, linkReset, WINDOW } from "./link";
import { CHECKPOINT_COMPLETE, CHECKPOINT_MORE, checkpointPutChunk, checkpointReset } from "./checkpoint";
import { CHECKPOINT_CHUNK_MAX, serveApplied, serveBoot, serveFrame, serveHelloSeq, servedReply, SERVE_APPLY, SERVE_HELLO } from "./serve";

export {
  rxReset, rxPush, rxFeed, rxLastResult, rxVersion, rxType, rxSeq, rxPayload, rxPayloadLength, rxCount,
  txBegin, txFinish, txFrame,
} from "./frame";
export {
  checkHeader, checkRequest, isSequenced, sampleKind, sampleEncoding, sampleLabel, sampleCount,
  sampleScale, sampleValues, sampleToF32, partTotal, partFirst, partCount, partToF32,
  checkpointGetOffset, checkpointGetMaxLength, chunkOffset, chunkTotal, chunkBlobCrc, chunkData, chunkLength, checkpointGetIsState, chunkIsState,
} from "./messages";
export {
  linkReset, linkAccept, linkCommit, linkCachedLength, linkCachedFrame, linkNextExpected,
  linkDuplicates, linkGaps,
} from "./link";
export { checkpointReset, checkpointPutChunk } from "./checkpoint";

const SCRATCH_BYTES: i32 = 8192;
// @ts-ignore: decorator
@lazy const SCRATCH: usize = memory.data(SCRATCH_BYTES, 16);

/** A scratch area the test writes inputs into (SCRATCH_BYTES long). */
export function scratch(): usize { return SCRATCH; }
export function scratchBytes(): i32 { return SCRATCH_BYTES; }
export function protocolVersion(): u32 { return PROTOCOL_VERSION; }
export function maxPayload(): i32 { return MAX_PAYLOAD; }
export function window(): i32 { return WINDOW; }
export function cacheSlotBytes(): i32 { return CACHE_SLOT_BYTES; }
export function checkpointChunkMax(): i32 { return CHECKPOINT_CHUNK_MAX; }
export function crc32(ptr: usize, length: i32, previous: u32): u32 { return crc32Update(previous, ptr, length); }
export function cobsEncode(src: usize, length: i32, dst: usize): i32 { return frameCobsEncode(src, length, dst); }

// ---- message encoders: header + payload + txFinish; return the frame length at txFrame() ----

export function encodeHello(
  seq: u32, window: u32, maxPayload: u32, arenaFree: u32, buildId: u32, nextExpected: u32,
  name: usize, nameLength: i32,
): i32 {
  let p = txBegin(MSG_HELLO, seq);
  return txFinish(writeHello(p, window, maxPayload, arenaFree, buildId, nextExpected, name, nameLength));
}
export function encodeConfigOk(seq: u32, arenaUsed: u32, arenaFree: u32): i32 {
  return txFinish(writeConfigOk(txBegin(MSG_CONFIG_OK, seq), arenaUsed, arenaFree));
}
export function encodeGoodness(
  seq: u32, sampleSeq: u32, step: u32, layerCount: u32, fieldCount: u32, fields: usize,
  prediction: i32, flags: u32,
): i32 {
  return txFinish(writeGoodness(txBegin(MSG_GOODNESS, seq), sampleSeq, step, layerCount, fieldCount, fields, prediction, flags));
}
export function encodePrediction(seq: u32, label: i32, classCount: u32, scores: usize): i32 {
  return txFinish(writePrediction(txBegin(MSG_PREDICTION, seq), label, classCount, scores));
}
export function encodeCheckpointData(
  seq: u32, offset: u32, total: u32, blobCrc: u32, chunk: usize, chunkLength: i32,
): i32 {
  return txFinish(writeCheckpointData(txBegin(MSG_CHECKPOINT_DATA, seq), offset, total, blobCrc, chunk, chunkLength));
}
export function encodeAck(seq: u32, nextExpected: u32, reason: u32): i32 {
  return txFinish(writeAck(txBegin(MSG_ACK, seq), nextExpected, reason));
}
export function encodeError(seq: u32, code: u32, detail: u32, text: usize, textLength: i32): i32 {
  return txFinish(writeError(txBegin(MSG_ERROR, seq), code, detail, text, textLength));
}
export function encodeProtocolError(seq: u32, code: u32, detail: u32): i32 {
  return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), code, detail));
}
export function encodePong(
  seq: u32, nextExpected: u32, framesOk: u32, badCrc: u32, malformed: u32, tooLarge: u32,
): i32 {
  return txFinish(writePong(txBegin(MSG_PONG, seq), nextExpected, framesOk, badCrc, malformed, tooLarge));
}

// ---- reference device loop with a toy learner ----
//
// Toy learner: "training" appends (seq, kind, label) to APPLIED and bumps `step`;
// its "weights" are a WEIGHT_BYTES blob served by CHECKPOINT_GET and replaced,
// whole or not at all, by CHECKPOINT_PUT.

const OUT_BYTES: i32 = 8192;
const APPLIED_MAX: i32 = 1024;
const WEIGHT_BYTES: i32 = 1000;
const SIM_ARENA: u32 = 65536;
const SIM_LAYERS: u32 = 2;
const SIM_CLASSES: u32 = 10;
// @ts-ignore: decorator
@lazy const OUT: usize = memory.data(OUT_BYTES, 16);
// @ts-ignore: decorator
@lazy const APPLIED: usize = memory.data(APPLIED_MAX * 4, 4);
// @ts-ignore: decorator
@lazy const WEIGHTS: usize = memory.data(WEIGHT_BYTES, 16);
// @ts-ignore: decorator
@lazy const STAGE: usize = memory.data(WEIGHT_BYTES, 16);
// @ts-ignore: decorator
@lazy const INPUTS: usize = memory.data(MAX_PAYLOAD, 16);
// @ts-ignore: decorator
@lazy const METRICS: usize = memory.data(64 * 4, 16);
// @ts-ignore: decorator
@lazy const SIM_NAME = memory.data<u8>([0x73, 0x69, 0x6D]); // "sim"

let outLength: i32 = 0;
let appliedCount: i32 = 0;
let step: u32 = 0;
let configBytes: u32 = 0;

export function simReset(firstSeq: u32): void {
  outLength = 0; appliedCount = 0; step = 0; configBytes = 0;
  linkReset(firstSeq);
  checkpointReset();
  serveBoot();
  for (let i = 0; i < WEIGHT_BYTES; i++) store<u8>(WEIGHTS + <usize>i, <u8>(i * 7 + 3));
}
export function simOut(): usize { return OUT; }
export function simOutLength(): i32 { return outLength; }
export function simOutClear(): void { outLength = 0; }
export function simAppliedCount(): i32 { return appliedCount; }
/** Applied entry i: seq u16 | kind u8 << 16 | (label + 1) u8 << 24. */
export function simApplied(i: i32): u32 { return load<u32>(APPLIED + (<usize>i << 2)); }
export function simStep(): u32 { return step; }
export function simWeights(): usize { return WEIGHTS; }

function emit(frame: usize, length: i32): void {
  if (length <= 0 || outLength + length > OUT_BYTES) return;
  memory.copy(OUT + <usize>outLength, frame, <usize>length);
  outLength += length;
}

/** Build the reply to the in-order request just received; returns its frame length. */
function apply(type: u32, seq: u32, p: usize, length: i32): i32 {
  let error = checkRequest(type, p, length);
  if (error != ERR_NONE) return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>error, 0));
  switch (type) {
  case MSG_CONFIGURE: {
    configBytes = <u32>length;
    return txFinish(writeConfigOk(txBegin(MSG_CONFIG_OK, seq), configBytes * 4, SIM_ARENA - configBytes * 4));
  }
  case MSG_SAMPLE: {
    let n = sampleToF32(p, INPUTS);
    let energy: f32 = 0;
    for (let i: u32 = 0; i < n; i++) { let v = load<f32>(INPUTS + (<usize>i << 2)); energy += v * v; }
    if (appliedCount < APPLIED_MAX) {
      store<u32>(APPLIED + (<usize>appliedCount << 2),
        seq | (sampleKind(p) << 16) | (<u32>(sampleLabel(p) + 1) << 24));
      appliedCount++;
    }
    step++;
    for (let l: u32 = 0; l < SIM_LAYERS; l++) {
      for (let f: u32 = 0; f < 5; f++) {
        store<f32>(METRICS + (<usize>(l * 5 + f) << 2), energy * <f32>(l + 1) + <f32>f);
      }
    }
    return txFinish(writeGoodness(txBegin(MSG_GOODNESS, seq), seq, step, SIM_LAYERS, 5, METRICS, -1, 0));
  }
  case MSG_INFER: {
    let n = sampleToF32(p, INPUTS);
    let classes = n < SIM_CLASSES ? n : SIM_CLASSES;
    let best: i32 = -1;
    for (let i: u32 = 0; i < classes; i++) {
      if (best < 0 || load<f32>(INPUTS + (<usize>i << 2)) > load<f32>(INPUTS + (<usize>best << 2))) best = <i32>i;
    }
    return txFinish(writePrediction(txBegin(MSG_PREDICTION, seq), best, classes, INPUTS));
  }
  case MSG_CHECKPOINT_GET: {
    let offset = checkpointGetOffset(p);
    let n = <i32>checkpointGetMaxLength(p);
    if (n > CHECKPOINT_CHUNK_MAX) n = CHECKPOINT_CHUNK_MAX;
    if (offset > <u32>WEIGHT_BYTES) offset = <u32>WEIGHT_BYTES;
    if (<u32>n > <u32>WEIGHT_BYTES - offset) n = WEIGHT_BYTES - <i32>offset;
    let q = txBegin(MSG_CHECKPOINT_DATA, seq);
    return txFinish(writeCheckpointData(q, offset, WEIGHT_BYTES, crc32Update(0, WEIGHTS, WEIGHT_BYTES), WEIGHTS + <usize>offset, n));
  }
  case MSG_CHECKPOINT_PUT: {
    let r = checkpointPutChunk(p, length, STAGE, <u32>WEIGHT_BYTES);
    if (r == CHECKPOINT_COMPLETE) memory.copy(WEIGHTS, STAGE, <usize>WEIGHT_BYTES);
    if (r != CHECKPOINT_MORE && r != CHECKPOINT_COMPLETE) {
      return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>r, 0));
    }
    return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xFFFF, ACK_APPLIED));
  }
  case MSG_RESET: {
    step = 0;
    configBytes = 0;
    checkpointReset();
    return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xFFFF, ACK_APPLIED));
  }
  default: return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_UNKNOWN_TYPE, type));
  }
}

/** HELLO of the reference device: a fixed build id and the name "sim". */
function simHello(seq: u32): i32 {
  return txFinish(writeHello(txBegin(MSG_HELLO, seq), WINDOW, MAX_PAYLOAD, SIM_ARENA - configBytes * 4, 0x5EED0001,
    linkNextExpected(), SIM_NAME, 3));
}

/** Feed one byte to the reference device; returns the bytes it appended to simOut(). */
export function simPush(byte: u32): i32 {
  if (rxPush(byte) != RX_FRAME) return 0;
  let before = outLength;
  let n = serveFrame();
  if (n == SERVE_HELLO) n = simHello(serveHelloSeq());
  else if (n == SERVE_APPLY) n = serveApplied(apply(rxType(), rxSeq(), rxPayload(), rxPayloadLength()));
  emit(servedReply(), n);
  return outLength - before;
}
