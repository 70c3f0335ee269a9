// The device's answer to one received frame (docs/protocol.md §6): header
// checks, HELLO_REQUEST, PING, and the sequence filter with its reply cache
// around the program's own apply. ONE copy, used by the device program
// (assembly/device.ts) and the protocol test harness (harness.ts), so the
// shared vectors (test/protocol-vectors.test.ts) drive the code that ships.
// Each program plugs in its own HELLO and apply:
//
//   if (rxPush(byte) == RX_FRAME) {
//     let n = serveFrame();
//     if (n == SERVE_HELLO) n = hello(serveHelloSeq());
//     else if (n == SERVE_APPLY) n = serveApplied(apply(rxType(), rxSeq(), rxPayload(), rxPayloadLength()));
//     write(servedReply(), n);
//   }
//
// Not function references: those need a wasm table, and wasm2c's table on the
// M4 costs ~3 KiB of static RAM (wasm-rt-pool.c), more than the 64 KiB target
// has to spare.
//
// Non-goals: writing the reply (the caller owns the link), what a request
// does (the caller's apply), what HELLO says (the caller's hello).

import { ERR_NONE, ERR_BAD_CRC, ERR_MALFORMED, ERR_FRAME_TOO_LARGE, ERR_UNKNOWN_TYPE, ERR_VERSION_MISMATCH } from "./errors";
import {
  CRC_BYTES, HEADER_BYTES, PROTOCOL_VERSION, rxCount, rxSeq, rxType, rxVersion, RX_FRAME, txBegin, txFinish, txFrame,
} from "./frame";
import {
  ACK_DUPLICATE_UNCACHED, ACK_GAP, checkHeader, CHUNK_FIXED, isSequenced, MSG_ACK, MSG_ERROR, MSG_HELLO_REQUEST,
  MSG_PING, MSG_PONG, writeAck, writePong, writeProtocolError,
} from "./messages";
import {
  CACHE_SLOT_BYTES, linkAccept, linkCachedFrame, linkCachedLength, linkCommit, linkNextExpected,
  LINK_APPLY, LINK_GAP, LINK_RESEND,
} from "./link";

/** serveFrame: the caller builds HELLO for rxSeq() with txBegin/txFinish; its length is the reply's. */
export const SERVE_HELLO: i32 = -1;
/**
 * serveFrame: the in-order sequenced request rxType() (CONFIGURE..RESET) is
 * the caller's to apply, exactly once: it builds the reply with
 * txBegin/txFinish and passes txFinish's length to serveApplied.
 */
export const SERVE_APPLY: i32 = -2;

/**
 * Largest CHECKPOINT_DATA chunk whose reply still fits a reply-cache slot
 * (link.ts), so a re-sent CHECKPOINT_GET is answered from the cache, not with
 * ACK_DUPLICATE_UNCACHED. Around the chunk: header, CHUNK_FIXED fields and
 * CRC, then COBS adds one code byte per 254 (2 for a body under 508 bytes)
 * and the 0x00 delimiter.
 */
export const CHECKPOINT_CHUNK_MAX: i32 = CACHE_SLOT_BYTES - (HEADER_BYTES + CHUNK_FIXED + CRC_BYTES + 2 + 1);

let replyAt: usize = 0;
/** Since boot, no HELLO_REQUEST answered and no request applied (§6.6). */
let fresh = true;

let helloSeq: u32 = 0;

/** The device (re)booted: the next out-of-sequence request is answered with HELLO (§6.6). */
export function serveBoot(): void { fresh = true; }

/**
 * After SERVE_HELLO: the header seq for the HELLO. The HELLO_REQUEST's tag, or
 * 0 for a fresh device's unprompted HELLO (as at boot: hosts never use tag 0).
 */
export function serveHelloSeq(): u32 { return helloSeq; }

/** Where the reply serveFrame built starts: the tx buffer, or a cached reply. */
export function servedReply(): usize { return replyAt; }

/**
 * Answers the frame rxPush just accepted; returns the reply's length at
 * servedReply() (0: nothing to send, e.g. a gap already acknowledged), or
 * SERVE_HELLO / SERVE_APPLY when the caller's part comes next.
 */
export function serveFrame(): i32 {
  const type = rxType();
  const seq = rxSeq();
  replyAt = txFrame();
  const header = checkHeader(rxVersion(), type);
  if (header != ERR_NONE) {
    const detail = header == ERR_VERSION_MISMATCH ? PROTOCOL_VERSION : type;
    return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>header, detail));
  }
  if (type == MSG_HELLO_REQUEST) { fresh = false; helloSeq = seq; return SERVE_HELLO; }
  if (type == MSG_PING) {
    return txFinish(writePong(txBegin(MSG_PONG, seq), linkNextExpected(),
      rxCount(RX_FRAME), rxCount(ERR_BAD_CRC), rxCount(ERR_MALFORMED), rxCount(ERR_FRAME_TOO_LARGE)));
  }
  if (!isSequenced(type)) return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_UNKNOWN_TYPE, type));
  const verdict = linkAccept(seq);
  if (verdict == LINK_APPLY) { fresh = false; return SERVE_APPLY; }
  // A fresh device has no cached replies and no idea of the host's numbers: a
  // request out of its sequence means the host speaks to the device before a
  // reset. HELLO (unprompted, so the host sees the reset) instead of an ACK
  // that a host whose window straddles the wrap would take as "applied".
  if (fresh) { helloSeq = 0; return SERVE_HELLO; }
  if (verdict == LINK_RESEND) {
    const n = linkCachedLength(seq);
    if (n > 0) {
      replyAt = linkCachedFrame(seq);
      return n;
    }
    return txFinish(writeAck(txBegin(MSG_ACK, seq), linkNextExpected(), ACK_DUPLICATE_UNCACHED));
  }
  if (verdict == LINK_GAP) return txFinish(writeAck(txBegin(MSG_ACK, seq), linkNextExpected(), ACK_GAP));
  return 0; // LINK_IGNORE: the gap ACK is already out
}

/**
 * After SERVE_APPLY: caches the reply of `length` bytes the caller built in
 * the tx buffer for re-sending and advances the sequence; returns `length`.
 */
export function serveApplied(length: i32): i32 {
  linkCommit(rxSeq(), txFrame(), length);
  return length;
}
