// Frame layer: COBS framing + CRC-32, byte-identical to host/protocol/frame.ts.
// Spec: docs/protocol.md §2–§3.
//
//   on the wire:  COBS( header | payload | crc32 ) 0x00
//
//   decoded body (little-endian):
//   offset 0        1       2         4                 4+n
//          +--------+-------+---------+-----------------+-----------+
//          |version | type  | seq u16 | payload (n B)   | crc32 u32 |
//          +--------+-------+---------+-----------------+-----------+
//   crc32 covers bytes [0, 4+n).
//
// Non-goals: no allocation (runtime stub: nothing is ever freed), no imports,
// no knowledge of message meanings (messages.ts) or of sequencing (link.ts).
// All buffers are static; the receive buffer is valid until the next rxPush.

import { crc32Update } from "./crc32";
import { ERR_BAD_CRC, ERR_FRAME_TOO_LARGE, ERR_MALFORMED } from "./errors";

export const PROTOCOL_VERSION: u32 = 3;
export const HEADER_BYTES: i32 = 4;
export const CRC_BYTES: i32 = 4;
/** Largest payload this codec accepts or produces (the spec's hard limit). */
export const MAX_PAYLOAD: i32 = 4096;
/** Largest decoded body: header + payload + CRC. */
export const MAX_BODY: i32 = HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES;
/** Largest encoded frame: one COBS code byte per 254 data bytes, one more, and the 0x00. */
export const MAX_FRAME: i32 = MAX_BODY + MAX_BODY / 254 + 2;

/** rxPush results that are not error codes. */
export const RX_NONE: i32 = 0;
export const RX_FRAME: i32 = 1;

// Static buffers, 16-byte aligned so payload fields at 4-aligned offsets are aligned.
// @ts-ignore: decorator
@lazy const RX_BODY: usize = memory.data(MAX_BODY, 16);
// One transmit buffer, encoded in place: txBegin builds the body TX_LEAD bytes in,
// txFinish COBS-encodes it towards the start of the buffer. Encoding byte i writes
// at most 2 + i + (i / 254) bytes from the start (one code byte per block), so it
// never overtakes the unread input while TX_LEAD > 1 + MAX_BODY / 254. 28 keeps the
// payload (4 bytes after the body's start) 16-byte aligned. Half the RAM of a
// separate body and frame buffer: it is what lets a 64 KiB part train with Adam.
// @ts-ignore: decorator
@inline const TX_LEAD: i32 = 28;
// @ts-ignore: decorator
@lazy const TX: usize = memory.data(TX_LEAD + MAX_BODY, 16);
// @ts-ignore: decorator
@lazy const TX_BODY: usize = TX + <usize>TX_LEAD;

// ---- receive: incremental COBS decoder (Cheshire & Baker, IEEE/ACM ToN 1999) ----

let rxLength: i32 = 0;       // decoded bytes so far
let rxRemaining: i32 = 0;    // data bytes left in the current COBS block (0: next is a code byte)
let rxZeroNext: bool = false; // previous block was < 0xFF: a zero precedes the next block
let rxSeen: i32 = 0;         // encoded bytes since the last delimiter (0 at 0x00: empty frame, ignored)
let rxDropCause: i32 = 0;    // non-zero: discard until the delimiter, then report this cause
let rxFrameLength: i32 = 0;  // body length of the last accepted frame (header + payload)

let countFrames: u32 = 0;
let countBadCrc: u32 = 0;
let countMalformed: u32 = 0;
let countTooLarge: u32 = 0;

/** Forget any partial frame and zero the counters (device boot, tests). */
export function rxReset(): void {
  rxLength = 0; rxRemaining = 0; rxZeroNext = false; rxSeen = 0; rxDropCause = 0;
  rxFrameLength = 0;
  countFrames = 0; countBadCrc = 0; countMalformed = 0; countTooLarge = 0;
}

// @ts-ignore: decorator
@inline function rxAppend(byte: u32): void {
  if (rxLength >= MAX_BODY) {
    rxDropCause = ERR_FRAME_TOO_LARGE;
  } else {
    store<u8>(RX_BODY + <usize>rxLength, <u8>byte);
    rxLength++;
  }
}

function rxEndFrame(): i32 {
  let cause = rxDropCause;
  if (cause == 0) {
    if (rxRemaining != 0 || rxLength < HEADER_BYTES + CRC_BYTES) {
      cause = ERR_MALFORMED; // a COBS block cut short, or too short for header + CRC
    } else {
      let bodyLength = rxLength - CRC_BYTES;
      if (crc32Update(0, RX_BODY, bodyLength) != load<u32>(RX_BODY + <usize>bodyLength)) {
        cause = ERR_BAD_CRC;
      } else {
        rxFrameLength = bodyLength;
      }
    }
  }
  rxLength = 0; rxRemaining = 0; rxZeroNext = false; rxSeen = 0; rxDropCause = 0;
  if (cause == ERR_BAD_CRC) countBadCrc++;
  else if (cause == ERR_MALFORMED) countMalformed++;
  else if (cause == ERR_FRAME_TOO_LARGE) countTooLarge++;
  else { countFrames++; return RX_FRAME; }
  return cause;
}

/**
 * Feed one received byte. Returns RX_NONE (frame not complete), RX_FRAME (a frame
 * passed COBS + CRC: read it with rxVersion/rxType/rxSeq/rxPayload/rxPayloadLength
 * before the next rxPush), or the error code of a dropped frame (ERR_BAD_CRC,
 * ERR_MALFORMED, ERR_FRAME_TOO_LARGE), already counted.
 */
export function rxPush(byte: u32): i32 {
  byte &= 0xFF;
  if (byte == 0) {
    if (rxSeen == 0) return RX_NONE; // back-to-back delimiters: idle line, not a frame
    return rxEndFrame();
  }
  rxSeen++;
  if (rxDropCause != 0) return RX_NONE;
  if (rxRemaining == 0) {
    // code byte: starts a block of (byte - 1) data bytes
    if (rxZeroNext) rxAppend(0);
    rxZeroNext = byte != 0xFF;
    rxRemaining = <i32>byte - 1;
  } else {
    rxAppend(byte);
    rxRemaining--;
  }
  return RX_NONE;
}

let rxLast: i32 = RX_NONE;

/**
 * Feed a chunk read from the link. Stops after the first byte that completes or
 * drops a frame, so the caller can handle it before the buffer is reused; returns
 * the bytes consumed, and rxLastResult() tells what happened at the last one.
 *
 *   for (let at = 0; at < n; ) {
 *     at += rxFeed(chunk + at, n - at);
 *     if (rxLastResult() == RX_FRAME) handleFrame();
 *   }
 */
export function rxFeed(ptr: usize, length: i32): i32 {
  rxLast = RX_NONE;
  for (let i = 0; i < length; i++) {
    let r = rxPush(load<u8>(ptr + <usize>i));
    if (r != RX_NONE) { rxLast = r; return i + 1; }
  }
  return length > 0 ? length : 0;
}

/** Result of the last byte rxFeed consumed: RX_NONE, RX_FRAME or a drop's error code. */
export function rxLastResult(): i32 { return rxLast; }

export function rxVersion(): u32 { return load<u8>(RX_BODY); }
export function rxType(): u32 { return load<u8>(RX_BODY, 1); }
export function rxSeq(): u32 { return load<u16>(RX_BODY, 2); }
/** Pointer to the payload of the last accepted frame (4-byte aligned). */
export function rxPayload(): usize { return RX_BODY + <usize>HEADER_BYTES; }
export function rxPayloadLength(): i32 { return rxFrameLength - HEADER_BYTES; }

/** Frames accepted (RX_FRAME) or dropped by cause (ERR_BAD_CRC, ERR_MALFORMED, ERR_FRAME_TOO_LARGE). */
export function rxCount(cause: i32): u32 {
  if (cause == RX_FRAME) return countFrames;
  if (cause == ERR_BAD_CRC) return countBadCrc;
  if (cause == ERR_MALFORMED) return countMalformed;
  if (cause == ERR_FRAME_TOO_LARGE) return countTooLarge;
  return 0;
}

// ---- transmit ----

/**
 * COBS-encode `length` bytes at `src` into `dst` and append the 0x00 delimiter.
 * dst needs length + length / 254 + 2 bytes. Returns the bytes written.
 * A 254-byte run that ends the input gets no extra 0x01 code byte.
 * dst may lie before src in the same buffer when src - dst > 1 + length / 254
 * (each byte is read before anything is written at or past it).
 */
export function cobsEncode(src: usize, length: i32, dst: usize): i32 {
  let codeAt: usize = dst;   // where the current block's code byte goes
  let out: usize = dst + 1;
  let code: u32 = 1;
  let open = true;
  for (let i = 0; i < length; i++) {
    let byte = load<u8>(src + <usize>i);
    if (!open) { codeAt = out++; code = 1; open = true; }
    if (byte == 0) {
      store<u8>(codeAt, <u8>code);
      codeAt = out++;
      code = 1;
    } else {
      store<u8>(out++, byte);
      if (++code == 0xFF) { store<u8>(codeAt, 0xFF); open = false; }
    }
  }
  if (open) store<u8>(codeAt, <u8>code);
  store<u8>(out++, 0);
  return <i32>(out - dst);
}

/**
 * Start a frame: writes the header and returns the payload pointer (room for
 * MAX_PAYLOAD bytes, 4-byte aligned). Write the payload there, then txFinish.
 */
export function txBegin(type: u32, seq: u32): usize {
  store<u8>(TX_BODY, <u8>PROTOCOL_VERSION);
  store<u8>(TX_BODY, <u8>type, 1);
  store<u16>(TX_BODY, <u16>seq, 2);
  return TX_BODY + <usize>HEADER_BYTES;
}

/**
 * Seal the frame begun by txBegin: CRC, COBS and delimiter into the tx buffer.
 * Returns the frame length to write from txFrame(), or 0 if payloadLength is
 * negative or above MAX_PAYLOAD (nothing to send).
 */
export function txFinish(payloadLength: i32): i32 {
  if (<u32>payloadLength > <u32>MAX_PAYLOAD) return 0;
  let bodyLength = HEADER_BYTES + payloadLength;
  store<u32>(TX_BODY + <usize>bodyLength, crc32Update(0, TX_BODY, bodyLength));
  return cobsEncode(TX_BODY, bodyLength + CRC_BYTES, TX);
}

/** The encoded frame produced by the last txFinish (valid until the next txBegin). */
export function txFrame(): usize { return TX; }
