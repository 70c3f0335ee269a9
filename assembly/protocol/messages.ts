// Message layer: type numbers, payload layouts, writers for device -> host
// messages and checked readers for host -> device messages.
// Byte-identical to host/protocol/messages.ts. Spec: docs/protocol.md §4–§5.
//
// Writers take the payload pointer from txBegin and return the payload length
// for txFinish (-1 if it would not fit MAX_PAYLOAD; txFinish(-1) sends nothing).
// Readers assume checkRequest(...) returned ERR_NONE for that payload.
// All multi-byte fields are little-endian (wasm's native order).

import { crc32Update } from "./crc32";
import {
  ERR_MALFORMED, ERR_NONE, ERR_SAMPLE_LENGTH, ERR_UNKNOWN_TYPE, ERR_VERSION_MISMATCH, errorText,
} from "./errors";
import { MAX_PAYLOAD, PROTOCOL_VERSION } from "./frame";

// host -> device (requests). 0x02..0x07, 0x09 and 0x0A are sequenced (docs/protocol.md §6).
export const MSG_HELLO_REQUEST: u32 = 0x01;
export const MSG_CONFIGURE: u32 = 0x02;
export const MSG_SAMPLE: u32 = 0x03;
export const MSG_INFER: u32 = 0x04;
export const MSG_CHECKPOINT_GET: u32 = 0x05;
export const MSG_CHECKPOINT_PUT: u32 = 0x06;
export const MSG_RESET: u32 = 0x07;
export const MSG_PING: u32 = 0x08;
/** A slice of one SAMPLE's values (§5.3a): a noisy link's small frames. */
export const MSG_SAMPLE_PART: u32 = 0x09;
/** A slice of one INFER's values (§5.3a). */
export const MSG_INFER_PART: u32 = 0x0A;
// device -> host (replies and notices): high bit set
export const MSG_HELLO: u32 = 0x81;
export const MSG_CONFIG_OK: u32 = 0x82;
export const MSG_GOODNESS: u32 = 0x83;
export const MSG_PREDICTION: u32 = 0x84;
export const MSG_CHECKPOINT_DATA: u32 = 0x85;
export const MSG_ACK: u32 = 0x86;
export const MSG_ERROR: u32 = 0x87;
export const MSG_PONG: u32 = 0x88;

export const SAMPLE_POSITIVE: u32 = 0;
export const SAMPLE_NEGATIVE: u32 = 1;
export const SAMPLE_UNLABELLED: u32 = 2;
export const ENCODING_F32: u32 = 0;
export const ENCODING_INT8: u32 = 1;
export const ENCODING_INT16: u32 = 2;

export const ACK_APPLIED: u32 = 0;
export const ACK_GAP: u32 = 1;
export const ACK_DUPLICATE_UNCACHED: u32 = 2;

export const MAX_CONFIG_BYTES: i32 = 256;
export const MAX_RUNTIME_NAME: i32 = 32;
export const MAX_ERROR_TEXT: i32 = 64;
/** GOODNESS fields per layer in protocol v1, in this order (more may follow). */
export const GOODNESS_FIELDS_V1: u32 = 5;

// Fixed-part sizes of payloads (bytes before the variable part).
export const SAMPLE_FIXED: i32 = 12;
export const CHUNK_FIXED: i32 = 12;
export const GOODNESS_FIXED: i32 = 12;
export const PREDICTION_FIXED: i32 = 4;
export const HELLO_FIXED: i32 = 15;
export const ERROR_FIXED: i32 = 7;

/** Requests 0x02..0x07, 0x09 and 0x0A carry a sequence number the device filters (link.ts). */
export function isSequenced(type: u32): bool {
  return (type >= MSG_CONFIGURE && type <= MSG_RESET) || type == MSG_SAMPLE_PART || type == MSG_INFER_PART;
}

/**
 * Header check of a received request frame: ERR_VERSION_MISMATCH (reply ERROR with
 * detail = PROTOCOL_VERSION), ERR_UNKNOWN_TYPE, or ERR_NONE.
 */
export function checkHeader(version: u32, type: u32): i32 {
  if (version != PROTOCOL_VERSION) return ERR_VERSION_MISMATCH;
  if (type < MSG_HELLO_REQUEST || type > MSG_INFER_PART) return ERR_UNKNOWN_TYPE;
  return ERR_NONE;
}

/** Bytes per sample value for an encoding (0 for an unknown encoding). */
export function encodingWidth(encoding: u32): i32 {
  if (encoding == ENCODING_F32) return sizeof<f32>();
  if (encoding == ENCODING_INT8) return sizeof<i8>();
  if (encoding == ENCODING_INT16) return sizeof<i16>();
  return 0;
}

/**
 * Validate a request payload before anything is applied. Returns ERR_NONE,
 * ERR_MALFORMED (field out of range, payload too short/long for its type) or
 * ERR_SAMPLE_LENGTH. Trailing bytes after known fields are ignored where the
 * length carries no meaning (HELLO_REQUEST, PING, RESET, CHECKPOINT_GET).
 */
export function checkRequest(type: u32, p: usize, length: i32): i32 {
  switch (type) {
    case MSG_HELLO_REQUEST:
    case MSG_PING:
    case MSG_RESET: return ERR_NONE;
    case MSG_CONFIGURE: return length <= MAX_CONFIG_BYTES ? ERR_NONE : ERR_MALFORMED;
    case MSG_CHECKPOINT_GET: return length >= 6 ? ERR_NONE : ERR_MALFORMED;
    case MSG_SAMPLE:
    case MSG_INFER: {
      if (length < SAMPLE_FIXED) return ERR_SAMPLE_LENGTH;
      let width = encodingWidth(sampleEncoding(p));
      if (sampleKind(p) > SAMPLE_UNLABELLED || width == 0 || sampleLabel(p) < -1) return ERR_MALFORMED;
      return length == SAMPLE_FIXED + <i32>sampleCount(p) * width ? ERR_NONE : ERR_SAMPLE_LENGTH;
    }
    case MSG_SAMPLE_PART:
    case MSG_INFER_PART: {
      if (length < SAMPLE_FIXED) return ERR_SAMPLE_LENGTH;
      let width = encodingWidth(sampleEncoding(p));
      if (sampleKind(p) > SAMPLE_UNLABELLED || width == 0 || sampleLabel(p) < -1) return ERR_MALFORMED;
      let bytes = length - SAMPLE_FIXED;
      if (bytes == 0 || bytes % width != 0) return ERR_SAMPLE_LENGTH;
      return <u32>partFirst(p) + <u32>(bytes / width) <= partTotal(p) ? ERR_NONE : ERR_SAMPLE_LENGTH;
    }
    case MSG_CHECKPOINT_PUT: {
      if (length < CHUNK_FIXED) return ERR_MALFORMED;
      let end = <u64>chunkOffset(p) + <u64>(length - CHUNK_FIXED);
      return end <= <u64>chunkTotal(p) ? ERR_NONE : ERR_MALFORMED;
    }
    default: return ERR_UNKNOWN_TYPE;
  }
}

// ---- readers: SAMPLE and INFER ----
//  0 kind u8 | 1 encoding u8 | 2 label i16 | 4 count u16 | 6 reserved u16 | 8 scale f32 | 12 values

export function sampleKind(p: usize): u32 { return load<u8>(p); }
export function sampleEncoding(p: usize): u32 { return load<u8>(p, 1); }
/** Label, -1 = unlabelled. */
export function sampleLabel(p: usize): i32 { return load<i16>(p, 2); }
export function sampleCount(p: usize): u32 { return load<u16>(p, 4); }
/** Dequantisation scale: value = q * scale for int8/int16 (1.0 and unused for f32). */
export function sampleScale(p: usize): f32 { return load<f32>(p, 8); }
/** Pointer to the raw values (4-byte aligned in the receive buffer). */
export function sampleValues(p: usize): usize { return p + <usize>SAMPLE_FIXED; }

/** Write the sample's values as f32 to dst (count * 4 bytes), dequantising int8/int16. */
export function sampleToF32(p: usize, dst: usize): u32 {
  return valuesToF32(p, sampleCount(p), dst);
}

// ---- readers: SAMPLE_PART and INFER_PART (the SAMPLE layout, count -> total, reserved -> first) ----
//  0 kind u8 | 1 encoding u8 | 2 label i16 | 4 total u16 | 6 first u16 | 8 scale f32 | 12 values
//  The values are the sample's [first, first + n), n = (length - 12) / width.

/** Values in the whole sample. */
export function partTotal(p: usize): u32 { return load<u16>(p, 4); }
/** Index in the sample of this part's first value. */
export function partFirst(p: usize): u32 { return load<u16>(p, 6); }
/** Values in this part (checkRequest made the length a multiple of the width). */
export function partCount(p: usize, length: i32): u32 {
  return <u32>((length - SAMPLE_FIXED) / encodingWidth(sampleEncoding(p)));
}

/** Write the part's n values as f32 to dst (its first value's place in the input row), dequantising. */
export function partToF32(p: usize, length: i32, dst: usize): u32 {
  return valuesToF32(p, partCount(p, length), dst);
}

/** Write n values after the fixed fields of a SAMPLE-layout payload as f32 to dst. */
function valuesToF32(p: usize, n: u32, dst: usize): u32 {
  let values = sampleValues(p);
  let encoding = sampleEncoding(p);
  let scale = sampleScale(p);
  for (let i: u32 = 0; i < n; i++) {
    let v: f32;
    if (encoding == ENCODING_F32) v = load<f32>(values + (<usize>i << alignof<f32>()));
    else if (encoding == ENCODING_INT8) v = <f32>load<i8>(values + <usize>i) * scale;
    else v = <f32>load<i16>(values + (<usize>i << alignof<i16>())) * scale;
    store<f32>(dst + (<usize>i << alignof<f32>()), v);
  }
  return n;
}

// ---- readers: CHECKPOINT_GET, CHECKPOINT_PUT ----
//  GET: 0 offset u32 | 4 maxLength u16
//  PUT / DATA: 0 offset u32 | 4 total u32 | 8 blobCrc u32 | 12 chunk bytes
//  Bit 31 of every offset field names the blob (docs/protocol.md §5.13): 0 the
//  weights checkpoint, 1 the full-state snapshot (CHUNK_STATE). Offsets are < 2^31.

export const CHUNK_STATE: u32 = 0x80000000;

export function checkpointGetOffset(p: usize): u32 { return load<u32>(p) & ~CHUNK_STATE; }
export function checkpointGetIsState(p: usize): bool { return (load<u32>(p) & CHUNK_STATE) != 0; }
export function checkpointGetMaxLength(p: usize): u32 { return load<u16>(p, 4); }
export function chunkOffset(p: usize): u32 { return load<u32>(p) & ~CHUNK_STATE; }
export function chunkIsState(p: usize): bool { return (load<u32>(p) & CHUNK_STATE) != 0; }
export function chunkTotal(p: usize): u32 { return load<u32>(p, 4); }
export function chunkBlobCrc(p: usize): u32 { return load<u32>(p, 8); }
export function chunkData(p: usize): usize { return p + <usize>CHUNK_FIXED; }
export function chunkLength(payloadLength: i32): i32 { return payloadLength - CHUNK_FIXED; }

// ---- writers: device -> host ----

/**
 * HELLO: 0 version u8 | 1 window u8 | 2 maxPayload u16 | 4 arenaFree u32 | 8 buildId u32
 *        | 12 nextExpected u16 | 14 nameLength u8 | 15 name (ASCII, <= 32)
 */
export function writeHello(
  p: usize, window: u32, maxPayload: u32, arenaFree: u32, buildId: u32, nextExpected: u32,
  name: usize, nameLength: i32,
): i32 {
  if (nameLength > MAX_RUNTIME_NAME) nameLength = MAX_RUNTIME_NAME;
  if (nameLength < 0) nameLength = 0;
  store<u8>(p, <u8>PROTOCOL_VERSION);
  store<u8>(p, <u8>window, 1);
  store<u16>(p, <u16>maxPayload, 2);
  store<u32>(p, arenaFree, 4);
  store<u32>(p, buildId, 8);
  store<u16>(p, <u16>nextExpected, 12);
  store<u8>(p, <u8>nameLength, 14);
  memory.copy(p + <usize>HELLO_FIXED, name, <usize>nameLength);
  return HELLO_FIXED + nameLength;
}

/** CONFIG_OK: 0 arenaUsed u32 | 4 arenaFree u32 */
export function writeConfigOk(p: usize, arenaUsed: u32, arenaFree: u32): i32 {
  store<u32>(p, arenaUsed);
  store<u32>(p, arenaFree, 4);
  return 8;
}

// GOODNESS flag bits (offset 10).
export const GOODNESS_DRIFT: u32 = 1;

/**
 * GOODNESS (v2): 0 sampleSeq u16 | 2 layerCount u8 | 3 fieldCount u8 | 4 step u32
 *           | 8 prediction i16 (label predicted before training, -1 none) | 10 flags u8
 *           (bit 0: drift alarm at this sample) | 11 reserved u8 (0)
 *           | 12 f32[layerCount][fieldCount], layer-major, copied from `fields`.
 * Field order: goodness positive, goodness negative, loss, active fraction, Hoyer sparseness.
 */
export function writeGoodness(
  p: usize, sampleSeq: u32, step: u32, layerCount: u32, fieldCount: u32, fields: usize,
  prediction: i32, flags: u32,
): i32 {
  let bytes = <i32>(layerCount * fieldCount) << alignof<f32>();
  if (layerCount > 255 || fieldCount > 255 || GOODNESS_FIXED + bytes > MAX_PAYLOAD) return -1;
  store<u16>(p, <u16>sampleSeq);
  store<u8>(p, <u8>layerCount, 2);
  store<u8>(p, <u8>fieldCount, 3);
  store<u32>(p, step, 4);
  store<i16>(p, <i16>prediction, 8);
  store<u8>(p, <u8>flags, 10);
  store<u8>(p, 0, 11);
  memory.copy(p + <usize>GOODNESS_FIXED, fields, <usize>bytes);
  return GOODNESS_FIXED + bytes;
}

/** PREDICTION: 0 label i16 | 2 classCount u16 | 4 f32 scores[classCount] */
export function writePrediction(p: usize, label: i32, classCount: u32, scores: usize): i32 {
  let bytes = <i32>classCount << alignof<f32>();
  if (PREDICTION_FIXED + bytes > MAX_PAYLOAD) return -1;
  store<i16>(p, <i16>label);
  store<u16>(p, <u16>classCount, 2);
  memory.copy(p + <usize>PREDICTION_FIXED, scores, <usize>bytes);
  return PREDICTION_FIXED + bytes;
}

/**
 * CHECKPOINT_DATA: 0 offset u32 | 4 total u32 | 8 blobCrc u32 | 12 chunk.
 * The chunk is cut to what fits MAX_PAYLOAD; the host reads its length from the frame.
 * `offset` carries CHUNK_STATE for a snapshot chunk.
 */
export function writeCheckpointData(
  p: usize, offset: u32, total: u32, blobCrc: u32, chunk: usize, chunkLength: i32,
): i32 {
  chunkLength = writeChunkHead(p, offset, total, blobCrc, chunkLength);
  memory.copy(p + <usize>CHUNK_FIXED, chunk, <usize>chunkLength);
  return CHUNK_FIXED + chunkLength;
}

/**
 * CHECKPOINT_DATA's fixed fields only; returns the chunk length that fits, whose
 * bytes the caller writes at p + CHUNK_FIXED (a snapshot chunk may span two sources).
 */
export function writeChunkHead(p: usize, offset: u32, total: u32, blobCrc: u32, chunkLength: i32): i32 {
  if (chunkLength > MAX_PAYLOAD - CHUNK_FIXED) chunkLength = MAX_PAYLOAD - CHUNK_FIXED;
  if (chunkLength < 0) chunkLength = 0;
  store<u32>(p, offset);
  store<u32>(p, total, 4);
  store<u32>(p, blobCrc, 8);
  return chunkLength;
}

/** ACK: 0 nextExpected u16 | 2 reason u8 (ACK_APPLIED, ACK_GAP, ACK_DUPLICATE_UNCACHED) */
export function writeAck(p: usize, nextExpected: u32, reason: u32): i32 {
  store<u16>(p, <u16>nextExpected);
  store<u8>(p, <u8>reason, 2);
  return 3;
}

/**
 * ERROR (layout frozen across versions): 0 code u16 | 2 detail u32 | 6 textLength u8
 * | 7 text (ASCII, <= 64 bytes; longer text is cut).
 */
export function writeError(p: usize, code: u32, detail: u32, text: usize, textLength: i32): i32 {
  if (textLength > MAX_ERROR_TEXT) textLength = MAX_ERROR_TEXT;
  if (textLength < 0) textLength = 0;
  store<u16>(p, <u16>code);
  store<u32>(p, detail, 2);
  store<u8>(p, <u8>textLength, 6);
  memory.copy(p + <usize>ERROR_FIXED, text, <usize>textLength);
  return ERROR_FIXED + textLength;
}

/**
 * ERROR with text from a string literal (static data: no allocation). Characters
 * outside ASCII become '?'. Use errorText(code) for the protocol's own texts.
 */
export function writeErrorString(p: usize, code: u32, detail: u32, text: string): i32 {
  let n = text.length;
  if (n > MAX_ERROR_TEXT) n = MAX_ERROR_TEXT;
  store<u16>(p, <u16>code);
  store<u32>(p, detail, 2);
  store<u8>(p, <u8>n, 6);
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    store<u8>(p + <usize>(ERROR_FIXED + i), <u8>(c < 0x80 ? c : 0x3F));
  }
  return ERROR_FIXED + n;
}

/** ERROR for a protocol code with the spec's short text. */
export function writeProtocolError(p: usize, code: u32, detail: u32): i32 {
  return writeErrorString(p, code, detail, errorText(<i32>code));
}

/**
 * PONG: 0 nextExpected u16 | 2 framesOk u32 | 6 badCrc u32 | 10 malformed u32 | 14 tooLarge u32.
 * The device passes its receive counters: rxCount(RX_FRAME), rxCount(ERR_BAD_CRC), ...
 */
export function writePong(
  p: usize, nextExpected: u32, framesOk: u32, badCrc: u32, malformed: u32, tooLarge: u32,
): i32 {
  store<u16>(p, <u16>nextExpected);
  store<u32>(p, framesOk, 2);
  store<u32>(p, badCrc, 6);
  store<u32>(p, malformed, 10);
  store<u32>(p, tooLarge, 14);
  return 18;
}

/** CRC-32 of a whole blob, for CHECKPOINT_DATA's blobCrc. */
export function blobCrc(p: usize, length: i32): u32 { return crc32Update(0, p, length); }
