import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, ProtocolError } from './errors.js';
import { Deframer, encodeFrame, PROTOCOL_VERSION } from './frame.js';
import {
  decodeMessage,
  decodePayload,
  encodeMessage,
  encodePayload,
  errorFromMessage,
  isSequenced,
  MessageType,
  quantize,
  sampleToFloat32,
  type Message,
} from './messages.js';

const roundTrip = (message: Message, seq = 5): Message => {
  const frames = new Deframer().push(encodeMessage(message, seq));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.seq, seq);
  assert.equal(frames[0]!.type, MessageType[message.type]);
  return decodeMessage(frames[0]!);
};

// Plain arrays for deepEqual against decoded typed arrays.
const plain = (m: Message): unknown =>
  JSON.parse(JSON.stringify(m, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));

const messages: Message[] = [
  { type: 'HELLO_REQUEST' },
  { type: 'CONFIGURE', config: new Uint8Array([1, 0, 2, 255]) },
  { type: 'SAMPLE', kind: 'positive', label: 3, encoding: 'f32', scale: 1, values: new Float32Array([0.5, -1.25, 0]) },
  { type: 'SAMPLE', kind: 'negative', label: 7, encoding: 'int8', scale: 0.0078125, values: new Int8Array([-128, 0, 127]) },
  { type: 'INFER', kind: 'unlabelled', label: -1, encoding: 'int16', scale: 0.5, values: new Int16Array([-32768, 1, 32767]) },
  { type: 'SAMPLE_PART', kind: 'positive', label: 3, encoding: 'f32', scale: 1, values: new Float32Array([0.5, -1.25]), total: 5, first: 2 },
  { type: 'INFER_PART', kind: 'negative', label: -1, encoding: 'int8', scale: 0.25, values: new Int8Array([-128, 127]), total: 2, first: 0 },
  { type: 'CHECKPOINT_GET', offset: 1000, maxLength: 256 },
  { type: 'CHECKPOINT_PUT', offset: 4, total: 10, blobCrc: 0xdeadbeef, data: new Uint8Array([9, 8, 7]) },
  { type: 'RESET' },
  { type: 'PING' },
  { type: 'HELLO', protocolVersion: 1, window: 8, maxPayload: 4096, arenaFree: 60000, buildId: 0x01020304, nextExpected: 17, runtime: 'node-wasi' },
  { type: 'CONFIG_OK', arenaUsed: 1234, arenaFree: 5678 },
  {
    type: 'GOODNESS',
    sampleSeq: 17,
    step: 99,
    prediction: 3,
    drift: true,
    layers: [
      { goodnessPositive: 2.5, goodnessNegative: 0.25, loss: 0.125, activeFraction: 0.5, hoyer: 0.75 },
      { goodnessPositive: 3, goodnessNegative: 1, loss: 0.5, activeFraction: 0.25, hoyer: 0.5 },
    ],
  },
  { type: 'PREDICTION', label: 4, scores: new Float32Array([0.5, 1.5, -2]) },
  { type: 'CHECKPOINT_DATA', offset: 0, total: 3, blobCrc: 1, data: new Uint8Array([0, 0, 0]) },
  { type: 'ACK', nextExpected: 65535, reason: 'gap' },
  { type: 'ERROR', code: 68, detail: 784, text: 'sample length wrong' },
  { type: 'PONG', nextExpected: 3, framesOk: 10, badCrc: 2, malformed: 1, tooLarge: 0 },
];

for (const message of messages) {
  test(`${message.type} round-trips through frame and message codec`, () => {
    assert.deepEqual(plain(roundTrip(message)), plain(message));
  });
}

test('every message type appears in the round-trip list', () => {
  assert.deepEqual(new Set(messages.map((m) => m.type)), new Set(Object.keys(MessageType)));
});

test('GOODNESS keeps fields beyond v1 in extra, and pads missing ones with NaN', () => {
  const m: Message = {
    type: 'GOODNESS',
    sampleSeq: 1,
    step: 2,
    prediction: null,
    drift: false,
    layers: [{ goodnessPositive: 1, goodnessNegative: 2, loss: 3, activeFraction: 4, hoyer: 5, extra: [6, 7] }],
  };
  assert.deepEqual(plain(roundTrip(m)), plain(m));
  // A hypothetical older record with 3 fields per layer.
  const payload = new Uint8Array(12 + 12);
  const view = new DataView(payload.buffer);
  view.setUint8(2, 1);
  view.setUint8(3, 3);
  view.setInt16(8, -1, true);
  view.setFloat32(12, 1, true);
  const decoded = decodePayload(MessageType.GOODNESS, payload);
  assert.ok(decoded.type === 'GOODNESS');
  assert.equal(decoded.layers[0]!.goodnessPositive, 1);
  assert.ok(Number.isNaN(decoded.layers[0]!.hoyer));
});

test('GOODNESS prediction and drift: offsets 8 (i16, -1 = null) and 10 (bit 0), both ways', () => {
  const layer = { goodnessPositive: 1, goodnessNegative: 2, loss: 3, activeFraction: 4, hoyer: 5 };
  const bytes = encodePayload({ type: 'GOODNESS', sampleSeq: 9, step: 3, prediction: 7, drift: true, layers: [layer] });
  const view = new DataView(bytes.buffer);
  assert.equal(bytes.length, 12 + 5 * 4);
  assert.equal(view.getInt16(8, true), 7);
  assert.equal(view.getUint8(10), 1);
  const none = encodePayload({ type: 'GOODNESS', sampleSeq: 9, step: 3, prediction: null, drift: false, layers: [layer] });
  assert.equal(new DataView(none.buffer).getInt16(8, true), -1);
  assert.equal(none[10], 0);
  const decoded = decodePayload(MessageType.GOODNESS, none);
  assert.ok(decoded.type === 'GOODNESS');
  assert.equal(decoded.prediction, null);
  assert.equal(decoded.drift, false);
  assert.throws(() => encodePayload({ type: 'GOODNESS', sampleSeq: 0, step: 0, prediction: -1, drift: false, layers: [layer] }), /prediction must be null/);
  const bad = bytes.slice();
  new DataView(bad.buffer).setInt16(8, -2, true);
  assert.throws(
    () => decodePayload(MessageType.GOODNESS, bad),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.MALFORMED,
  );
  assert.throws(
    () => decodePayload(MessageType.GOODNESS, bytes.subarray(0, 11)),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.MALFORMED,
  );
});

test('f32 samples always carry scale 1.0 on the wire', () => {
  const payload = encodePayload({ type: 'SAMPLE', kind: 'positive', label: 0, encoding: 'f32', scale: 3, values: [1] });
  assert.equal(new DataView(payload.buffer).getFloat32(8, true), 1);
});

test('sample length mismatches are SAMPLE_LENGTH, out-of-range fields MALFORMED', () => {
  const good = encodePayload({ type: 'SAMPLE', kind: 'positive', label: 1, encoding: 'int16', scale: 1, values: [1, 2] });
  const code = (payload: Uint8Array): number => {
    try {
      decodePayload(MessageType.SAMPLE, payload);
    } catch (e) {
      return (e as ProtocolError).code;
    }
    return 0;
  };
  assert.equal(code(good), 0);
  assert.equal(code(good.subarray(0, good.length - 1)), ErrorCode.SAMPLE_LENGTH);
  assert.equal(code(good.subarray(0, 11)), ErrorCode.SAMPLE_LENGTH);
  const badKind = good.slice();
  badKind[0] = 3;
  assert.equal(code(badKind), ErrorCode.MALFORMED);
  const badEncoding = good.slice();
  badEncoding[1] = 9;
  assert.equal(code(badEncoding), ErrorCode.MALFORMED);
  const badLabel = good.slice();
  new DataView(badLabel.buffer).setInt16(2, -2, true);
  assert.equal(code(badLabel), ErrorCode.MALFORMED);
});

test('other malformed payloads throw MALFORMED; unknown types UNKNOWN_TYPE', () => {
  const expectCode = (fn: () => unknown, code: number): void => {
    assert.throws(fn, (e: unknown) => e instanceof ProtocolError && e.code === code);
  };
  expectCode(() => decodePayload(MessageType.CONFIGURE, new Uint8Array(257)), ErrorCode.MALFORMED);
  expectCode(() => decodePayload(MessageType.CHECKPOINT_GET, new Uint8Array(5)), ErrorCode.MALFORMED);
  const put = encodePayload({ type: 'CHECKPOINT_PUT', offset: 0, total: 2, blobCrc: 0, data: new Uint8Array(2) });
  new DataView(put.buffer).setUint32(4, 1, true); // total now shorter than the chunk
  expectCode(() => decodePayload(MessageType.CHECKPOINT_PUT, put), ErrorCode.MALFORMED);
  expectCode(() => decodePayload(MessageType.ACK, new Uint8Array([0, 0, 3])), ErrorCode.MALFORMED);
  expectCode(() => decodePayload(MessageType.ERROR, new Uint8Array([64, 0, 0, 0, 0, 0, 5, 65])), ErrorCode.MALFORMED);
  expectCode(() => decodePayload(0x42, new Uint8Array()), ErrorCode.UNKNOWN_TYPE);
});

test('HELLO runtime names over 32 bytes and ERROR texts over 64 are MALFORMED (docs/protocol.md limits)', () => {
  const expectMalformed = (type: number, payload: Uint8Array): void => {
    assert.throws(
      () => decodePayload(type, payload),
      (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.MALFORMED,
    );
  };
  const hello = encodePayload({
    type: 'HELLO',
    protocolVersion: 1,
    window: 8,
    maxPayload: 4096,
    arenaFree: 1,
    buildId: 1,
    nextExpected: 0,
    runtime: 'x'.repeat(32),
  });
  assert.equal((decodePayload(MessageType.HELLO, hello) as { runtime: string }).runtime.length, 32);
  const longHello = new Uint8Array(hello.length + 1);
  longHello.set(hello);
  longHello[14] = 33;
  longHello[hello.length] = 0x78;
  expectMalformed(MessageType.HELLO, longHello);
  const error = encodePayload({ type: 'ERROR', code: 1, detail: 0, text: 'e'.repeat(64) });
  assert.equal((decodePayload(MessageType.ERROR, error) as { text: string }).text.length, 64);
  const longError = new Uint8Array(error.length + 1);
  longError.set(error);
  longError[6] = 65;
  longError[error.length] = 0x65;
  expectMalformed(MessageType.ERROR, longError);
});

test('a frame of another version is VERSION_MISMATCH, except ERROR which always decodes', () => {
  const other = PROTOCOL_VERSION + 1;
  const [v2] = new Deframer().push(encodeFrame(MessageType.PING, 1, new Uint8Array(), other));
  assert.throws(
    () => decodeMessage(v2!),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.VERSION_MISMATCH && e.detail === other,
  );
  const error = encodePayload({ type: 'ERROR', code: ErrorCode.VERSION_MISMATCH, detail: other, text: 'protocol version mismatch' });
  const [fromV2] = new Deframer().push(encodeFrame(MessageType.ERROR, 1, error, other));
  const decoded = decodeMessage(fromV2!);
  assert.ok(decoded.type === 'ERROR');
  const raised = errorFromMessage(decoded, 1);
  assert.equal(raised.code, ErrorCode.VERSION_MISMATCH);
  assert.equal(raised.remote, true);
  assert.match(raised.message, /update the host/);
});

test('encoders reject bad fields with a TypeError naming the field', () => {
  assert.throws(() => encodePayload({ type: 'SAMPLE', kind: 'positive', label: -2, encoding: 'f32', values: [] }), /sample\.label/);
  assert.throws(() => encodePayload({ type: 'SAMPLE', kind: 'positive', label: 0, encoding: 'int8', scale: 1, values: [128] }), /sample\.values\[0\]/);
  assert.throws(() => encodePayload({ type: 'CONFIGURE', config: new Uint8Array(257) }), /config blob is 257 bytes/);
  assert.throws(() => encodePayload({ type: 'ERROR', code: 1, detail: 0, text: 'é' }), /text must be printable ASCII/);
  assert.throws(() => encodePayload({ type: 'SAMPLE', kind: 'positive', label: 0, encoding: 'f32', values: new Float32Array(1022) }), /protocol limit/);
  assert.throws(
    () =>
      encodePayload({
        type: 'GOODNESS',
        sampleSeq: 0,
        step: 0,
        prediction: null,
        drift: false,
        layers: [
          { goodnessPositive: 0, goodnessNegative: 0, loss: 0, activeFraction: 0, hoyer: 0, extra: [1] },
          { goodnessPositive: 0, goodnessNegative: 0, loss: 0, activeFraction: 0, hoyer: 0 },
        ],
      }),
    /layers\[1\] has 0 extra fields/,
  );
});

test('sequenced requests are exactly CONFIGURE..RESET, SAMPLE_PART and INFER_PART', () => {
  const sequenced = Object.entries(MessageType)
    .filter(([, t]) => isSequenced(t))
    .map(([n]) => n);
  assert.deepEqual(sequenced, ['CONFIGURE', 'SAMPLE', 'INFER', 'CHECKPOINT_GET', 'CHECKPOINT_PUT', 'RESET', 'SAMPLE_PART', 'INFER_PART']);
});

test('sample parts: the encoder refuses an empty part or one past total; the decoder gives the part its own count', () => {
  const part = { type: 'SAMPLE_PART', kind: 'positive', label: 1, encoding: 'f32', total: 4 } as const;
  assert.throws(() => encodePayload({ ...part, first: 0, values: [] }), /1 or more values/);
  assert.throws(() => encodePayload({ ...part, first: 3, values: [1, 2] }), /\[3, \+2\) of 4/);
  const decoded = decodePayload(MessageType.SAMPLE_PART, encodePayload({ ...part, first: 1, values: [7, 8, 9] }));
  assert.ok(decoded.type === 'SAMPLE_PART');
  assert.deepEqual([decoded.total, decoded.first, Array.from(decoded.values)], [4, 1, [7, 8, 9]]);
  const wrong = encodePayload({ ...part, first: 1, values: [7, 8, 9] });
  new DataView(wrong.buffer).setUint16(4, 3, true); // total 3: [1, 4) runs past it
  assert.throws(
    () => decodePayload(MessageType.SAMPLE_PART, wrong),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.SAMPLE_LENGTH,
  );
});

test('quantize + sampleToFloat32 reproduce values within half a step', () => {
  const values = [0.1, -0.7, 0.33, 0, 1.2];
  for (const encoding of ['int8', 'int16'] as const) {
    const q = quantize(values, encoding);
    const back = sampleToFloat32({ kind: 'positive', label: 0, ...q });
    let worst = 0;
    values.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(back[i]! - v));
    });
    assert.ok(worst <= q.scale / 2 + 1e-6, `${encoding}: max error ${worst}, half step ${q.scale / 2}`);
  }
  assert.equal(quantize([0, 0], 'int8').scale, 1);
});
