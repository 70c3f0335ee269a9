import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from './crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('crc32 check value of "123456789" is 0xCBF43926 (IEEE, reflected)', () => {
  assert.equal(crc32(ascii('123456789')), 0xcbf43926);
});

test('crc32 of nothing is 0 and of one zero byte is 0xD202EF8D', () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(new Uint8Array([0])), 0xd202ef8d);
});

test('crc32 continues across pieces: crc32(b, crc32(a)) == crc32(a ++ b)', () => {
  const whole = ascii('The quick brown fox jumps over the lazy dog');
  assert.equal(crc32(whole), 0x414fa339);
  for (const cut of [0, 1, 17, whole.length]) {
    assert.equal(crc32(whole.subarray(cut), crc32(whole.subarray(0, cut))), crc32(whole), `cut at ${cut}`);
  }
});

test('crc32 matches a bit-at-a-time reference on random data', () => {
  const reference = (bytes: Uint8Array): number => {
    let c = 0xffffffff;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  let seed = 12345;
  for (let n = 0; n < 50; n++) {
    const bytes = new Uint8Array(n * 7);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    assert.equal(crc32(bytes), reference(bytes));
  }
});
