import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const run = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

// Worked by hand from the algorithm in Cheshire & Baker (1999).
const cases: Array<[string, number[], number[]]> = [
  ['one zero', [0x00], [0x01, 0x01]],
  ['two zeros', [0x00, 0x00], [0x01, 0x01, 0x01]],
  ['zero inside', [0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]],
  ['no zero', [0x11, 0x22, 0x33, 0x44], [0x05, 0x11, 0x22, 0x33, 0x44]],
  ['trailing zero', [0x11, 0x00], [0x02, 0x11, 0x01]],
  ['254 non-zero: no trailing code byte', run(1, 254), [0xff, ...run(1, 254)]],
  ['zero then 254 non-zero', [0x00, ...run(1, 254)], [0x01, 0xff, ...run(1, 254)]],
  ['255 non-zero', run(1, 255), [0xff, ...run(1, 254), 0x02, 0xff]],
  ['254 non-zero then zero', [...run(1, 254), 0x00], [0xff, ...run(1, 254), 0x01, 0x01]],
];

for (const [name, decoded, encoded] of cases) {
  test(`cobs ${name}`, () => {
    assert.equal(hex(cobsEncode(new Uint8Array(decoded))), hex(new Uint8Array(encoded)));
    assert.equal(hex(cobsDecode(new Uint8Array(encoded))!), hex(new Uint8Array(decoded)));
  });
}

test('cobs round-trips random data, never emits 0x00, stays within the bound', () => {
  let seed = 7;
  for (let n = 0; n < 800; n += 13) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      data[i] = seed % 5 === 0 ? 0 : seed >>> 24;
    }
    const encoded = cobsEncode(data);
    assert.ok(!encoded.includes(0), `no zero in encoding of ${n} bytes`);
    assert.ok(encoded.length <= cobsMaxEncodedLength(n));
    assert.equal(hex(cobsDecode(encoded)!), hex(data));
  }
});

test('cobsDecode rejects a block cut short and a zero inside', () => {
  assert.equal(cobsDecode(bytes('0511223344'.slice(0, 8))), null);
  assert.equal(cobsDecode(bytes('031100')), null);
  assert.equal(cobsDecode(bytes('00')), null);
});
