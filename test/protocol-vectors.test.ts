// Holds the two implementations of the wire protocol together: host/protocol (TS)
// and assembly/protocol (AssemblyScript, driven through build/protocol-harness.wasm)
// must both produce and accept exactly the bytes in test/vectors/protocol.json, drop
// the same bad frames for the same reason, and survive random corruption.
//
// Build first: npx asc assembly/protocol/harness.ts --config asconfig.json --target protocol-harness

import assert from 'node:assert/strict';
import { Xoshiro128 } from '../host/learner/reference/prng.js';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import {
  cobsDecode,
  cobsEncode,
  crc32,
  decodeMessage,
  Deframer,
  encodeFrame,
  encodeMessage,
  ErrorCode,
  CHUNK_STATE,
  MAX_PAYLOAD,
  MessageType,
  ProtocolError,
  PROTOCOL_VERSION,
  sampleToFloat32,
  SendWindow,
  type Frame,
  type Message,
  type RequestMessage,
  type Sample,
} from '../host/protocol/index.js';

// ---- the vectors ----

interface FrameVector {
  name: string;
  seq: number;
  type: number;
  message: Record<string, unknown>;
  payload: string;
  frame: string;
}
interface BadVector {
  name: string;
  layer: 'frame' | 'message';
  frame: string;
  error: string;
  code: number;
}
interface StreamVector {
  name: string;
  bytes: string;
  frames: Array<{ type: number; seq: number; payload: string }>;
  drops: { badCrc: number; malformed: number; tooLarge: number };
}
interface Vectors {
  protocolVersion: number;
  maxPayload: number;
  crc32: Array<{ input: string; crc: string }>;
  cobs: Array<{ decoded: string; encoded: string }>;
  frames: FrameVector[];
  bad: BadVector[];
  streams: StreamVector[];
}

const root = new URL('../../', import.meta.url); // from dist/test/
const vectors = JSON.parse(readFileSync(new URL('test/vectors/protocol.json', root), 'utf8')) as Vectors;
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** JSON message -> Message: hex byte fields back to Uint8Array. */
function messageOf(json: Record<string, unknown>): Message {
  const m: Record<string, unknown> = { ...json };
  for (const key of ['config', 'data']) if (typeof m[key] === 'string') m[key] = bytes(m[key] as string);
  return m as unknown as Message;
}

/** Message -> plain JSON-able value, for deepEqual against the vector. */
const plain = (m: Message): unknown =>
  JSON.parse(
    JSON.stringify(m, (k, v: unknown) =>
      v instanceof Uint8Array && (k === 'config' || k === 'data') ? hex(v) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
    ),
  );

// ---- the AssemblyScript codec ----

interface Harness {
  memory: WebAssembly.Memory;
  scratch(): number;
  scratchBytes(): number;
  protocolVersion(): number;
  maxPayload(): number;
  window(): number;
  cacheSlotBytes(): number;
  checkpointChunkMax(): number;
  crc32(ptr: number, length: number, previous: number): number;
  cobsEncode(src: number, length: number, dst: number): number;
  rxReset(): void;
  rxPush(byte: number): number;
  rxFeed(ptr: number, length: number): number;
  rxLastResult(): number;
  rxVersion(): number;
  rxType(): number;
  rxSeq(): number;
  rxPayload(): number;
  rxPayloadLength(): number;
  rxCount(cause: number): number;
  txBegin(type: number, seq: number): number;
  txFinish(payloadLength: number): number;
  txFrame(): number;
  checkHeader(version: number, type: number): number;
  checkRequest(type: number, p: number, length: number): number;
  sampleKind(p: number): number;
  sampleEncoding(p: number): number;
  sampleLabel(p: number): number;
  sampleCount(p: number): number;
  sampleScale(p: number): number;
  sampleToF32(p: number, dst: number): number;
  partTotal(p: number): number;
  partFirst(p: number): number;
  partCount(p: number, length: number): number;
  partToF32(p: number, length: number, dst: number): number;
  checkpointGetOffset(p: number): number;
  checkpointGetMaxLength(p: number): number;
  chunkOffset(p: number): number;
  chunkTotal(p: number): number;
  chunkBlobCrc(p: number): number;
  chunkData(p: number): number;
  chunkLength(payloadLength: number): number;
  checkpointGetIsState(p: number): number;
  chunkIsState(p: number): number;
  encodeHello(
    seq: number,
    window: number,
    maxPayload: number,
    arenaFree: number,
    buildId: number,
    nextExpected: number,
    name: number,
    nameLength: number,
  ): number;
  encodeConfigOk(seq: number, arenaUsed: number, arenaFree: number): number;
  encodeGoodness(seq: number, sampleSeq: number, step: number, layers: number, fields: number, ptr: number, prediction: number, flags: number): number;
  encodePrediction(seq: number, label: number, classes: number, scores: number): number;
  encodeCheckpointData(seq: number, offset: number, total: number, blobCrc: number, chunk: number, length: number): number;
  encodeAck(seq: number, nextExpected: number, reason: number): number;
  encodeError(seq: number, code: number, detail: number, text: number, length: number): number;
  encodeProtocolError(seq: number, code: number, detail: number): number;
  encodePong(seq: number, next: number, ok: number, crc: number, malformed: number, large: number): number;
  linkReset(nextExpected: number): void;
  linkAccept(seq: number): number;
  linkCommit(seq: number, frame: number, length: number): number;
  linkNextExpected(): number;
  linkCachedLength(seq: number): number;
  linkCachedFrame(seq: number): number;
  simReset(firstSeq: number): void;
  simPush(byte: number): number;
  simOut(): number;
  simOutLength(): number;
  simOutClear(): void;
  simAppliedCount(): number;
  simApplied(i: number): number;
  simStep(): number;
  simWeights(): number;
}

let as: Harness;
const RX_NONE = 0;
const RX_FRAME = 1;
const memory = (): Uint8Array => new Uint8Array(as.memory.buffer);
const read = (ptr: number, length: number): Uint8Array => memory().slice(ptr, ptr + length);
const put = (data: Uint8Array, at = as.scratch()): number => {
  assert.ok(data.length <= as.scratchBytes(), 'scratch too small for this input');
  memory().set(data, at);
  return at;
};
const putF32 = (values: ArrayLike<number>): number => put(new Uint8Array(Float32Array.from(values).buffer));
const txBytes = (length: number): Uint8Array => read(as.txFrame(), length);

/** Feed bytes to the AS deframer one at a time; collect frames and drop codes in order. */
function asDeframe(stream: Uint8Array): { frames: Frame[]; drops: number[] } {
  const frames: Frame[] = [];
  const drops: number[] = [];
  for (const b of stream) {
    const r = as.rxPush(b);
    if (r === RX_FRAME) frames.push(asFrame());
    else if (r !== RX_NONE) drops.push(r);
  }
  return { frames, drops };
}

/** Same, in chunks of random size through rxFeed, as the device loop reads fd 0. */
function asDeframeChunked(stream: Uint8Array, random: () => number): { frames: Frame[]; drops: number[] } {
  const frames: Frame[] = [];
  const drops: number[] = [];
  for (let at = 0; at < stream.length;) {
    const n = Math.min(stream.length - at, 1 + Math.floor(random() * 300));
    const ptr = put(stream.subarray(at, at + n));
    for (let used = 0; used < n;) {
      used += as.rxFeed(ptr + used, n - used);
      const r = as.rxLastResult();
      if (r === RX_FRAME) frames.push(asFrame());
      else if (r !== RX_NONE) drops.push(r);
    }
    at += n;
  }
  return { frames, drops };
}

const asFrame = (): Frame => ({
  version: as.rxVersion(),
  type: as.rxType(),
  seq: as.rxSeq(),
  payload: read(as.rxPayload(), as.rxPayloadLength()),
});

/** TS deframer over random chunk sizes, with drop codes in order. */
function tsDeframe(stream: Uint8Array, random?: () => number): { frames: Frame[]; drops: number[] } {
  const drops: number[] = [];
  const d = new Deframer({ onDrop: (code) => drops.push(code) });
  const frames: Frame[] = [];
  for (let at = 0; at < stream.length;) {
    const n = random ? 1 + Math.floor(random() * 300) : stream.length;
    frames.push(...d.push(stream.subarray(at, at + n)));
    at += n;
  }
  return { frames, drops };
}

const frameKey = (f: Frame): string => `${f.version}/${f.type}/${f.seq}/${hex(f.payload)}`;

/** Seeded PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Encode a device -> host message with the AS writers; returns the frame bytes. */
function asEncode(m: Message, seq: number): Uint8Array | null {
  switch (m.type) {
    case 'HELLO': {
      const name = new TextEncoder().encode(m.runtime);
      return txBytes(as.encodeHello(seq, m.window, m.maxPayload, m.arenaFree, m.buildId, m.nextExpected, put(name), name.length));
    }
    case 'CONFIG_OK':
      return txBytes(as.encodeConfigOk(seq, m.arenaUsed, m.arenaFree));
    case 'GOODNESS': {
      const fieldCount = 5 + (m.layers[0]?.extra?.length ?? 0);
      const fields = m.layers.flatMap((l) => [l.goodnessPositive, l.goodnessNegative, l.loss, l.activeFraction, l.hoyer, ...(l.extra ?? [])]);
      return txBytes(as.encodeGoodness(seq, m.sampleSeq, m.step, m.layers.length, fieldCount, putF32(fields), m.prediction ?? -1, m.drift ? 1 : 0));
    }
    case 'PREDICTION':
      return txBytes(as.encodePrediction(seq, m.label, m.scores.length, putF32(m.scores)));
    case 'CHECKPOINT_DATA':
      return txBytes(
        as.encodeCheckpointData(seq, m.blob === 'state' ? (m.offset | CHUNK_STATE) >>> 0 : m.offset, m.total, m.blobCrc, put(m.data), m.data.length),
      );
    case 'ACK':
      return txBytes(as.encodeAck(seq, m.nextExpected, ['applied', 'gap', 'duplicate-uncached'].indexOf(m.reason)));
    case 'ERROR': {
      const text = new TextEncoder().encode(m.text);
      return txBytes(as.encodeError(seq, m.code, m.detail, put(text), text.length));
    }
    case 'PONG':
      return txBytes(as.encodePong(seq, m.nextExpected, m.framesOk, m.badCrc, m.malformed, m.tooLarge));
    default:
      return null; // requests: the device only decodes them
  }
}

/** Check the AS readers see the same fields as the TS decoder, for a request just deframed. */
function assertAsReads(m: Message): void {
  const p = as.rxPayload();
  const length = as.rxPayloadLength();
  assert.equal(as.checkHeader(as.rxVersion(), as.rxType()), 0, 'checkHeader');
  assert.equal(as.checkRequest(as.rxType(), p, length), 0, 'checkRequest');
  switch (m.type) {
    case 'SAMPLE':
    case 'INFER': {
      const s = m as Sample;
      assert.equal(as.sampleKind(p), ['positive', 'negative', 'unlabelled'].indexOf(s.kind));
      assert.equal(as.sampleEncoding(p), ['f32', 'int8', 'int16'].indexOf(s.encoding));
      assert.equal(as.sampleLabel(p), s.label);
      assert.equal(as.sampleCount(p), s.values.length);
      assert.equal(as.sampleScale(p), Math.fround(s.encoding === 'f32' ? 1 : (s.scale ?? 1)));
      const n = as.sampleToF32(p, as.scratch());
      const device = new Float32Array(read(as.scratch(), n * 4).buffer);
      assert.deepEqual(Array.from(device), Array.from(sampleToFloat32(s)), 'dequantised inputs bit-identical');
      break;
    }
    case 'SAMPLE_PART':
    case 'INFER_PART': {
      assert.equal(as.sampleKind(p), ['positive', 'negative', 'unlabelled'].indexOf(m.kind));
      assert.equal(as.sampleEncoding(p), ['f32', 'int8', 'int16'].indexOf(m.encoding));
      assert.equal(as.sampleLabel(p), m.label);
      assert.equal(as.partTotal(p), m.total);
      assert.equal(as.partFirst(p), m.first);
      assert.equal(as.partCount(p, length), m.values.length);
      assert.equal(as.sampleScale(p), Math.fround(m.encoding === 'f32' ? 1 : (m.scale ?? 1)));
      const n = as.partToF32(p, length, as.scratch());
      const device = new Float32Array(read(as.scratch(), n * 4).buffer);
      assert.deepEqual(Array.from(device), Array.from(sampleToFloat32(m)), 'dequantised part bit-identical');
      break;
    }
    case 'CHECKPOINT_GET':
      assert.equal(as.checkpointGetOffset(p) >>> 0, m.offset);
      assert.equal(as.checkpointGetIsState(p), m.blob === 'state' ? 1 : 0, 'offset bit 31: the snapshot');
      assert.equal(as.checkpointGetMaxLength(p), m.maxLength);
      break;
    case 'CHECKPOINT_PUT':
      assert.equal(as.chunkOffset(p) >>> 0, m.offset);
      assert.equal(as.chunkIsState(p), m.blob === 'state' ? 1 : 0, 'offset bit 31: the snapshot');
      assert.equal(as.chunkTotal(p) >>> 0, m.total);
      assert.equal(as.chunkBlobCrc(p) >>> 0, m.blobCrc);
      assert.equal(hex(read(as.chunkData(p), as.chunkLength(length))), hex(m.data));
      break;
    case 'CONFIGURE':
      assert.equal(hex(read(p, length)), hex(m.config));
      break;
    default:
      break;
  }
}

before(async () => {
  const wasm = readFileSync(new URL('build/protocol-harness.wasm', root));
  const module = await WebAssembly.compile(wasm);
  assert.deepEqual(WebAssembly.Module.imports(module), [], 'the codec must have no imports');
  as = (await WebAssembly.instantiate(module, {})).exports as unknown as Harness;
});

describe('shared vectors', () => {
  test('both sides agree on version and payload limit', () => {
    assert.equal(vectors.protocolVersion, PROTOCOL_VERSION);
    assert.equal(as.protocolVersion(), PROTOCOL_VERSION);
    assert.equal(vectors.maxPayload, MAX_PAYLOAD);
    assert.equal(as.maxPayload(), MAX_PAYLOAD);
  });

  test('crc32: TS and AS give the vector CRC, also when continued piecewise', () => {
    for (const v of vectors.crc32) {
      const input = bytes(v.input);
      const expected = parseInt(v.crc, 16);
      assert.equal(crc32(input), expected, `TS crc32(${v.input})`);
      const ptr = put(input);
      assert.equal(as.crc32(ptr, input.length, 0) >>> 0, expected, `AS crc32(${v.input})`);
      const cut = input.length >> 1;
      assert.equal(as.crc32(ptr + cut, input.length - cut, as.crc32(ptr, cut, 0)) >>> 0, expected);
    }
  });

  test('cobs: TS encode/decode and AS encode match the vectors', () => {
    for (const v of vectors.cobs) {
      assert.equal(hex(cobsEncode(bytes(v.decoded))), v.encoded);
      assert.equal(hex(cobsDecode(bytes(v.encoded))!), v.decoded);
      const src = put(bytes(v.decoded));
      const dst = src + 2048;
      const n = as.cobsEncode(src, v.decoded.length / 2, dst);
      assert.equal(hex(read(dst, n)), `${v.encoded}00`);
    }
  });

  for (const v of vectors.frames) {
    test(`frame "${v.name}": both encode it and both decode it`, () => {
      const message = messageOf(v.message);
      // TS encoder from fields, and TS decoder back to the fields.
      assert.equal(hex(encodeMessage(message, v.seq)), v.frame, 'TS encodeMessage');
      const [frame] = new Deframer().push(bytes(v.frame));
      assert.ok(frame, 'TS deframer accepts it');
      assert.equal(frame.seq, v.seq);
      assert.equal(frame.type, v.type);
      assert.equal(hex(frame.payload), v.payload);
      assert.deepEqual(plain(decodeMessage(frame)), plain(message), 'TS decodeMessage');
      // AS frame layer from raw payload.
      const payload = bytes(v.payload);
      memory().set(payload, as.txBegin(v.type, v.seq));
      assert.equal(hex(txBytes(as.txFinish(payload.length))), v.frame, 'AS txBegin/txFinish');
      // AS deframer, one byte at a time: the frame completes exactly at the delimiter.
      as.rxReset();
      const stream = bytes(v.frame);
      stream.forEach((b, i) => assert.equal(as.rxPush(b), i === stream.length - 1 ? RX_FRAME : RX_NONE, `byte ${i}`));
      assert.equal(frameKey(asFrame()), frameKey(frame));
      // AS message layer: writers for device -> host, readers for host -> device.
      if (v.type & 0x80) {
        assert.equal(hex(asEncode(message, v.seq)!), v.frame, 'AS message writer');
      } else {
        assertAsReads(message);
      }
    });
  }

  // txFinish COBS-encodes the body in place, towards the start of the one transmit
  // buffer: the output must never overtake the input, at any length and zero pattern.
  for (const pattern of ['no zeros', 'all zeros', 'random', 'a zero every 254']) {
    test(`AS in-place frame encoding equals the TS encoder up to MAX_PAYLOAD: ${pattern}`, () => {
      const rng = new Xoshiro128(pattern.length);
      for (const length of [0, 1, 245, 246, 247, 250, 253, 254, 255, 500, 501, 1000, 4087, 4088, 4089, 4095, 4096]) {
        const payload = Uint8Array.from({ length }, (_, i) => {
          if (pattern === 'no zeros') return 1 + (i % 255);
          if (pattern === 'all zeros') return 0;
          if (pattern === 'random') return rng.nextBelow(256);
          return i % 254 === 253 ? 0 : 0x5a;
        });
        memory().set(payload, as.txBegin(0x82, length & 0xffff));
        assert.equal(hex(txBytes(as.txFinish(length))), hex(encodeFrame(0x82, length & 0xffff, payload)), `${length} bytes`);
      }
    });
  }

  test('AS protocol ERROR texts match the vector that uses one', () => {
    const v = vectors.frames.find((f) => f.name === 'error: protocol code')!;
    const m = messageOf(v.message) as Extract<Message, { type: 'ERROR' }>;
    assert.equal(hex(txBytes(as.encodeProtocolError(v.seq, m.code, m.detail))), v.frame);
  });

  for (const v of vectors.bad) {
    test(`bad frame "${v.name}" is rejected by both with ${v.error}`, () => {
      const stream = bytes(v.frame);
      const ts = tsDeframe(stream);
      as.rxReset();
      const device = asDeframe(stream);
      if (v.layer === 'frame') {
        assert.deepEqual(ts.drops, [v.code], 'TS drop code');
        assert.deepEqual(device.drops, [v.code], 'AS drop code');
        assert.equal(ts.frames.length + device.frames.length, 0, 'nothing delivered');
        assert.equal(as.rxCount(v.code), 1, 'AS counted it');
        return;
      }
      assert.equal(ts.frames.length, 1);
      assert.equal(device.frames.length, 1);
      assert.throws(
        () => decodeMessage(ts.frames[0]!),
        (e: unknown) => e instanceof ProtocolError && e.code === v.code,
        'TS decodeMessage',
      );
      const header = as.checkHeader(as.rxVersion(), as.rxType());
      const verdict = header !== 0 ? header : as.checkRequest(as.rxType(), as.rxPayload(), as.rxPayloadLength());
      assert.equal(verdict, v.code, 'AS checkHeader/checkRequest');
    });
  }

  for (const v of vectors.streams) {
    test(`stream "${v.name}": same frames and drop counts from both`, () => {
      const expected = v.frames.map((f) => frameKey({ version: PROTOCOL_VERSION, type: f.type, seq: f.seq, payload: bytes(f.payload) }));
      const stream = bytes(v.bytes);
      const random = prng(99);
      for (let round = 0; round < 20; round++) {
        const d = new Deframer();
        const frames: Frame[] = [];
        for (let at = 0; at < stream.length;) {
          const n = 1 + Math.floor(random() * 40);
          frames.push(...d.push(stream.subarray(at, at + n)));
          at += n;
        }
        assert.deepEqual(frames.map(frameKey), expected, `TS round ${round}`);
        assert.deepEqual({ badCrc: d.stats.badCrc, malformed: d.stats.malformed, tooLarge: d.stats.tooLarge }, v.drops);
        as.rxReset();
        const device = round % 2 ? asDeframe(stream) : asDeframeChunked(stream, random);
        assert.deepEqual(device.frames.map(frameKey), expected, `AS round ${round}`);
        assert.deepEqual(
          { badCrc: as.rxCount(ErrorCode.BAD_CRC), malformed: as.rxCount(ErrorCode.MALFORMED), tooLarge: as.rxCount(ErrorCode.FRAME_TOO_LARGE) },
          v.drops,
        );
      }
    });
  }

  test('all vector frames back to back, in random chunk sizes, come out of both deframers', () => {
    const stream = new Uint8Array(Buffer.concat(vectors.frames.map((v) => bytes(v.frame))));
    const expected = vectors.frames.map((v) => frameKey({ version: PROTOCOL_VERSION, type: v.type, seq: v.seq, payload: bytes(v.payload) }));
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = prng(seed);
      assert.deepEqual(tsDeframe(stream, random).frames.map(frameKey), expected, `TS seed ${seed}`);
      as.rxReset();
      assert.deepEqual(asDeframeChunked(stream, random).frames.map(frameKey), expected, `AS seed ${seed}`);
    }
  });
});

describe('fuzz', () => {
  const sentinel = encodeMessage({ type: 'PING' }, 0xabcd);

  test('random bit flips: no frame passes with different content, both sides agree, neither crashes', () => {
    const seed = 20240601;
    const random = prng(seed);
    const originals = vectors.frames.map((v) => bytes(v.frame));
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const original = originals[Math.floor(random() * originals.length)]!;
      const mutated = original.slice();
      const flips = 1 + Math.floor(random() * 4);
      const bits = new Set<number>(); // distinct bits: two flips of one bit would cancel out
      while (bits.size < flips) bits.add(Math.floor(random() * mutated.length * 8));
      for (const bit of bits) mutated[bit >> 3]! ^= 1 << (bit & 7);
      const stream = new Uint8Array(Buffer.concat([mutated, new Uint8Array([0]), sentinel]));
      const ts = tsDeframe(stream);
      as.rxReset();
      const device = asDeframe(stream);
      const context = `seed ${seed}, iteration ${i}, frame ${hex(mutated)}`;
      assert.deepEqual(device.frames.map(frameKey), ts.frames.map(frameKey), `TS and AS disagree: ${context}`);
      assert.deepEqual(device.drops, ts.drops, `drop causes differ: ${context}`);
      const [sentinelFrame] = new Deframer().push(sentinel);
      const [originalFrame] = new Deframer().push(original);
      const allowed = new Set([frameKey(sentinelFrame!), frameKey(originalFrame!)]);
      for (const f of ts.frames) assert.ok(allowed.has(frameKey(f)), `a corrupted frame passed as valid: ${context}`);
      assert.equal(ts.frames.filter((f) => frameKey(f) === frameKey(sentinelFrame!)).length, 1, `sentinel lost: ${context}`);
      accepted += ts.frames.length - 1;
    }
    assert.equal(accepted, 0, 'a frame with flipped bits was accepted (1..4 flips are always caught by CRC-32)');
  });

  test('random payloads in valid frames: device checks agree with the host decoder and readers never trap', () => {
    const random = prng(7);
    const requestTypes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x09, 0x42, 0x7f];
    for (let i = 0; i < 4000; i++) {
      const type = requestTypes[Math.floor(random() * requestTypes.length)]!;
      let payload = new Uint8Array(Math.floor(random() * 64));
      for (let k = 0; k < payload.length; k++) payload[k] = Math.floor(random() * 256);
      if ((type === 0x03 || type === 0x04) && random() < 0.7) {
        // Mostly-plausible samples so the length and value paths run, not just the range checks.
        const count = Math.floor(random() * 40);
        const encoding = Math.floor(random() * 3);
        const width = [4, 1, 2][encoding]!;
        const slack = random() < 0.5 ? 0 : Math.floor(random() * 5) - 2;
        payload = new Uint8Array(Math.max(0, 12 + count * width + slack));
        for (let k = 12; k < payload.length; k++) payload[k] = Math.floor(random() * 256);
        const view = new DataView(payload.buffer);
        if (payload.length >= 12) {
          view.setUint8(0, Math.floor(random() * 4));
          view.setUint8(1, encoding);
          view.setInt16(2, Math.floor(random() * 14) - 2, true);
          view.setUint16(4, count, true);
          view.setFloat32(8, random(), true);
        }
      }
      const version = random() < 0.05 ? 2 : PROTOCOL_VERSION;
      const frame = encodeFrame(type, i & 0xffff, payload, version);
      as.rxReset();
      const device = asDeframe(frame);
      assert.equal(device.frames.length, 1);
      const header = as.checkHeader(as.rxVersion(), as.rxType());
      const verdict = header !== 0 ? header : as.checkRequest(as.rxType(), as.rxPayload(), as.rxPayloadLength());
      let host = 0;
      try {
        decodeMessage(new Deframer().push(frame)[0]!);
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
        host = e.code;
      }
      assert.equal(verdict, host, `type 0x${type.toString(16)} payload ${hex(payload)}`);
      if (verdict === 0 && (type === 0x03 || type === 0x04)) {
        const n = as.sampleToF32(as.rxPayload(), as.scratch());
        assert.equal(n, as.sampleCount(as.rxPayload()));
      }
    }
  });
});

describe('device sequence filter (assembly/protocol/link.ts)', () => {
  const APPLY = 0;
  const RESEND = 1;
  const GAP = 2;
  const IGNORE = 3;
  const reply = (seq: number): number => as.encodeAck(seq, seqAddU16(seq, 1), 0);

  test('applies only the expected seq, once; duplicates get the cached reply back', () => {
    as.linkReset(65534);
    assert.equal(as.linkAccept(65534), APPLY);
    assert.equal(as.linkCommit(65534, as.txFrame(), reply(65534)), 1);
    assert.equal(as.linkCommit(65534, as.txFrame(), reply(65534)), 0, 'cannot commit the same seq twice');
    assert.equal(as.linkAccept(65535), APPLY);
    as.linkCommit(65535, as.txFrame(), reply(65535));
    assert.equal(as.linkNextExpected(), 0, 'wrapped');
    assert.equal(as.linkAccept(65534), RESEND);
    const n = as.linkCachedLength(65534);
    const [cached] = new Deframer().push(read(as.linkCachedFrame(65534), n));
    assert.equal(cached!.seq, 65534);
  });

  test('a gap is reported once per expected value, then ignored until the seq advances', () => {
    as.linkReset(10);
    assert.equal(as.linkAccept(12), GAP);
    assert.equal(as.linkAccept(13), IGNORE);
    assert.equal(as.linkAccept(11), IGNORE);
    assert.equal(as.linkAccept(10), APPLY);
    as.linkCommit(10, as.txFrame(), reply(10));
    assert.equal(as.linkAccept(13), GAP);
  });

  test('only the last WINDOW replies are kept; older duplicates get none', () => {
    const window = as.window();
    as.linkReset(0);
    for (let s = 0; s < window + 2; s++) {
      assert.equal(as.linkAccept(s), APPLY);
      as.linkCommit(s, as.txFrame(), reply(s));
    }
    assert.equal(as.linkCachedLength(0), 0);
    assert.equal(as.linkCachedLength(1), 0);
    for (let s = 2; s < window + 2; s++) assert.ok(as.linkCachedLength(s) > 0, `reply ${s} kept`);
    assert.equal(as.linkCachedLength(window + 2), 0, 'nothing cached for a seq not yet applied');
    // A reply too large for a cache slot is not kept (the device then answers ACK duplicate-uncached).
    const big = new Uint8Array(as.cacheSlotBytes());
    const length = as.encodeCheckpointData(window + 2, 0, big.length, 0, put(big), big.length);
    as.linkCommit(window + 2, as.txFrame(), length);
    assert.equal(as.linkCachedLength(window + 2), 0);
  });
});

const seqAddU16 = (seq: number, n: number): number => (seq + n) & 0xffff;

// ---- reliability: the TS SendWindow against the AS reference device over a lossy link ----

interface LinkOptions {
  seed: number;
  loss: number;
  corrupt: number;
  latency: number;
}

/** One direction of a serial link: FIFO, per-frame loss and single-bit corruption, fixed latency. */
class LossyPipe {
  private queue: Array<{ at: number; data: Uint8Array }> = [];
  private lastAt = 0;
  lost = 0;
  corrupted = 0;
  constructor(
    private readonly options: LinkOptions,
    private readonly random: () => number,
  ) {}
  send(data: Uint8Array, now: number): void {
    if (this.random() < this.options.loss) {
      this.lost++;
      return;
    }
    let copy = data.slice();
    if (this.random() < this.options.corrupt) {
      const bit = Math.floor(this.random() * copy.length * 8);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      this.corrupted++;
      // A line that corrupts a delimiter glues two frames; make sure frames still re-sync.
      if (this.random() < 0.5) copy = new Uint8Array([0, ...copy]);
    }
    this.lastAt = Math.max(this.lastAt, now + this.options.latency + Math.ceil(copy.length / 64));
    this.queue.push({ at: this.lastAt, data: copy });
  }
  due(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.queue.length > 0 && this.queue[0]!.at <= now) out.push(this.queue.shift()!.data);
    return out;
  }
}

interface Session {
  now: number;
  toDevice: LossyPipe;
  toHost: LossyPipe;
  deframer: Deframer;
  window: SendWindow<number>;
  replies: Map<number, { seq: number; reply: Message | null; outcome: string }[]>;
}

function deviceStep(s: Session): void {
  for (const data of s.toDevice.due(s.now)) {
    for (const b of data) {
      if (as.simPush(b) > 0) {
        s.toHost.send(read(as.simOut(), as.simOutLength()), s.now);
        as.simOutClear();
      }
    }
  }
}

/** Open a session: HELLO_REQUEST until a HELLO arrives, then a window from its fields. */
function openSession(options: LinkOptions, firstSeq: number): Session {
  const random = prng(options.seed);
  as.rxReset();
  as.simReset(firstSeq);
  const toDevice = new LossyPipe(options, random);
  const toHost = new LossyPipe(options, random);
  const deframer = new Deframer();
  let now = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    toDevice.send(encodeMessage({ type: 'HELLO_REQUEST' }, attempt), now);
    for (let t = 0; t < 40; t++, now++) {
      const s = { now, toDevice, toHost } as Session;
      deviceStep(s);
      for (const data of toHost.due(now)) {
        for (const frame of deframer.push(data)) {
          const m = decodeMessage(frame);
          if (m.type === 'HELLO') {
            assert.equal(m.runtime, 'sim');
            const window = new SendWindow<number>({ window: m.window, firstSeq: m.nextExpected, rtoInitialMs: 60, rtoMinMs: 30, maxRetries: 30 });
            return { now, toDevice, toHost, deframer, window, replies: new Map() };
          }
        }
      }
    }
  }
  throw new Error('no HELLO from the reference device');
}

/** Push requests through the window until all are answered; returns per-tag replies. */
function run(s: Session, requests: RequestMessage[]): void {
  let next = 0;
  for (let guard = 0; guard < 200000; guard++, s.now++) {
    while (next < requests.length && s.window.canSend()) {
      s.toDevice.send(s.window.send(requests[next]!, next, s.now).frame, s.now);
      next++;
    }
    deviceStep(s);
    for (const data of s.toHost.due(s.now)) {
      for (const frame of s.deframer.push(data)) {
        // An unprompted HELLO mid-session: the device booted (the link engine's rule, §6.3).
        if (frame.type === MessageType.HELLO) throw new ProtocolError(ErrorCode.LINK_DESYNC, undefined, { context: 'unprompted HELLO: reconnect' });
        const { completed, retransmit } = s.window.receive(decodeMessage(frame), frame.seq, s.now);
        for (const c of completed) {
          const list = s.replies.get(c.tag) ?? [];
          list.push({ seq: c.seq, reply: c.reply, outcome: c.outcome });
          s.replies.set(c.tag, list);
        }
        for (const f of retransmit) s.toDevice.send(f, s.now);
      }
    }
    for (const f of s.window.poll(s.now)) s.toDevice.send(f, s.now);
    if (next === requests.length && s.window.inFlight === 0) return;
  }
  throw new Error(`session did not finish: ${s.window.inFlight} in flight`);
}

const sampleRequest = (i: number): RequestMessage => ({
  type: 'SAMPLE',
  kind: i % 3 === 0 ? 'negative' : 'positive',
  label: i % 10,
  encoding: 'int8',
  scale: 0.01,
  values: Int8Array.from({ length: 16 }, (_, k) => ((i * 7 + k * 13) % 255) - 127),
});

describe('reliable delivery against the AS reference device', () => {
  for (const link of [
    { seed: 1, loss: 0, corrupt: 0, latency: 3 },
    { seed: 2, loss: 0.1, corrupt: 0.05, latency: 3 },
    { seed: 3, loss: 0.25, corrupt: 0.1, latency: 7 },
  ]) {
    test(`every sample trained exactly once, in order (loss ${link.loss}, corruption ${link.corrupt}, seq wraps)`, () => {
      const s = openSession(link, 65500);
      const count = 250;
      const requests = Array.from({ length: count }, (_, i) => sampleRequest(i));
      run(s, requests);
      // Device side: the toy learner's log is exactly the samples, once each, in order.
      assert.equal(as.simAppliedCount(), count);
      assert.equal(as.simStep(), count);
      for (let i = 0; i < count; i++) {
        const entry = as.simApplied(i) >>> 0;
        const r = requests[i] as Extract<RequestMessage, { type: 'SAMPLE' }>;
        assert.equal(entry & 0xffff, (65500 + i) & 0xffff, `sample ${i} seq`);
        assert.equal((entry >>> 16) & 0xff, r.kind === 'negative' ? 1 : 0, `sample ${i} kind`);
        assert.equal((entry >>> 24) - 1, r.label, `sample ${i} label`);
      }
      // Host side: one GOODNESS per sample, for that sample, with its step.
      for (let i = 0; i < count; i++) {
        const got = s.replies.get(i);
        assert.equal(got?.length, 1, `sample ${i} completed once`);
        const { reply, outcome, seq } = got![0]!;
        assert.equal(outcome, 'replied');
        assert.ok(reply?.type === 'GOODNESS', `sample ${i}: ${reply?.type}`);
        assert.equal(reply.sampleSeq, seq);
        assert.equal(reply.step, i + 1);
      }
      if (link.loss > 0) {
        assert.ok(s.window.retransmissions > 0, 'the lossy run exercised retransmission');
        assert.ok(s.toDevice.lost + s.toHost.lost > 0);
      }
    });
  }

  test('checkpoint put over a lossy link applies whole; a bad blob CRC applies nothing', () => {
    const s = openSession({ seed: 11, loss: 0.15, corrupt: 0.05, latency: 4 }, 0);
    const blob = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13 + 5) & 0xff);
    const chunks = (crc: number): RequestMessage[] =>
      Array.from({ length: 5 }, (_, k) => ({
        type: 'CHECKPOINT_PUT',
        offset: k * 200,
        total: blob.length,
        blobCrc: crc,
        data: blob.subarray(k * 200, k * 200 + 200),
      }));
    const before = read(as.simWeights(), 1000);
    run(s, chunks((crc32(blob) ^ 1) >>> 0)); // wrong whole-blob CRC
    const last = s.replies.get(4)![0]!.reply;
    assert.ok(last?.type === 'ERROR' && last.code === ErrorCode.CHECKPOINT_CRC, `got ${JSON.stringify(last)}`);
    assert.equal(hex(read(as.simWeights(), 1000)), hex(before), 'weights untouched by a bad blob');
    s.replies.clear();
    run(s, chunks(crc32(blob)));
    for (let k = 0; k < 5; k++) assert.equal(s.replies.get(k)![0]!.reply?.type, 'ACK');
    assert.equal(hex(read(as.simWeights(), 1000)), hex(blob), 'weights replaced by the new blob');
    // And read it back in chunks: the device cuts each chunk to what its reply cache keeps.
    s.replies.clear();
    const gets: RequestMessage[] = [];
    for (let offset = 0; offset < 1000; offset += 300) gets.push({ type: 'CHECKPOINT_GET', offset, maxLength: 300 });
    run(s, gets);
    let cut = 0;
    gets.forEach((g, k) => {
      const r = s.replies.get(k)![0]!.reply;
      assert.ok(r?.type === 'CHECKPOINT_DATA' && g.type === 'CHECKPOINT_GET');
      assert.equal(r.blobCrc, crc32(blob));
      assert.equal(r.offset, g.offset);
      assert.ok(r.data.length > 0 && r.data.length <= Math.min(300, 1000 - g.offset), `chunk at ${g.offset}: ${r.data.length} bytes`);
      assert.equal(hex(r.data), hex(blob.subarray(r.offset, r.offset + r.data.length)), `chunk at ${g.offset}`);
      if (r.data.length < Math.min(300, 1000 - g.offset)) cut++;
    });
    assert.equal(cut > 0, as.checkpointChunkMax() < 300, 'chunks are cut to the reply cache exactly when 300 bytes would not fit it');
  });

  test('a chunk out of sequence is refused with CHECKPOINT_SEQUENCE', () => {
    const s = openSession({ seed: 5, loss: 0, corrupt: 0, latency: 1 }, 0);
    run(s, [{ type: 'CHECKPOINT_PUT', offset: 100, total: 200, blobCrc: 0, data: new Uint8Array(10) }]);
    const r = s.replies.get(0)![0]!.reply;
    assert.ok(r?.type === 'ERROR' && r.code === ErrorCode.CHECKPOINT_SEQUENCE);
  });

  test('a malformed request is consumed with an ERROR reply, not applied, and the stream goes on', () => {
    const s = openSession({ seed: 6, loss: 0, corrupt: 0, latency: 1 }, 10);
    // A CONFIGURE the device accepts, then samples around one the host could not have validated (wrong label).
    run(s, [{ type: 'CONFIGURE', config: new Uint8Array(40) }, sampleRequest(0), sampleRequest(1)]);
    assert.equal(s.replies.get(0)![0]!.reply?.type, 'CONFIG_OK');
    assert.equal(as.simAppliedCount(), 2);
    // INFER is answered but never trained.
    s.replies.clear();
    run(s, [{ type: 'INFER', kind: 'unlabelled', label: -1, encoding: 'f32', values: [0.5, 2, 1] }]);
    const p = s.replies.get(0)![0]!.reply;
    assert.ok(p?.type === 'PREDICTION');
    assert.equal(p.label, 1);
    assert.equal(as.simAppliedCount(), 2);
  });

  test('a device that restarted mid-session is reported as LINK_DESYNC, not silently resumed', () => {
    const s = openSession({ seed: 8, loss: 0, corrupt: 0, latency: 1 }, 300);
    run(s, [sampleRequest(0), sampleRequest(1)]);
    as.simReset(0); // reboot: expects seq 0 again, remembers nothing
    as.rxReset();
    assert.throws(
      () => run(s, [sampleRequest(2)]),
      (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.LINK_DESYNC && /reconnect/.test(e.message),
    );
    assert.equal(as.simAppliedCount(), 0, 'the rebooted device trained nothing from the stale stream');
  });

  test('a fresh device answers a request from before its reset with HELLO, also across the wrap (§6.6)', () => {
    as.rxReset();
    for (const stale of [65530, 65535, 5]) {
      as.simReset(0); // booted: expects seq 0, no HELLO_REQUEST answered yet
      let n = 0;
      for (const b of encodeMessage(sampleRequest(0), stale)) n += as.simPush(b);
      const [frame] = new Deframer().push(read(as.simOut(), n));
      as.simOutClear();
      const reply = frame && decodeMessage(frame);
      assert.equal(reply?.type, 'HELLO', `seq ${stale}: got ${JSON.stringify(reply)}`);
      assert.equal(frame!.seq, 0, 'header seq 0, as the boot HELLO: no host tag can match it');
      assert.equal(as.simAppliedCount(), 0);
    }
    // Once greeted (HELLO_REQUEST) or once it applied seq 0, the usual rules hold.
    as.simReset(0);
    let n = 0;
    for (const b of encodeMessage({ type: 'HELLO_REQUEST' }, 1)) n += as.simPush(b);
    for (const b of encodeMessage(sampleRequest(0), 65530)) n += as.simPush(b);
    const replies = new Deframer().push(read(as.simOut(), n)).map(decodeMessage);
    as.simOutClear();
    assert.deepEqual(
      replies.map((r) => r.type),
      ['HELLO', 'ACK'],
    );
    assert.ok(replies[1]!.type === 'ACK' && replies[1]!.reason === 'duplicate-uncached');
  });

  test('the largest checkpoint chunk is re-sent from the reply cache, not answered ACK duplicate-uncached', () => {
    // Worst case for the cache slot: no zero byte anywhere, so COBS adds the most.
    const ones = new Uint8Array(as.checkpointChunkMax()).fill(0xff);
    const worst = as.encodeCheckpointData(0xffff, 0xffffffff, 0xffffffff, 0xffffffff, put(ones), ones.length);
    assert.ok(worst <= as.cacheSlotBytes(), `${worst}-byte reply, ${as.cacheSlotBytes()}-byte slot`);
    as.rxReset();
    as.simReset(0);
    const get = encodeMessage({ type: 'CHECKPOINT_GET', offset: 0, maxLength: 0xffff }, 0);
    const replies: Uint8Array[] = [];
    for (let k = 0; k < 2; k++) {
      // the second is a retransmission of the same seq
      let n = 0;
      for (const b of get) n += as.simPush(b);
      replies.push(read(as.simOut(), n));
      as.simOutClear();
    }
    const first = decodeMessage(new Deframer().push(replies[0]!)[0]!);
    assert.ok(first.type === 'CHECKPOINT_DATA');
    assert.equal(first.data.length, as.checkpointChunkMax(), 'a chunk as large as the cache allows');
    assert.equal(hex(replies[1]!), hex(replies[0]!), 'the duplicate got the cached reply, byte for byte');
  });

  test('PING reports the frames accepted and each drop cause the device counted', () => {
    as.rxReset();
    as.simReset(0);
    const good = encodeMessage({ type: 'HELLO_REQUEST' }, 1);
    const badCrc = good.slice();
    badCrc[2]! ^= 0x10; // a payload-less frame: byte 2 is the seq, inside the CRC
    const malformed = Uint8Array.of(0x05, 0x01, 0x00); // COBS block cut short by the delimiter
    const tooLarge = Uint8Array.from([...new Uint8Array(MAX_PAYLOAD + 64).fill(0x07), 0]);
    // Different counts per cause, so counters passed in the wrong order show.
    const stream = [good, badCrc, malformed, malformed, tooLarge, tooLarge, tooLarge, encodeMessage({ type: 'PING' }, 2)];
    let n = 0;
    for (const part of stream) for (const b of part) n += as.simPush(b);
    const replies = new Deframer().push(read(as.simOut(), n)).map((f) => decodeMessage(f));
    const pong = replies.at(-1)!;
    assert.ok(pong.type === 'PONG', JSON.stringify(replies.map((r) => r.type)));
    assert.deepEqual(
      { framesOk: pong.framesOk, badCrc: pong.badCrc, malformed: pong.malformed, tooLarge: pong.tooLarge },
      { framesOk: 2, badCrc: 1, malformed: 2, tooLarge: 3 },
      'HELLO_REQUEST and PING accepted, the drops by cause',
    );
  });

  test('a version mismatch is answered with ERROR carrying the device version', () => {
    as.rxReset();
    as.simReset(0);
    const frame = encodeFrame(MessageType.HELLO_REQUEST, 3, new Uint8Array(), 9);
    let n = 0;
    for (const b of frame) n += as.simPush(b);
    const [reply] = new Deframer().push(read(as.simOut(), n));
    const m = decodeMessage(reply!);
    assert.ok(m.type === 'ERROR');
    assert.equal(m.code, ErrorCode.VERSION_MISMATCH);
    assert.equal(m.detail, PROTOCOL_VERSION);
    assert.equal(reply!.seq, 3);
  });
});
