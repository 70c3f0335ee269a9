// Message layer: type numbers, payload layouts, encode/decode for every message.
// Byte-identical to assembly/protocol/messages.ts. Spec: docs/protocol.md §4–§5.
// All multi-byte fields are little-endian. Decoders check exactly what the device
// checks (checkRequest) and throw ProtocolError with the same code.

import { ErrorCode, ProtocolError } from './errors.js';
import { encodeFrame, MAX_PAYLOAD, PROTOCOL_VERSION, type Frame } from './frame.js';

export const MessageType = {
  // host -> device
  HELLO_REQUEST: 0x01,
  CONFIGURE: 0x02,
  SAMPLE: 0x03,
  INFER: 0x04,
  CHECKPOINT_GET: 0x05,
  CHECKPOINT_PUT: 0x06,
  RESET: 0x07,
  PING: 0x08,
  SAMPLE_PART: 0x09,
  INFER_PART: 0x0a,
  // device -> host
  HELLO: 0x81,
  CONFIG_OK: 0x82,
  GOODNESS: 0x83,
  PREDICTION: 0x84,
  CHECKPOINT_DATA: 0x85,
  ACK: 0x86,
  ERROR: 0x87,
  PONG: 0x88,
} as const;
export type MessageTypeName = keyof typeof MessageType;

const typeNames = new Map<number, MessageTypeName>((Object.keys(MessageType) as MessageTypeName[]).map((name) => [MessageType[name], name]));

/** Requests 0x02..0x07, 0x09 and 0x0a are sequenced: applied once, in order (docs/protocol.md §6). */
export function isSequenced(type: number): boolean {
  return (type >= MessageType.CONFIGURE && type <= MessageType.RESET) || type === MessageType.SAMPLE_PART || type === MessageType.INFER_PART;
}

export const MAX_CONFIG_BYTES = 256;
export const MAX_RUNTIME_NAME = 32;
export const MAX_ERROR_TEXT = 64;
/** GOODNESS fields per layer in protocol v1, in record order. */
export const GOODNESS_FIELDS_V1 = 5;

const SAMPLE_FIXED = 12;
const CHUNK_FIXED = 12;
const GOODNESS_FIXED = 12;
/** GOODNESS flags byte (offset 10), bit 0: the drift detector raised an alarm at this sample. */
const GOODNESS_DRIFT = 1;
const PREDICTION_FIXED = 4;
const HELLO_FIXED = 15;
const ERROR_FIXED = 7;

export type SampleKind = 'positive' | 'negative' | 'unlabelled';
export type SampleEncoding = 'f32' | 'int8' | 'int16';
const SAMPLE_KINDS: readonly SampleKind[] = ['positive', 'negative', 'unlabelled'];
const SAMPLE_ENCODINGS: readonly SampleEncoding[] = ['f32', 'int8', 'int16'];
/** Bytes per sample value on the wire. */
export const ENCODING_WIDTH: Readonly<Record<SampleEncoding, number>> = { f32: 4, int8: 1, int16: 2 };

export interface Sample {
  kind: SampleKind;
  /** Class label, -1 = unlabelled. */
  label: number;
  encoding: SampleEncoding;
  /** int8/int16: value = q * scale (f32 arithmetic). f32: always 1 on the wire. */
  scale?: number;
  /** f32: the values; int8/int16: the integers q. Decoded as Float32Array/Int8Array/Int16Array. */
  values: ArrayLike<number>;
}

/**
 * A slice of one sample's values (SAMPLE_PART / INFER_PART, docs/protocol.md §5.3a):
 * `values` are the sample's [first, first + values.length) of `total`.
 */
export interface SamplePart extends Sample {
  /** Values in the whole sample. */
  total: number;
  /** Index in the sample of values[0]. */
  first: number;
}

export interface GoodnessLayer {
  goodnessPositive: number;
  goodnessNegative: number;
  loss: number;
  activeFraction: number;
  /** Hoyer sparseness (sqrt(n) - |x|_1/|x|_2) / (sqrt(n) - 1). */
  hoyer: number;
  /** Fields after the five of v1, in record order (present only if the record has them). */
  extra?: number[];
}

export type AckReason = 'applied' | 'gap' | 'duplicate-uncached';
const ACK_REASONS: readonly AckReason[] = ['applied', 'gap', 'duplicate-uncached'];

/**
 * Which blob a checkpoint message is about (docs/protocol.md §5.13): the weights
 * checkpoint, or the full-state snapshot (bit 31 of the offset field on the wire).
 */
export type CheckpointBlob = 'weights' | 'state';
/** Bit 31 of a chunk's offset field: the chunk belongs to the full-state snapshot. */
export const CHUNK_STATE = 0x80000000;

export interface CheckpointChunk {
  /** Absent means 'weights'. */
  blob?: CheckpointBlob;
  offset: number;
  /** Length of the whole blob. */
  total: number;
  /** CRC-32 of the whole blob. */
  blobCrc: number;
  data: Uint8Array;
}

export type Message =
  | { type: 'HELLO_REQUEST' }
  | { type: 'CONFIGURE'; config: Uint8Array }
  | ({ type: 'SAMPLE' } & Sample)
  | ({ type: 'INFER' } & Sample)
  | ({ type: 'SAMPLE_PART' } & SamplePart)
  | ({ type: 'INFER_PART' } & SamplePart)
  | { type: 'CHECKPOINT_GET'; offset: number; maxLength: number; blob?: CheckpointBlob }
  | ({ type: 'CHECKPOINT_PUT' } & CheckpointChunk)
  | { type: 'RESET' }
  | { type: 'PING' }
  | {
      type: 'HELLO';
      protocolVersion: number;
      window: number;
      maxPayload: number;
      arenaFree: number;
      buildId: number;
      nextExpected: number;
      runtime: string;
    }
  | { type: 'CONFIG_OK'; arenaUsed: number; arenaFree: number }
  | {
      type: 'GOODNESS';
      sampleSeq: number;
      step: number;
      /** Label the device predicted before training on the sample (prequential); null when off or unlabelled. */
      prediction: number | null;
      /** The device's drift detector raised an alarm at this sample. */
      drift: boolean;
      layers: GoodnessLayer[];
    }
  | { type: 'PREDICTION'; label: number; scores: ArrayLike<number> }
  | ({ type: 'CHECKPOINT_DATA' } & CheckpointChunk)
  | { type: 'ACK'; nextExpected: number; reason: AckReason }
  | { type: 'ERROR'; code: number; detail: number; text: string }
  | {
      type: 'PONG';
      nextExpected: number;
      framesOk: number;
      badCrc: number;
      malformed: number;
      tooLarge: number;
    };

/**
 * HELLO.arenaFree for people: a device with no RAM limit reports what is left
 * of the 4 GiB wasm32 address space (>= 0xF0000000), which reads as "unlimited".
 */
export function describeArenaFree(bytes: number): string {
  return bytes >= 0xf0000000 ? 'unlimited' : `${bytes.toLocaleString('en-US')} B`;
}

export type MessageOf<T extends MessageTypeName> = Extract<Message, { type: T }>;

// ---- encode ----

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new TypeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
}

function checkAscii(name: string, text: string, max: number): Uint8Array {
  if (text.length > max || !/^[\x20-\x7e]*$/.test(text)) {
    throw new TypeError(`${name} must be printable ASCII of at most ${max} characters, got ${JSON.stringify(text)}`);
  }
  return new TextEncoder().encode(text);
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(length: number) {
    if (length > MAX_PAYLOAD) {
      throw new TypeError(`payload would be ${length} bytes, the protocol limit is ${MAX_PAYLOAD}`);
    }
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
}

/** SAMPLE / INFER; with `part`, SAMPLE_PART / INFER_PART (count -> total, reserved -> first). */
function encodeSample(sample: Sample, part?: { total: number; first: number }): Uint8Array {
  const kind = SAMPLE_KINDS.indexOf(sample.kind);
  if (kind < 0) throw new TypeError(`sample.kind must be one of ${SAMPLE_KINDS.join(', ')}, got ${sample.kind}`);
  const encoding = SAMPLE_ENCODINGS.indexOf(sample.encoding);
  if (encoding < 0) {
    throw new TypeError(`sample.encoding must be one of ${SAMPLE_ENCODINGS.join(', ')}, got ${sample.encoding}`);
  }
  if (!Number.isInteger(sample.label) || sample.label < -1 || sample.label > 0x7fff) {
    throw new TypeError(`sample.label must be an integer in -1..32767 (-1 = unlabelled), got ${sample.label}`);
  }
  const count = sample.values.length;
  checkUint('sample.values.length', count, 0xffff);
  if (part) {
    checkUint('part.total', part.total, 0xffff);
    checkUint('part.first', part.first, 0xffff);
    if (count === 0 || part.first + count > part.total) {
      throw new TypeError(`a sample part holds 1 or more values inside [0, total): [${part.first}, +${count}) of ${part.total}`);
    }
  }
  const width = ENCODING_WIDTH[sample.encoding];
  const w = new Writer(SAMPLE_FIXED + count * width);
  const scale = sample.encoding === 'f32' ? 1 : (sample.scale ?? 1);
  if (!Number.isFinite(scale)) throw new TypeError(`sample.scale must be finite, got ${scale}`);
  w.view.setUint8(0, kind);
  w.view.setUint8(1, encoding);
  w.view.setInt16(2, sample.label, true);
  w.view.setUint16(4, part ? part.total : count, true);
  w.view.setUint16(6, part ? part.first : 0, true);
  w.view.setFloat32(8, scale, true);
  for (let i = 0; i < count; i++) {
    const v = sample.values[i]!;
    const at = SAMPLE_FIXED + i * width;
    if (sample.encoding === 'f32') {
      w.view.setFloat32(at, v, true);
    } else {
      const max = sample.encoding === 'int8' ? 0x7f : 0x7fff;
      if (!Number.isInteger(v) || v < -max - 1 || v > max) {
        throw new TypeError(`sample.values[${i}] must be an ${sample.encoding} integer, got ${v}`);
      }
      if (sample.encoding === 'int8') w.view.setInt8(at, v);
      else w.view.setInt16(at, v, true);
    }
  }
  return w.bytes;
}

/** The offset field: the offset with bit 31 naming the blob. */
function offsetField(offset: number, blob: CheckpointBlob | undefined): number {
  checkUint('offset', offset, CHUNK_STATE - 1);
  return blob === 'state' ? (offset | CHUNK_STATE) >>> 0 : offset;
}

function encodeChunk(chunk: CheckpointChunk): Uint8Array {
  const field = offsetField(chunk.offset, chunk.blob);
  checkUint('total', chunk.total, 0xffffffff);
  checkUint('blobCrc', chunk.blobCrc, 0xffffffff);
  if (chunk.offset + chunk.data.length > chunk.total) {
    throw new TypeError(`chunk [${chunk.offset}, +${chunk.data.length}) runs past total ${chunk.total}`);
  }
  const w = new Writer(CHUNK_FIXED + chunk.data.length);
  w.view.setUint32(0, field, true);
  w.view.setUint32(4, chunk.total, true);
  w.view.setUint32(8, chunk.blobCrc, true);
  w.bytes.set(chunk.data, CHUNK_FIXED);
  return w.bytes;
}

/** Payload bytes of a message (no header). Throws TypeError naming a bad field. */
export function encodePayload(message: Message): Uint8Array {
  switch (message.type) {
    case 'HELLO_REQUEST':
    case 'RESET':
    case 'PING':
      return new Uint8Array(0);
    case 'CONFIGURE':
      if (message.config.length > MAX_CONFIG_BYTES) {
        throw new TypeError(`config blob is ${message.config.length} bytes, at most ${MAX_CONFIG_BYTES} allowed`);
      }
      return message.config.slice();
    case 'SAMPLE':
    case 'INFER':
      return encodeSample(message);
    case 'SAMPLE_PART':
    case 'INFER_PART':
      return encodeSample(message, message);
    case 'CHECKPOINT_GET': {
      const field = offsetField(message.offset, message.blob);
      checkUint('maxLength', message.maxLength, 0xffff);
      const w = new Writer(6);
      w.view.setUint32(0, field, true);
      w.view.setUint16(4, message.maxLength, true);
      return w.bytes;
    }
    case 'CHECKPOINT_PUT':
    case 'CHECKPOINT_DATA':
      return encodeChunk(message);
    case 'HELLO': {
      const name = checkAscii('runtime', message.runtime, MAX_RUNTIME_NAME);
      checkUint('protocolVersion', message.protocolVersion, 0xff);
      checkUint('window', message.window, 0xff);
      checkUint('maxPayload', message.maxPayload, 0xffff);
      checkUint('arenaFree', message.arenaFree, 0xffffffff);
      checkUint('buildId', message.buildId, 0xffffffff);
      checkUint('nextExpected', message.nextExpected, 0xffff);
      const w = new Writer(HELLO_FIXED + name.length);
      w.view.setUint8(0, message.protocolVersion);
      w.view.setUint8(1, message.window);
      w.view.setUint16(2, message.maxPayload, true);
      w.view.setUint32(4, message.arenaFree, true);
      w.view.setUint32(8, message.buildId, true);
      w.view.setUint16(12, message.nextExpected, true);
      w.view.setUint8(14, name.length);
      w.bytes.set(name, HELLO_FIXED);
      return w.bytes;
    }
    case 'CONFIG_OK': {
      checkUint('arenaUsed', message.arenaUsed, 0xffffffff);
      checkUint('arenaFree', message.arenaFree, 0xffffffff);
      const w = new Writer(8);
      w.view.setUint32(0, message.arenaUsed, true);
      w.view.setUint32(4, message.arenaFree, true);
      return w.bytes;
    }
    case 'GOODNESS': {
      checkUint('sampleSeq', message.sampleSeq, 0xffff);
      checkUint('step', message.step, 0xffffffff);
      checkUint('layers.length', message.layers.length, 0xff);
      const extra = message.layers[0]?.extra?.length ?? 0;
      const fieldCount = GOODNESS_FIELDS_V1 + extra;
      checkUint('field count', fieldCount, 0xff);
      const prediction = message.prediction ?? -1;
      if (!Number.isInteger(prediction) || prediction < -1 || prediction > 0x7fff) {
        throw new TypeError(`prediction must be null or an integer label in 0..32767, got ${message.prediction}`);
      }
      if (message.prediction === -1) throw new TypeError('prediction must be null (not -1) when there is none');
      const w = new Writer(GOODNESS_FIXED + message.layers.length * fieldCount * 4);
      w.view.setUint16(0, message.sampleSeq, true);
      w.view.setUint8(2, message.layers.length);
      w.view.setUint8(3, fieldCount);
      w.view.setUint32(4, message.step, true);
      w.view.setInt16(8, prediction, true);
      w.view.setUint8(10, message.drift ? GOODNESS_DRIFT : 0);
      w.view.setUint8(11, 0);
      message.layers.forEach((layer, l) => {
        if ((layer.extra?.length ?? 0) !== extra) {
          throw new TypeError(`layers[${l}] has ${layer.extra?.length ?? 0} extra fields, layers[0] has ${extra}: all layers need the same`);
        }
        const fields = [layer.goodnessPositive, layer.goodnessNegative, layer.loss, layer.activeFraction, layer.hoyer, ...(layer.extra ?? [])];
        fields.forEach((v, f) => w.view.setFloat32(GOODNESS_FIXED + (l * fieldCount + f) * 4, v, true));
      });
      return w.bytes;
    }
    case 'PREDICTION': {
      if (!Number.isInteger(message.label) || message.label < -1 || message.label > 0x7fff) {
        throw new TypeError(`label must be an integer in -1..32767, got ${message.label}`);
      }
      checkUint('scores.length', message.scores.length, 0xffff);
      const w = new Writer(PREDICTION_FIXED + message.scores.length * 4);
      w.view.setInt16(0, message.label, true);
      w.view.setUint16(2, message.scores.length, true);
      for (let i = 0; i < message.scores.length; i++) {
        w.view.setFloat32(PREDICTION_FIXED + i * 4, message.scores[i]!, true);
      }
      return w.bytes;
    }
    case 'ACK': {
      checkUint('nextExpected', message.nextExpected, 0xffff);
      const reason = ACK_REASONS.indexOf(message.reason);
      if (reason < 0) throw new TypeError(`reason must be one of ${ACK_REASONS.join(', ')}, got ${message.reason}`);
      const w = new Writer(3);
      w.view.setUint16(0, message.nextExpected, true);
      w.view.setUint8(2, reason);
      return w.bytes;
    }
    case 'ERROR': {
      checkUint('code', message.code, 0xffff);
      checkUint('detail', message.detail, 0xffffffff);
      const text = checkAscii('text', message.text, MAX_ERROR_TEXT);
      const w = new Writer(ERROR_FIXED + text.length);
      w.view.setUint16(0, message.code, true);
      w.view.setUint32(2, message.detail, true);
      w.view.setUint8(6, text.length);
      w.bytes.set(text, ERROR_FIXED);
      return w.bytes;
    }
    case 'PONG': {
      checkUint('nextExpected', message.nextExpected, 0xffff);
      const w = new Writer(18);
      w.view.setUint16(0, message.nextExpected, true);
      const counters = [message.framesOk, message.badCrc, message.malformed, message.tooLarge];
      counters.forEach((v, i) => {
        checkUint('counter', v, 0xffffffff);
        w.view.setUint32(2 + i * 4, v, true);
      });
      return w.bytes;
    }
    default: {
      const never: never = message;
      throw new TypeError(`unknown message type ${(never as { type: string }).type}`);
    }
  }
}

/** One complete frame (with the trailing 0x00) for a message. */
export function encodeMessage(message: Message, seq: number): Uint8Array {
  return encodeFrame(MessageType[message.type], seq, encodePayload(message));
}

// ---- decode ----

function fail(code: number, seq: number | undefined, what: string): never {
  throw new ProtocolError(code, undefined, { seq, context: what });
}

/** SAMPLE_PART / INFER_PART: the SAMPLE checks, then n = bytes / width values, 1 or more, inside total. */
function decodeSamplePart(payload: Uint8Array, view: DataView, seq?: number): SamplePart {
  if (payload.length < SAMPLE_FIXED) fail(ErrorCode.SAMPLE_LENGTH, seq, 'sample part shorter than its fixed fields');
  const encoding = SAMPLE_ENCODINGS[view.getUint8(1)];
  const width = encoding === undefined ? 1 : ENCODING_WIDTH[encoding];
  const bytes = payload.length - SAMPLE_FIXED;
  const total = view.getUint16(4, true);
  const first = view.getUint16(6, true);
  // Checked as the device does (checkRequest): kind, encoding, label first, then the length.
  const head = decodeSample(payload.subarray(0, SAMPLE_FIXED), view, seq, 0);
  if (bytes === 0 || bytes % width !== 0 || first + bytes / width > total) {
    fail(ErrorCode.SAMPLE_LENGTH, seq, `sample part of ${bytes} bytes at ${first} of ${total} ${encoding} values`);
  }
  const { values } = decodeSample(payload, view, seq, bytes / width);
  return { ...head, values, total, first };
}

/** SAMPLE / INFER; `partCount` overrides the count field (a part's own count). */
function decodeSample(payload: Uint8Array, view: DataView, seq?: number, partCount?: number): Sample {
  if (payload.length < SAMPLE_FIXED) fail(ErrorCode.SAMPLE_LENGTH, seq, 'sample shorter than its fixed fields');
  const kind = SAMPLE_KINDS[view.getUint8(0)];
  const encoding = SAMPLE_ENCODINGS[view.getUint8(1)];
  const label = view.getInt16(2, true);
  if (kind === undefined || encoding === undefined || label < -1) {
    fail(ErrorCode.MALFORMED, seq, 'sample kind, encoding or label out of range');
  }
  const count = partCount ?? view.getUint16(4, true);
  const width = ENCODING_WIDTH[encoding];
  if (payload.length !== SAMPLE_FIXED + count * width) {
    fail(ErrorCode.SAMPLE_LENGTH, seq, `sample of ${count} ${encoding} values needs ${SAMPLE_FIXED + count * width} bytes, got ${payload.length}`);
  }
  const scale = view.getFloat32(8, true);
  const raw = payload.slice(SAMPLE_FIXED).buffer;
  const values = encoding === 'f32' ? littleEndianF32(raw, count) : encoding === 'int8' ? new Int8Array(raw) : littleEndianI16(raw, count);
  return { kind, label, encoding, scale, values };
}

function littleEndianF32(buffer: ArrayBuffer, count: number): Float32Array {
  const view = new DataView(buffer);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function littleEndianI16(buffer: ArrayBuffer, count: number): Int16Array {
  const view = new DataView(buffer);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

function decodeChunk(payload: Uint8Array, view: DataView, seq?: number): CheckpointChunk {
  if (payload.length < CHUNK_FIXED) fail(ErrorCode.MALFORMED, seq, 'checkpoint chunk shorter than its fixed fields');
  const field = view.getUint32(0, true);
  const offset = field & (CHUNK_STATE - 1);
  const total = view.getUint32(4, true);
  const data = payload.slice(CHUNK_FIXED);
  if (offset + data.length > total) fail(ErrorCode.MALFORMED, seq, 'checkpoint chunk runs past total');
  const chunk: CheckpointChunk = { offset, total, blobCrc: view.getUint32(8, true), data };
  if (field & CHUNK_STATE) chunk.blob = 'state';
  return chunk;
}

function ascii(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  return s;
}

/**
 * Decode a payload of a known type. Throws ProtocolError UNKNOWN_TYPE, MALFORMED or
 * SAMPLE_LENGTH — the same code the device's checkRequest gives for requests.
 */
export function decodePayload(type: number, payload: Uint8Array, seq?: number): Message {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const need = (n: number, what: string): void => {
    if (payload.length < n) fail(ErrorCode.MALFORMED, seq, `${what} needs at least ${n} bytes, got ${payload.length}`);
  };
  const name = typeNames.get(type);
  switch (name) {
    case 'HELLO_REQUEST':
    case 'RESET':
    case 'PING':
      return { type: name };
    case 'CONFIGURE':
      if (payload.length > MAX_CONFIG_BYTES) fail(ErrorCode.MALFORMED, seq, 'config blob over 256 bytes');
      return { type: name, config: payload.slice() };
    case 'SAMPLE':
    case 'INFER':
      return { type: name, ...decodeSample(payload, view, seq) };
    case 'SAMPLE_PART':
    case 'INFER_PART':
      return { type: name, ...decodeSamplePart(payload, view, seq) };
    case 'CHECKPOINT_GET':
      need(6, name);
      const field = view.getUint32(0, true);
      const get: MessageOf<'CHECKPOINT_GET'> = { type: name, offset: field & (CHUNK_STATE - 1), maxLength: view.getUint16(4, true) };
      if (field & CHUNK_STATE) get.blob = 'state';
      return get;
    case 'CHECKPOINT_PUT':
    case 'CHECKPOINT_DATA':
      return { type: name, ...decodeChunk(payload, view, seq) };
    case 'HELLO': {
      need(HELLO_FIXED, name);
      const nameLength = view.getUint8(14);
      if (payload.length < HELLO_FIXED + nameLength) fail(ErrorCode.MALFORMED, seq, 'HELLO runtime name cut short');
      if (nameLength > MAX_RUNTIME_NAME) fail(ErrorCode.MALFORMED, seq, `HELLO runtime name of ${nameLength} bytes (at most ${MAX_RUNTIME_NAME})`);
      return {
        type: name,
        protocolVersion: view.getUint8(0),
        window: view.getUint8(1),
        maxPayload: view.getUint16(2, true),
        arenaFree: view.getUint32(4, true),
        buildId: view.getUint32(8, true),
        nextExpected: view.getUint16(12, true),
        runtime: ascii(payload.subarray(HELLO_FIXED, HELLO_FIXED + nameLength)),
      };
    }
    case 'CONFIG_OK':
      need(8, name);
      return { type: name, arenaUsed: view.getUint32(0, true), arenaFree: view.getUint32(4, true) };
    case 'GOODNESS': {
      need(GOODNESS_FIXED, name);
      const layerCount = view.getUint8(2);
      const fieldCount = view.getUint8(3);
      if (payload.length !== GOODNESS_FIXED + layerCount * fieldCount * 4) {
        fail(
          ErrorCode.MALFORMED,
          seq,
          `GOODNESS of ${layerCount} layers x ${fieldCount} fields needs ${GOODNESS_FIXED + layerCount * fieldCount * 4} bytes, got ${payload.length}`,
        );
      }
      const predicted = view.getInt16(8, true);
      if (predicted < -1) fail(ErrorCode.MALFORMED, seq, `GOODNESS prediction ${predicted} is below -1`);
      const field = (l: number, f: number): number => (f < fieldCount ? view.getFloat32(GOODNESS_FIXED + (l * fieldCount + f) * 4, true) : NaN);
      const layers: GoodnessLayer[] = [];
      for (let l = 0; l < layerCount; l++) {
        const layer: GoodnessLayer = {
          goodnessPositive: field(l, 0),
          goodnessNegative: field(l, 1),
          loss: field(l, 2),
          activeFraction: field(l, 3),
          hoyer: field(l, 4),
        };
        if (fieldCount > GOODNESS_FIELDS_V1) {
          layer.extra = [];
          for (let f = GOODNESS_FIELDS_V1; f < fieldCount; f++) layer.extra.push(field(l, f));
        }
        layers.push(layer);
      }
      return {
        type: name,
        sampleSeq: view.getUint16(0, true),
        step: view.getUint32(4, true),
        prediction: predicted < 0 ? null : predicted,
        drift: (view.getUint8(10) & GOODNESS_DRIFT) !== 0,
        layers,
      };
    }
    case 'PREDICTION': {
      need(PREDICTION_FIXED, name);
      const classCount = view.getUint16(2, true);
      if (payload.length !== PREDICTION_FIXED + classCount * 4) {
        fail(ErrorCode.MALFORMED, seq, 'PREDICTION length does not match class count');
      }
      return {
        type: name,
        label: view.getInt16(0, true),
        scores: littleEndianF32(payload.slice(PREDICTION_FIXED).buffer, classCount),
      };
    }
    case 'ACK': {
      need(3, name);
      const reason = ACK_REASONS[view.getUint8(2)];
      if (reason === undefined) fail(ErrorCode.MALFORMED, seq, 'ACK reason out of range');
      return { type: name, nextExpected: view.getUint16(0, true), reason };
    }
    case 'ERROR': {
      need(ERROR_FIXED, name);
      const textLength = view.getUint8(6);
      if (payload.length < ERROR_FIXED + textLength) fail(ErrorCode.MALFORMED, seq, 'ERROR text cut short');
      if (textLength > MAX_ERROR_TEXT) fail(ErrorCode.MALFORMED, seq, `ERROR text of ${textLength} bytes (at most ${MAX_ERROR_TEXT})`);
      return {
        type: name,
        code: view.getUint16(0, true),
        detail: view.getUint32(2, true),
        text: ascii(payload.subarray(ERROR_FIXED, ERROR_FIXED + textLength)),
      };
    }
    case 'PONG':
      need(18, name);
      return {
        type: name,
        nextExpected: view.getUint16(0, true),
        framesOk: view.getUint32(2, true),
        badCrc: view.getUint32(6, true),
        malformed: view.getUint32(10, true),
        tooLarge: view.getUint32(14, true),
      };
    default:
      throw new ProtocolError(ErrorCode.UNKNOWN_TYPE, undefined, { detail: type, seq });
  }
}

/**
 * Decode a frame from the Deframer. ERROR frames decode whatever their version
 * (their layout is frozen); any other frame of another version throws
 * ProtocolError VERSION_MISMATCH with detail = the frame's version.
 */
export function decodeMessage(frame: Frame): Message {
  if (frame.version !== PROTOCOL_VERSION && frame.type !== MessageType.ERROR) {
    throw new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, { detail: frame.version, seq: frame.seq });
  }
  return decodePayload(frame.type, frame.payload, frame.seq);
}

/** The ProtocolError a device ERROR message stands for. */
export function errorFromMessage(message: MessageOf<'ERROR'>, seq?: number): ProtocolError {
  return new ProtocolError(message.code, undefined, {
    detail: message.detail,
    remote: true,
    seq,
    deviceText: message.text,
  });
}

// ---- sample helpers ----

/** Sample values as f32, dequantised exactly as the device does (q * scale in f32). */
export function sampleToFloat32(sample: Sample): Float32Array {
  const out = new Float32Array(sample.values.length);
  const scale = Math.fround(sample.scale ?? 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = sample.encoding === 'f32' ? sample.values[i]! : Math.fround(sample.values[i]! * scale);
  }
  return out;
}

/**
 * Quantise values to int8/int16 with one symmetric scale: scale = max|v| / qmax,
 * q = round(v / scale). Returns the encoding fields of a Sample.
 */
export function quantize(values: ArrayLike<number>, encoding: 'int8' | 'int16'): { encoding: 'int8' | 'int16'; scale: number; values: Int8Array | Int16Array } {
  const qmax = encoding === 'int8' ? 0x7f : 0x7fff;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]!));
  const scale = Math.fround(maxAbs > 0 ? maxAbs / qmax : 1);
  const q = encoding === 'int8' ? new Int8Array(values.length) : new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(-qmax, Math.min(qmax, Math.round(values[i]! / scale)));
  }
  return { encoding, scale, values: q };
}
