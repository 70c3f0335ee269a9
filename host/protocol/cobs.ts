// Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM Trans. Networking
// 7(2), 1999): removes every 0x00 from a frame so 0x00 can delimit frames.
// Canonical form used by both sides: a 254-byte run that ends the input gets no
// extra 0x01 code byte (same output as assembly/protocol/frame.ts cobsEncode).

/** Worst-case encoded size of n bytes, without the delimiter. */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/** COBS-encode (no delimiter appended). */
export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(input.length));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  let open = true;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (!open) {
      codeAt = o++;
      code = 1;
      open = true;
    }
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = byte;
      if (++code === 0xff) {
        out[codeAt] = 0xff;
        open = false;
      }
    }
  }
  if (open) out[codeAt] = code;
  return out.subarray(0, o);
}

/** COBS-decode one frame (no delimiter inside). Returns null if it is not valid COBS. */
export function cobsDecode(input: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(input.length);
  let o = 0;
  let i = 0;
  while (i < input.length) {
    const code = input[i++]!;
    if (code === 0) return null;
    const end = i + code - 1;
    if (end > input.length) return null;
    while (i < end) {
      const byte = input[i++]!;
      if (byte === 0) return null;
      out[o++] = byte;
    }
    if (code !== 0xff && i < input.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
