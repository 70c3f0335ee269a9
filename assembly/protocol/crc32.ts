// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
// the same CRC as zlib/PNG/Ethernet. Check value: crc32("123456789") = 0xCBF43926.
// Nibble-table variant: 16 entries (64 bytes of data) instead of 256 (1 KiB), two
// lookups per byte. The link is a serial port; size matters more than speed here.

// Table entry n = CRC register after shifting nibble n through 4 rounds of the
// reflected polynomial (generated once; host/protocol/crc32.ts rebuilds it at load).
// @ts-ignore: decorator
@lazy const CRC_NIBBLE = memory.data<u32>([
  0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
  0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
]);

/**
 * CRC-32 of `length` bytes at `ptr`, continuing from `previous` (the finished CRC of
 * the bytes before them; 0 to start). crc32Update(crc32Update(0, a), b) == crc of a||b.
 */
export function crc32Update(previous: u32, ptr: usize, length: i32): u32 {
  let crc = ~previous;
  for (let i = 0; i < length; i++) {
    crc ^= <u32>load<u8>(ptr + <usize>i);
    crc = (crc >>> 4) ^ load<u32>(CRC_NIBBLE + ((<usize>crc & 15) << 2));
    crc = (crc >>> 4) ^ load<u32>(CRC_NIBBLE + ((<usize>crc & 15) << 2));
  }
  return ~crc;
}
