// Regenerates test/vectors/protocol.json from the case list below, using the TS
// codec in dist/ (run `npx tsc -p tsconfig.json` first):
//
//   node test/vectors/generate.mjs            # writes test/vectors/protocol.json
//   node test/vectors/generate.mjs --check    # exits 1 if the file is stale
//
// The file, not this script, is the contract: test/protocol-vectors.test.ts holds
// both codecs (TS and AssemblyScript) to its bytes. Regenerate only on a deliberate
// protocol change, and say so in the commit (and bump the version if old peers break).

import { readFileSync, writeFileSync } from 'node:fs';
import {
  cobsEncode, crc32, Deframer, encodeFrame, encodeMessage, ErrorCode, MAX_PAYLOAD, MessageType,
  decodeMessage, ProtocolError,
} from '../../dist/host/protocol/index.js';

const out = new URL('./protocol.json', import.meta.url);
const hex = (b) => Buffer.from(b).toString('hex');
const ascii = (s) => new TextEncoder().encode(s);
const seq = (n, f) => Array.from({ length: n }, (_, i) => f(i));

// JSON form of a message: byte fields as hex, typed arrays as plain arrays.
const toJson = (m) => JSON.parse(JSON.stringify(m, (k, v) =>
  v instanceof Uint8Array && (k === 'config' || k === 'data') ? hex(v)
    : ArrayBuffer.isView(v) ? Array.from(v) : v));

const goodnessLayer = (g, n, loss, active, hoyer, extra) =>
  ({ goodnessPositive: g, goodnessNegative: n, loss, activeFraction: active, hoyer, ...(extra ? { extra } : {}) });

const cases = [
  ['hello request', 0, { type: 'HELLO_REQUEST' }],
  ['configure: blob with zeros', 1, { type: 'CONFIGURE', config: new Uint8Array([0x01, 0x00, 0x00, 0x10, 0xff, 0x00]) }],
  ['configure: empty blob', 2, { type: 'CONFIGURE', config: new Uint8Array() }],
  ['configure: 256-byte blob, no zeros (COBS 254-byte blocks)', 3,
    { type: 'CONFIGURE', config: new Uint8Array(seq(256, (i) => (i % 255) + 1)) }],
  ['sample: f32 positive', 4,
    { type: 'SAMPLE', kind: 'positive', label: 3, encoding: 'f32', scale: 1, values: [0.5, -1.25, 0, 3.75] }],
  ['sample: int8 explicit negative', 5,
    { type: 'SAMPLE', kind: 'negative', label: 9, encoding: 'int8', scale: 0.0078125, values: [-128, -1, 0, 1, 127] }],
  ['sample: int16 unlabelled', 6,
    { type: 'SAMPLE', kind: 'unlabelled', label: -1, encoding: 'int16', scale: 0.0009765625, values: [-32768, -256, 0, 255, 32767] }],
  ['sample: seq 0xFFFF (wraps to 0 next)', 0xffff,
    { type: 'SAMPLE', kind: 'positive', label: 0, encoding: 'f32', scale: 1, values: [1] }],
  ['sample: 784 int8 values (MNIST-sized)', 0x1234,
    { type: 'SAMPLE', kind: 'positive', label: 7, encoding: 'int8', scale: 0.00390625, values: seq(784, (i) => ((i * 37) % 256) - 128) }],
  ['infer: f32', 7, { type: 'INFER', kind: 'unlabelled', label: -1, encoding: 'f32', scale: 1, values: [0.25, 0.5] }],
  ['sample part: f32, values [0, 3) of 5', 12,
    { type: 'SAMPLE_PART', kind: 'positive', label: 3, encoding: 'f32', scale: 1, values: [0.5, -1.25, 0], total: 5, first: 0 }],
  ['sample part: f32, the last values [3, 5) of 5', 13,
    { type: 'SAMPLE_PART', kind: 'positive', label: 3, encoding: 'f32', scale: 1, values: [3.75, -2], total: 5, first: 3 }],
  ['sample part: int8 unlabelled, first 0x0102 of 0x0300', 14,
    { type: 'SAMPLE_PART', kind: 'unlabelled', label: -1, encoding: 'int8', scale: 0.0078125, values: [-128, 0, 127], total: 0x300, first: 0x102 }],
  ['infer part: int16, goodness mode', 15,
    { type: 'INFER_PART', kind: 'positive', label: -1, encoding: 'int16', scale: 0.0009765625, values: [-32768, 255, 32767], total: 6, first: 3 }],
  ['checkpoint get', 8, { type: 'CHECKPOINT_GET', offset: 256, maxLength: 300 }],
  ['checkpoint get: full-state snapshot (offset bit 31)', 8, { type: 'CHECKPOINT_GET', offset: 466, maxLength: 233, blob: 'state' }],
  ['checkpoint put: snapshot chunk (offset bit 31)', 9,
    { type: 'CHECKPOINT_PUT', offset: 96, total: 100, blobCrc: 0xcafef00d, data: new Uint8Array([1, 0, 2, 3]), blob: 'state' }],
  ['checkpoint put: first chunk', 9,
    { type: 'CHECKPOINT_PUT', offset: 0, total: 10, blobCrc: crc32(new Uint8Array(seq(10, (i) => i))), data: new Uint8Array(seq(6, (i) => i)) }],
  ['checkpoint put: last chunk', 10,
    { type: 'CHECKPOINT_PUT', offset: 6, total: 10, blobCrc: crc32(new Uint8Array(seq(10, (i) => i))), data: new Uint8Array([6, 7, 8, 9]) }],
  ['reset', 11, { type: 'RESET' }],
  ['ping (tag 0xBEEF)', 0xbeef, { type: 'PING' }],
  ['hello', 0, { type: 'HELLO', protocolVersion: 3, window: 8, maxPayload: MAX_PAYLOAD, arenaFree: 61440, buildId: 0xc0ffee01, nextExpected: 0, runtime: 'ff-edge/wasi' }],
  ['config ok', 1, { type: 'CONFIG_OK', arenaUsed: 12345, arenaFree: 49095 }],
  ['goodness: 3 layers', 4, { type: 'GOODNESS', sampleSeq: 4, step: 1000, prediction: null, drift: false, layers: [
    goodnessLayer(12.5, 1.5, 0.125, 0.25, 0.5),
    goodnessLayer(8, 2, 0.25, 0.125, 0.625),
    goodnessLayer(4.5, 4.25, 0.6875, 0.5, 0.0625),
  ] }],
  ['goodness: a 6th per-layer field (future extension)', 5, { type: 'GOODNESS', sampleSeq: 5, step: 1001, prediction: null, drift: false, layers: [
    goodnessLayer(1, 2, 3, 0.5, 0.25, [42]),
  ] }],
  ['goodness: prequential prediction 7, drift alarm', 6, { type: 'GOODNESS', sampleSeq: 6, step: 1002, prediction: 7, drift: true, layers: [
    goodnessLayer(3, 1, 0.25, 0.5, 0.125),
  ] }],
  ['goodness: prediction 0 (not null), no drift', 7, { type: 'GOODNESS', sampleSeq: 7, step: 1003, prediction: 0, drift: false, layers: [
    goodnessLayer(3, 1, 0.25, 0.5, 0.125),
  ] }],
  ['prediction: 10 classes', 7, { type: 'PREDICTION', label: 2, scores: [0.5, 1, 9.5, -3, 0, 0.25, 2, 2.5, -0.5, 1.5] }],
  ['prediction: no label', 7, { type: 'PREDICTION', label: -1, scores: [] }],
  ['checkpoint data', 8, { type: 'CHECKPOINT_DATA', offset: 256, total: 1000, blobCrc: 0x12345678, data: new Uint8Array([0, 1, 2, 0, 255]) }],
  ['checkpoint data: snapshot chunk (offset bit 31)', 8,
    { type: 'CHECKPOINT_DATA', offset: 0, total: 4096, blobCrc: 0x9abcdef0, data: new Uint8Array([0x46, 0x46, 0x53, 0x31]), blob: 'state' }],
  ['ack: applied', 11, { type: 'ACK', nextExpected: 12, reason: 'applied' }],
  ['ack: gap', 14, { type: 'ACK', nextExpected: 12, reason: 'gap' }],
  ['ack: duplicate, reply not kept', 3, { type: 'ACK', nextExpected: 12, reason: 'duplicate-uncached' }],
  ['error: protocol code', 6, { type: 'ERROR', code: ErrorCode.SAMPLE_LENGTH, detail: 0, text: 'sample length wrong' }],
  ['error: learner code', 1, { type: 'ERROR', code: 5, detail: 1200000, text: 'config needs more arena' }],
  ['error: device trapped (unprompted, seq 0; firmware-targets/wasm2c-glue/fatal-frames.h)', 0,
    { type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail: 5, text: 'trap: unreachable' }],
  ['pong', 0xbeef, { type: 'PONG', nextExpected: 12, framesOk: 100, badCrc: 3, malformed: 2, tooLarge: 1 }],
];

const frames = cases.map(([name, s, message]) => {
  const frame = encodeMessage(message, s);
  const [decoded] = new Deframer().push(frame);
  return {
    name, seq: s, type: MessageType[message.type], message: toJson(message),
    payload: hex(decoded.payload), frame: hex(frame),
  };
});

// Frames the receiver must reject. `layer: frame` = dropped by the deframer;
// `layer: message` = deframed fine, rejected by the device's checkHeader/checkRequest
// and by the host's decodeMessage with the same code.
const ping = encodeFrame(MessageType.PING, 1, new Uint8Array());
const sample = encodeMessage(cases[4][2], 4);
const flip = (frame, at, mask) => { const b = frame.slice(); b[at] ^= mask; return b; };
const raw = (body) => { const f = cobsEncode(body); const o = new Uint8Array(f.length + 1); o.set(f); return o; };
const bodyWithCrc = (bytes) => {
  const b = new Uint8Array(bytes.length + 4); b.set(bytes);
  new DataView(b.buffer).setUint32(bytes.length, crc32(bytes), true); return b;
};
const oversizeBody = new Uint8Array(4 + MAX_PAYLOAD + 1).fill(0x5a);
oversizeBody.set([1, MessageType.CONFIGURE, 0, 0]);
const samplePayload = (kind, encoding, label, count, bytes, first = 0) => {
  const p = new Uint8Array(12 + bytes); const v = new DataView(p.buffer);
  v.setUint8(0, kind); v.setUint8(1, encoding); v.setInt16(2, label, true); v.setUint16(4, count, true);
  v.setUint16(6, first, true); v.setFloat32(8, 1, true); return p;
};
const bad = [
  ['crc byte flipped', 'frame', flip(ping, ping.length - 2, 0x01), ErrorCode.BAD_CRC],
  ['payload bit flipped', 'frame', flip(sample, 20, 0x10), ErrorCode.BAD_CRC],
  ['truncated: last 3 bytes before the delimiter lost', 'frame',
    new Uint8Array([...sample.subarray(0, sample.length - 4), 0]), ErrorCode.MALFORMED],
  ['shorter than header + CRC (valid COBS, 7 bytes)', 'frame', raw(new Uint8Array([1, 8, 0, 0, 1, 2, 3])), ErrorCode.MALFORMED],
  ['COBS code byte points past the delimiter', 'frame', new Uint8Array([0x09, 0x01, 0x08, 0x01, 0x00]), ErrorCode.MALFORMED],
  ['payload of MAX_PAYLOAD + 1 bytes', 'frame', raw(bodyWithCrc(oversizeBody)), ErrorCode.FRAME_TOO_LARGE],
  ['version 1 ping (the previous protocol)', 'message', encodeFrame(MessageType.PING, 1, new Uint8Array(), 1), ErrorCode.VERSION_MISMATCH],
  ['unknown type 0x42', 'message', encodeFrame(0x42, 1, new Uint8Array()), ErrorCode.UNKNOWN_TYPE],
  ['sample: count says 3 f32, carries 2', 'message', encodeFrame(MessageType.SAMPLE, 4, samplePayload(0, 0, 1, 3, 8)), ErrorCode.SAMPLE_LENGTH],
  ['sample: shorter than its fixed fields', 'message', encodeFrame(MessageType.SAMPLE, 4, new Uint8Array(11)), ErrorCode.SAMPLE_LENGTH],
  ['sample: kind 3', 'message', encodeFrame(MessageType.SAMPLE, 4, samplePayload(3, 0, 1, 1, 4)), ErrorCode.MALFORMED],
  ['sample: encoding 3', 'message', encodeFrame(MessageType.SAMPLE, 4, samplePayload(0, 3, 1, 1, 4)), ErrorCode.MALFORMED],
  ['infer: label -2', 'message', encodeFrame(MessageType.INFER, 4, samplePayload(2, 1, -2, 1, 1)), ErrorCode.MALFORMED],
  ['sample part: no values', 'message', encodeFrame(MessageType.SAMPLE_PART, 4, samplePayload(0, 0, 1, 4, 0)), ErrorCode.SAMPLE_LENGTH],
  ['sample part: 6 bytes of f32 (not a whole value)', 'message', encodeFrame(MessageType.SAMPLE_PART, 4, samplePayload(0, 0, 1, 4, 6)), ErrorCode.SAMPLE_LENGTH],
  ['sample part: values [3, 5) of total 4', 'message', encodeFrame(MessageType.SAMPLE_PART, 4, samplePayload(0, 0, 1, 4, 8, 3)), ErrorCode.SAMPLE_LENGTH],
  ['infer part: encoding 3', 'message', encodeFrame(MessageType.INFER_PART, 4, samplePayload(0, 3, -1, 4, 4)), ErrorCode.MALFORMED],
  ['configure: 257-byte blob', 'message', encodeFrame(MessageType.CONFIGURE, 1, new Uint8Array(257).fill(1)), ErrorCode.MALFORMED],
  ['checkpoint get: 5-byte payload', 'message', encodeFrame(MessageType.CHECKPOINT_GET, 1, new Uint8Array(5)), ErrorCode.MALFORMED],
  ['checkpoint put: chunk runs past total', 'message',
    encodeFrame(MessageType.CHECKPOINT_PUT, 1, new Uint8Array([8, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3])), ErrorCode.MALFORMED],
].map(([name, layer, frame, code]) => {
  // Hold the generator to the intended verdict, with the TS codec.
  const drops = [];
  const got = new Deframer({ onDrop: (c) => drops.push(c) }).push(frame);
  let verdict = drops[0];
  if (layer === 'message') {
    try { decodeMessage(got[0]); } catch (e) { if (e instanceof ProtocolError) verdict = e.code; else throw e; }
  }
  if (verdict !== code || (layer === 'frame') !== (got.length === 0)) {
    throw new Error(`bad vector "${name}": expected ${code} at ${layer} layer, got ${verdict}`);
  }
  const errorName = Object.keys(ErrorCode).find((k) => ErrorCode[k] === code);
  return { name, layer, frame: hex(frame), error: errorName, code };
});

// A byte stream with noise between frames: what both deframers must get out of it.
const streamParts = [
  new Uint8Array([0x13, 0x37, 0x00]),                     // garbage before the first delimiter
  encodeMessage({ type: 'PING' }, 1),
  new Uint8Array([0x00, 0x00]),                           // idle line
  flip(encodeMessage({ type: 'RESET' }, 2), 3, 0x40),     // corrupted frame
  encodeMessage({ type: 'CHECKPOINT_GET', offset: 0, maxLength: 64 }, 3),
  new Uint8Array([0x02, 0x11]),                           // glued to the next frame: eats it
  encodeMessage({ type: 'RESET' }, 4),
  encodeMessage({ type: 'HELLO_REQUEST' }, 5),
  new Uint8Array([0x05, 0x22]),                           // partial frame at the end: never delivered
];
const streamBytes = new Uint8Array(Buffer.concat(streamParts));
const streamDeframer = new Deframer();
const streamFrames = streamDeframer.push(streamBytes);
const streams = [{
  name: 'noise, idle delimiters, a corrupted frame, a glued pair, a partial tail',
  bytes: hex(streamBytes),
  frames: streamFrames.map((f) => ({ type: f.type, seq: f.seq, payload: hex(f.payload) })),
  drops: { badCrc: streamDeframer.stats.badCrc, malformed: streamDeframer.stats.malformed, tooLarge: streamDeframer.stats.tooLarge },
}];

const crcVectors = [
  ['', 0], ['313233343536373839', 0xcbf43926], ['00', 0xd202ef8d], ['ffffffff', 0xffffffff],
  [hex(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339],
].map(([input, expected]) => {
  const got = crc32(new Uint8Array(Buffer.from(input, 'hex')));
  if (got !== expected) throw new Error(`crc32(${input}) = ${got.toString(16)}, reference ${expected.toString(16)}`);
  return { input, crc: expected.toString(16).padStart(8, '0') };
});

const run = (from, n) => seq(n, (i) => from + i);
const cobsVectors = [
  [[0x00], [0x01, 0x01]],
  [[0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]],
  [run(1, 254), [0xff, ...run(1, 254)]],
  [[0x00, ...run(1, 254)], [0x01, 0xff, ...run(1, 254)]],
  [run(1, 255), [0xff, ...run(1, 254), 0x02, 0xff]],
  [[...run(1, 254), 0x00], [0xff, ...run(1, 254), 0x01, 0x01]],
].map(([decoded, encoded]) => {
  if (hex(cobsEncode(new Uint8Array(decoded))) !== hex(new Uint8Array(encoded))) throw new Error('cobs vector mismatch');
  return { decoded: hex(new Uint8Array(decoded)), encoded: hex(new Uint8Array(encoded)) };
});

const vectors = {
  description: 'ff-edge wire protocol test vectors (docs/protocol.md). Hex strings; frames include the trailing 00 delimiter. Both host/protocol (TS) and assembly/protocol (AS) must produce and accept exactly these bytes.',
  protocolVersion: 3,
  maxPayload: MAX_PAYLOAD,
  crc32: crcVectors,
  cobs: cobsVectors,
  frames,
  bad,
  streams,
};

const text = `${JSON.stringify(vectors, null, 1)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(out, 'utf8');
  if (current !== text) { console.error('test/vectors/protocol.json is stale: run node test/vectors/generate.mjs'); process.exit(1); }
  console.log('test/vectors/protocol.json is up to date');
} else {
  writeFileSync(out, text);
  console.log(`wrote ${frames.length} frames, ${bad.length} bad frames, ${streams.length} stream to ${out.pathname}`);
}
