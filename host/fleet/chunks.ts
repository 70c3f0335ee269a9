// Weights over MQTT: a blob cut into chunks, each one MQTT message
//
//   u32 LE header length | header JSON | chunk bytes
//   header: {round, index, count, offset, total, crc, samples}
//
// crc is the CRC-32 (host/protocol/crc32.ts) of the whole blob, as the device
// reported it with CHECKPOINT_DATA. The receiver keeps chunks per sender and
// round, and hands a blob on only when every chunk is there, the chunks agree
// with each other and the CRC matches: a sender that vanishes mid-transfer
// leaves an incomplete entry that is dropped, never averaged.
//
// Non-goals: resuming a transfer, compression.

import { crc32 } from '../protocol/crc32.js';

export const DEFAULT_CHUNK_BYTES = 64 * 1024;

export interface ChunkHeader {
  round: number;
  index: number;
  count: number;
  offset: number;
  total: number;
  crc: number;
  /** Samples the sender trained this round (the FedAvg weight; 0 for an average). */
  samples: number;
}

export class ChunkError extends Error {
  override name = 'ChunkError';
}

/** Cuts a blob into chunk messages of at most `chunkBytes` data bytes each. */
export function encodeChunks(blob: Uint8Array, meta: { round: number; samples: number; crc?: number }, chunkBytes = DEFAULT_CHUNK_BYTES): Buffer[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new TypeError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  const crc = meta.crc ?? crc32(blob);
  const count = Math.max(1, Math.ceil(blob.length / chunkBytes));
  const out: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const offset = index * chunkBytes;
    const data = blob.subarray(offset, Math.min(blob.length, offset + chunkBytes));
    const header: ChunkHeader = { round: meta.round, index, count, offset, total: blob.length, crc, samples: meta.samples };
    const json = Buffer.from(JSON.stringify(header));
    const message = Buffer.alloc(4 + json.length + data.length);
    message.writeUInt32LE(json.length, 0);
    json.copy(message, 4);
    message.set(data, 4 + json.length);
    out.push(message);
  }
  return out;
}

const FIELDS: (keyof ChunkHeader)[] = ['round', 'index', 'count', 'offset', 'total', 'crc', 'samples'];

/** One chunk message back to its header and data; throws ChunkError on a malformed one. */
export function decodeChunk(message: Uint8Array): { header: ChunkHeader; data: Uint8Array } {
  const buffer = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (buffer.length < 4) throw new ChunkError('chunk shorter than its length field');
  const length = buffer.readUInt32LE(0);
  if (4 + length > buffer.length) throw new ChunkError(`chunk header of ${length} bytes runs past the message (${buffer.length} bytes)`);
  let header: ChunkHeader;
  try {
    header = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8')) as ChunkHeader;
  } catch {
    throw new ChunkError('chunk header is not JSON');
  }
  for (const f of FIELDS) {
    if (!Number.isSafeInteger(header[f]) || header[f] < 0) throw new ChunkError(`chunk header field ${f} is not a non-negative integer`);
  }
  const data = buffer.subarray(4 + length);
  if (header.index >= header.count || header.offset + data.length > header.total)
    throw new ChunkError(`chunk ${header.index}/${header.count} at ${header.offset} does not fit a blob of ${header.total} bytes`);
  return { header, data };
}

interface Pending {
  round: number;
  total: number;
  crc: number;
  samples: number;
  count: number;
  blob: Uint8Array;
  seen: Set<number>;
}

export interface Assembled {
  sender: string;
  round: number;
  weights: Uint8Array;
  crc: number;
  samples: number;
}

/**
 * Collects chunks per sender; a newer round from the same sender replaces an
 * unfinished older one. `add` returns the blob when it completes and checks,
 * null while chunks are missing, and throws ChunkError when the chunks disagree
 * or the CRC does not match (the entry is dropped).
 */
export class ChunkAssembler {
  private readonly pending = new Map<string, Pending>();

  add(sender: string, message: Uint8Array): Assembled | null {
    const { header, data } = decodeChunk(message);
    let p = this.pending.get(sender);
    if (p && p.round !== header.round) {
      if (header.round < p.round) return null; // a late chunk of a round already replaced
      p = undefined;
    }
    if (!p) {
      p = {
        round: header.round,
        total: header.total,
        crc: header.crc,
        samples: header.samples,
        count: header.count,
        blob: new Uint8Array(header.total),
        seen: new Set(),
      };
      this.pending.set(sender, p);
    }
    if (header.total !== p.total || header.crc !== p.crc || header.count !== p.count || header.samples !== p.samples) {
      this.pending.delete(sender);
      throw new ChunkError(`chunk ${header.index} from ${sender} does not belong to the weights its other chunks describe`);
    }
    p.blob.set(data, header.offset);
    p.seen.add(header.index); // a QoS-1 repeat lands on the same bytes
    if (p.seen.size < p.count) return null;
    this.pending.delete(sender);
    const crc = crc32(p.blob);
    if (crc !== p.crc) throw new ChunkError(`weights from ${sender} (round ${p.round}) have CRC-32 ${crc.toString(16)}, the sender said ${p.crc.toString(16)}`);
    return { sender, round: p.round, weights: p.blob, crc, samples: p.samples };
  }

  /** Forgets what a sender had sent so far (it went offline). Returns whether anything was pending. */
  drop(sender: string): boolean {
    return this.pending.delete(sender);
  }

  /** Chunks received so far of a sender's unfinished blob, or 0. */
  received(sender: string): number {
    return this.pending.get(sender)?.seen.size ?? 0;
  }
}
