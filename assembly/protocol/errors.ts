// Protocol-layer error codes: the ONE table on the device side.
// Mirrored by host/protocol/errors.ts; the spec table is docs/protocol.md §7.
// Codes 1..63 belong to the learner and travel in ERROR frames unchanged;
// 64..127 belong to the protocol. 0 means "no error".
// Non-goal: human advice. The host turns a code into a message that says what to do.

export const ERR_NONE: i32 = 0;
/** Frame CRC-32 did not match: dropped and counted, never answered. */
export const ERR_BAD_CRC: i32 = 64;
/** Broken COBS, frame shorter than header + CRC, or a payload field out of range. */
export const ERR_MALFORMED: i32 = 65;
/** Message type this side does not know (or a reply type sent to the device). */
export const ERR_UNKNOWN_TYPE: i32 = 66;
/** Header version byte differs from PROTOCOL_VERSION. detail = receiver's version. */
export const ERR_VERSION_MISMATCH: i32 = 67;
/** SAMPLE/INFER payload length != 12 + count * width, or count != learner input width. */
export const ERR_SAMPLE_LENGTH: i32 = 68;
/** Decoded frame longer than header + max payload + CRC: dropped and counted. */
export const ERR_FRAME_TOO_LARGE: i32 = 69;
/** Reserved: a sequence number outside the window. Gaps are answered with ACK(gap), not this. */
export const ERR_OUT_OF_ORDER: i32 = 70;
/** CHECKPOINT_PUT: CRC-32 of the whole staged blob differs; nothing applied. */
export const ERR_CHECKPOINT_CRC: i32 = 71;
/** CHECKPOINT_PUT: chunk offset not contiguous, total changed, or blob larger than staging. */
export const ERR_CHECKPOINT_SEQUENCE: i32 = 72;
/** The device program trapped (or the CPU faulted) and has halted. Sent, unprompted, by
 *  the firmware glue (firmware-targets/wasm2c-glue/fatal-report.c), never by this program.
 *  detail = wasm trap code (1..8), or 256 + the CPU exception number for a fault. */
export const ERR_DEVICE_TRAP: i32 = 73;
/** SAMPLE_PART / INFER_PART: not the next slice of the sample in progress (first != the
 *  next expected index, or another kind, label, total or type); the sample is dropped.
 *  detail = the index the device expected (0: a new sample must start at 0). */
export const ERR_PART_ORDER: i32 = 74;
/** Host only: a request got no reply after the last retransmission. */
export const ERR_TIMEOUT: i32 = 80;
/** Host only: the device's next-expected sequence is outside the host's window (device restarted?). */
export const ERR_LINK_DESYNC: i32 = 81;

/** Short ASCII text sent in ERROR frames for protocol codes (static literals: no allocation). */
export function errorText(code: i32): string {
  switch (code) {
    case ERR_BAD_CRC: return "bad crc";
    case ERR_MALFORMED: return "malformed frame";
    case ERR_UNKNOWN_TYPE: return "unknown message type";
    case ERR_VERSION_MISMATCH: return "protocol version mismatch";
    case ERR_SAMPLE_LENGTH: return "sample length wrong";
    case ERR_FRAME_TOO_LARGE: return "frame too large";
    case ERR_OUT_OF_ORDER: return "out of order";
    case ERR_CHECKPOINT_CRC: return "checkpoint crc mismatch";
    case ERR_CHECKPOINT_SEQUENCE: return "checkpoint chunk out of sequence";
    case ERR_DEVICE_TRAP: return "device trapped";
    case ERR_PART_ORDER: return "bad part order";
    default: return "error";
  }
}
