import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { cobsDecode } from './cobs.js';
import { crc32 } from './crc32.js';
import { ErrorCode } from './errors.js';
import { Deframer, DeframerStream, encodeFrame, MAX_PAYLOAD, PROTOCOL_VERSION, type Frame } from './frame.js';

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const payloadOf = (n: number, seed = 1): Uint8Array => {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + seed) % 7 === 0 ? 0 : (i * 31 + seed) & 0xff;
  return p;
};
const summary = (frames: Frame[]): string[] => frames.map((f) => `${f.version}/${f.type}/${f.seq}/${Buffer.from(f.payload).toString('hex')}`);

test('encodeFrame: COBS of header | payload | CRC-32 LE, then one 0x00', () => {
  const payload = new Uint8Array([0x00, 0x01, 0xfe]);
  const frame = encodeFrame(0x03, 0x1234, payload);
  assert.equal(frame[frame.length - 1], 0);
  assert.ok(!frame.subarray(0, -1).includes(0));
  const body = cobsDecode(frame.subarray(0, -1))!;
  assert.deepEqual([...body.subarray(0, 4)], [PROTOCOL_VERSION, 0x03, 0x34, 0x12]);
  assert.deepEqual([...body.subarray(4, 7)], [...payload]);
  const crc = new DataView(body.buffer, body.byteOffset).getUint32(7, true);
  assert.equal(crc, crc32(body.subarray(0, 7)));
});

test('encodeFrame rejects out-of-range fields with a TypeError naming them', () => {
  assert.throws(() => encodeFrame(256, 0, new Uint8Array()), /type must be a u8/);
  assert.throws(() => encodeFrame(1, 65536, new Uint8Array()), /seq must be a u16/);
  assert.throws(() => encodeFrame(1, 0, new Uint8Array(MAX_PAYLOAD + 1)), /protocol limit is 4096/);
});

test('Deframer returns the same frames for every way of cutting the stream in two', () => {
  const stream = concat(encodeFrame(3, 1, payloadOf(40)), encodeFrame(4, 2, payloadOf(300, 5)), encodeFrame(7, 3, new Uint8Array()));
  const whole = summary(new Deframer().push(stream));
  assert.equal(whole.length, 3);
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new Deframer();
    const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(summary(frames), whole, `cut at ${cut}`);
  }
});

test('Deframer byte-at-a-time equals all-at-once', () => {
  const stream = concat(encodeFrame(3, 9, payloadOf(600)), encodeFrame(3, 10, payloadOf(2)));
  const d = new Deframer();
  const frames: Frame[] = [];
  for (const b of stream) frames.push(...d.push(new Uint8Array([b])));
  assert.deepEqual(summary(frames), summary(new Deframer().push(stream)));
});

test('garbage before the first delimiter is dropped and counted; the next frame survives', () => {
  const drops: number[] = [];
  const d = new Deframer({ onDrop: (code) => drops.push(code) });
  const garbage = new Uint8Array([0x13, 0x37, 0xff, 0x42, 0x99]);
  const frames = d.push(concat(garbage, new Uint8Array([0]), encodeFrame(8, 5, new Uint8Array())));
  assert.deepEqual(summary(frames), [`${PROTOCOL_VERSION}/8/5/`]);
  assert.equal(drops.length, 1);
  assert.equal(d.stats.frames, 1);
  assert.equal(d.stats.badCrc + d.stats.malformed, 1);
});

test('garbage glued to a frame (no delimiter between) costs that one frame only', () => {
  const d = new Deframer();
  const stream = concat(new Uint8Array([0x05, 0x01]), encodeFrame(8, 1, new Uint8Array()), encodeFrame(8, 2, new Uint8Array()));
  assert.deepEqual(summary(d.push(stream)), [`${PROTOCOL_VERSION}/8/2/`]);
  assert.equal(d.stats.frames, 1);
});

test('idle delimiters are not frames and not counted', () => {
  const d = new Deframer();
  const frames = d.push(concat(new Uint8Array([0, 0, 0]), encodeFrame(8, 1, new Uint8Array()), new Uint8Array([0, 0])));
  assert.equal(frames.length, 1);
  assert.deepEqual(d.stats, { frames: 1, badCrc: 0, malformed: 0, tooLarge: 0 });
});

test('a frame with a flipped bit is dropped as BAD_CRC (or MALFORMED if the flip hits COBS)', () => {
  const frame = encodeFrame(3, 77, payloadOf(100));
  for (let bit = 0; bit < (frame.length - 1) * 8; bit += 5) {
    const bad = frame.slice();
    bad[bit >> 3]! ^= 1 << (bit & 7);
    const d = new Deframer();
    const frames = d.push(concat(bad, new Uint8Array([0])));
    assert.equal(frames.length, 0, `bit ${bit} must not yield a frame`);
    assert.ok(d.stats.badCrc + d.stats.malformed + d.stats.tooLarge >= 1);
  }
});

test('truncated frames are MALFORMED or BAD_CRC and never returned', () => {
  const frame = encodeFrame(3, 1, payloadOf(20));
  for (let n = 1; n < frame.length - 1; n++) {
    const d = new Deframer();
    assert.equal(d.push(concat(frame.subarray(0, n), new Uint8Array([0]))).length, 0);
    assert.equal(d.stats.frames, 0);
    assert.equal(d.stats.badCrc + d.stats.malformed, 1, `truncated to ${n}`);
  }
  const tiny = new Deframer();
  tiny.push(new Uint8Array([0x03, 0x01, 0x02, 0x00]));
  assert.equal(tiny.stats.malformed, 1, 'shorter than header + CRC');
});

test('oversize frames are dropped as FRAME_TOO_LARGE and the stream recovers', () => {
  const d = new Deframer({ maxPayload: 64 });
  const frames = d.push(concat(encodeFrame(3, 1, payloadOf(65)), encodeFrame(3, 2, payloadOf(64))));
  assert.deepEqual(
    frames.map((f) => f.seq),
    [2],
  );
  assert.equal(d.stats.tooLarge, 1);
  const full = new Deframer();
  assert.equal(full.push(encodeFrame(3, 3, payloadOf(MAX_PAYLOAD))).length, 1);
  // Far longer than any frame, with no delimiter for a long time: still recovers.
  const flood = new Uint8Array(20000).fill(0x55);
  assert.deepEqual(
    full.push(concat(flood, new Uint8Array([0]), encodeFrame(3, 4, new Uint8Array()))).map((f) => f.seq),
    [4],
  );
  assert.equal(full.stats.tooLarge, 1);
});

test('Deframer rejects a bad maxPayload option', () => {
  assert.throws(() => new Deframer({ maxPayload: MAX_PAYLOAD + 1 }), TypeError);
});

test('DeframerStream turns a chunked byte stream into frame objects and reports drops', async () => {
  const good = [encodeFrame(3, 1, payloadOf(10)), encodeFrame(3, 2, payloadOf(500))];
  const bytes = concat(good[0]!, new Uint8Array([0x22, 0x33, 0]), good[1]!);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  const stream = new DeframerStream();
  const drops: number[] = [];
  stream.on('drop', (code: number) => drops.push(code));
  const frames: Frame[] = [];
  for await (const frame of Readable.from(chunks).pipe(stream)) frames.push(frame as Frame);
  assert.deepEqual(
    frames.map((f) => f.seq),
    [1, 2],
  );
  assert.deepEqual(drops, [ErrorCode.MALFORMED]);
  assert.equal(stream.stats.frames, 2);
});
