// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and final xor
// 0xFFFFFFFF): the CRC of zlib/PNG/Ethernet. crc32("123456789") = 0xCBF43926.
// The device uses a 16-entry nibble table (assembly/protocol/crc32.ts); the host
// uses a byte table for speed. Same function, checked by the shared vectors.

const POLYNOMIAL = 0xedb88320;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `bytes`, continuing from `previous` (the finished CRC of the bytes
 * before them; 0 to start): crc32(b, crc32(a)) === crc32(a ++ b). Unsigned result.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  }
  return ~crc >>> 0;
}
