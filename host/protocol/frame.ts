// Frame layer: COBS framing + CRC-32, byte-identical to assembly/protocol/frame.ts.
// Spec: docs/protocol.md §2–§3.
//
//   on the wire:  COBS( version u8 | type u8 | seq u16 | payload | crc32 u32 ) 0x00
//   little-endian; crc32 covers everything before it.
//
// The Deframer runs the same byte-at-a-time state machine as the device, so both
// sides drop the same frames for the same reason.

import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { cobsEncode } from './cobs.js';
import { crc32 } from './crc32.js';
import { ErrorCode } from './errors.js';

import { PROTOCOL_VERSION } from './version.js';

export { PROTOCOL_VERSION };
export const HEADER_BYTES = 4;
export const CRC_BYTES = 4;
/** The spec's hard payload limit; a device may advertise less in HELLO. */
export const MAX_PAYLOAD = 4096;

export interface Frame {
  version: number;
  type: number;
  /** u16, wraps (docs/protocol.md §6.1). */
  seq: number;
  payload: Uint8Array;
}

/** Why a frame was dropped. */
export type DropCode = typeof ErrorCode.BAD_CRC | typeof ErrorCode.MALFORMED | typeof ErrorCode.FRAME_TOO_LARGE;

export interface DeframerStats {
  frames: number;
  badCrc: number;
  malformed: number;
  tooLarge: number;
}

/** Encode one frame, including the trailing 0x00 delimiter. */
export function encodeFrame(type: number, seq: number, payload: Uint8Array, version: number = PROTOCOL_VERSION): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new TypeError(`type must be a u8, got ${type}`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new TypeError(`seq must be a u16, got ${seq}`);
  if (!Number.isInteger(version) || version < 0 || version > 0xff) throw new TypeError(`version must be a u8, got ${version}`);
  if (payload.length > MAX_PAYLOAD) {
    throw new TypeError(`payload is ${payload.length} bytes, the protocol limit is ${MAX_PAYLOAD}`);
  }
  const bodyLength = HEADER_BYTES + payload.length;
  const body = new Uint8Array(bodyLength + CRC_BYTES);
  const view = new DataView(body.buffer);
  body[0] = version;
  body[1] = type;
  view.setUint16(2, seq, true);
  body.set(payload, HEADER_BYTES);
  view.setUint32(bodyLength, crc32(body.subarray(0, bodyLength)), true);
  const encoded = cobsEncode(body);
  const frame = new Uint8Array(encoded.length + 1);
  frame.set(encoded);
  return frame; // last byte is already 0x00
}

export interface DeframerOptions {
  /** Largest payload accepted (default MAX_PAYLOAD); longer frames are dropped as FRAME_TOO_LARGE. */
  maxPayload?: number;
  /** Called once per dropped frame. */
  onDrop?: (code: DropCode) => void;
}

/**
 * Streaming deframer: push() any chunking of the byte stream, get whole frames
 * back. Frames failing COBS, CRC or size checks are dropped and counted in
 * `stats`; nothing partial is ever returned. Bytes before the first 0x00 are
 * treated as a (probably broken) frame: garbage is dropped, a clean frame kept.
 */
export class Deframer {
  readonly stats: DeframerStats = { frames: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
  private readonly body: Uint8Array;
  private readonly onDrop: ((code: DropCode) => void) | undefined;
  private length = 0;
  private remaining = 0;
  private zeroNext = false;
  private seen = 0;
  private dropCause: DropCode | 0 = 0;

  constructor(options: DeframerOptions = {}) {
    const maxPayload = options.maxPayload ?? MAX_PAYLOAD;
    if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_PAYLOAD) {
      throw new TypeError(`maxPayload must be an integer in 0..${MAX_PAYLOAD}, got ${maxPayload}`);
    }
    this.body = new Uint8Array(HEADER_BYTES + maxPayload + CRC_BYTES);
    this.onDrop = options.onDrop;
  }

  /** Forget any partial frame (counters are kept). */
  reset(): void {
    this.length = 0;
    this.remaining = 0;
    this.zeroNext = false;
    this.seen = 0;
    this.dropCause = 0;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0) {
        if (this.seen === 0) continue; // idle line between frames
        const frame = this.endFrame();
        if (frame) frames.push(frame);
        continue;
      }
      this.seen++;
      if (this.dropCause !== 0) continue;
      if (this.remaining === 0) {
        if (this.zeroNext) this.append(0);
        this.zeroNext = byte !== 0xff;
        this.remaining = byte - 1;
      } else {
        this.append(byte);
        this.remaining--;
      }
    }
    return frames;
  }

  private append(byte: number): void {
    if (this.length >= this.body.length) {
      this.dropCause = ErrorCode.FRAME_TOO_LARGE;
    } else {
      this.body[this.length++] = byte;
    }
  }

  private endFrame(): Frame | null {
    let cause: DropCode | 0 = this.dropCause;
    let frame: Frame | null = null;
    if (cause === 0) {
      if (this.remaining !== 0 || this.length < HEADER_BYTES + CRC_BYTES) {
        cause = ErrorCode.MALFORMED;
      } else {
        const bodyLength = this.length - CRC_BYTES;
        const view = new DataView(this.body.buffer, this.body.byteOffset);
        if (crc32(this.body.subarray(0, bodyLength)) !== view.getUint32(bodyLength, true)) {
          cause = ErrorCode.BAD_CRC;
        } else {
          frame = {
            version: this.body[0]!,
            type: this.body[1]!,
            seq: view.getUint16(2, true),
            payload: this.body.slice(HEADER_BYTES, bodyLength),
          };
        }
      }
    }
    this.reset();
    if (frame) {
      this.stats.frames++;
      return frame;
    }
    if (cause === ErrorCode.BAD_CRC) this.stats.badCrc++;
    else if (cause === ErrorCode.MALFORMED) this.stats.malformed++;
    else this.stats.tooLarge++;
    this.onDrop?.(cause as DropCode);
    return null;
  }
}

/**
 * Transform stream: bytes in, Frame objects out. Emits 'drop' (code) for every
 * dropped frame; `stats` counts them. A partial frame at end of stream is discarded.
 */
export class DeframerStream extends Transform {
  private readonly deframer: Deframer;

  constructor(options: DeframerOptions & TransformOptions = {}) {
    const { maxPayload, onDrop, ...streamOptions } = options;
    super({ ...streamOptions, readableObjectMode: true });
    this.deframer = new Deframer({
      ...(maxPayload === undefined ? {} : { maxPayload }),
      onDrop: (code) => {
        onDrop?.(code);
        this.emit('drop', code);
      },
    });
  }

  get stats(): DeframerStats {
    return this.deframer.stats;
  }

  override _transform(chunk: Buffer | Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.deframer.push(chunk)) this.push(frame);
    callback();
  }
}
