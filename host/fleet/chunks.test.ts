import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkAssembler, ChunkError, decodeChunk, encodeChunks } from './chunks.js';

const blob = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);

test('a blob goes through chunks and back, in any order, repeats allowed (QoS 1)', () => {
  const chunks = encodeChunks(blob, { round: 3, samples: 40 }, 256);
  assert.equal(chunks.length, 4);
  const a = new ChunkAssembler();
  assert.equal(a.add('d1', chunks[2]!), null);
  assert.equal(a.add('d1', chunks[0]!), null);
  assert.equal(a.add('d1', chunks[0]!), null); // a repeat
  assert.equal(a.add('d1', chunks[3]!), null);
  assert.equal(a.received('d1'), 3);
  const done = a.add('d1', chunks[1]!);
  assert.ok(done);
  assert.deepEqual(done.weights, blob);
  assert.equal(done.round, 3);
  assert.equal(done.samples, 40);
});

test('an unfinished transfer never comes out; a dropped sender is forgotten', () => {
  const chunks = encodeChunks(blob, { round: 1, samples: 1 }, 300);
  const a = new ChunkAssembler();
  for (const c of chunks.slice(0, -1)) assert.equal(a.add('d', c), null);
  assert.equal(a.drop('d'), true);
  assert.equal(a.received('d'), 0);
  assert.equal(a.add('d', chunks[chunks.length - 1]!), null); // the last chunk alone is not the blob
});

test('a corrupted chunk fails the CRC; chunks of different blobs do not mix', () => {
  const chunks = encodeChunks(blob, { round: 1, samples: 1 }, 500);
  const bad = Buffer.from(chunks[1]!);
  bad[bad.length - 1] ^= 0x01;
  const a = new ChunkAssembler();
  a.add('d', chunks[0]!);
  assert.throws(() => a.add('d', bad), ChunkError);
  const other = encodeChunks(Uint8Array.from(blob).reverse(), { round: 1, samples: 1 }, 500);
  a.add('e', chunks[0]!);
  assert.throws(() => a.add('e', other[1]!), /does not belong/);
  assert.throws(() => decodeChunk(Buffer.from([9, 0, 0, 0, 1])), /runs past/);
});
