// Checkpoint transfer over the link: CHECKPOINT_GET / CHECKPOINT_DATA down and
// CHECKPOINT_PUT up, in chunks pipelined up to the window, the whole blob's
// CRC-32 checked at the end (docs/protocol.md §5.4, §5.5). The caller drains
// training first, so the weights do not change under the transfer.
//
// Non-goals: the file format (checkpoint-file.ts), resuming a broken transfer.

import { crc32, encodePayload, ErrorCode, ProtocolError, type CheckpointBlob, type MessageOf } from '../protocol/index.js';
import type { Link } from './link.js';
import { pipeline } from './pipeline.js';
import { expectReply } from './replies.js';
import type { Checkpoint } from './types.js';

export type TransferProgress = (bytes: number, total: number) => void;

/** CHECKPOINT_PUT's fixed fields before the chunk (offset, total, blobCrc; §5.5), as the encoder writes them. */
const PUT_FIXED_BYTES = encodePayload({ type: 'CHECKPOINT_PUT', offset: 0, total: 0, blobCrc: 0, data: new Uint8Array(0) }).length;

/** Offsets start, start + step, ... below end. */
function* offsets(start: number, end: number, step: number): Generator<number> {
  for (let offset = start; offset < end; offset += step) yield offset;
}

/**
 * Downloads the weights (or, with blob 'state', the full-state snapshot: §5.13)
 * in chunks and checks their CRC-32.
 */
export async function downloadCheckpoint(link: Link, onProgress?: TransferProgress, blob: CheckpointBlob = 'weights'): Promise<Checkpoint> {
  const fetch = async (offset: number, maxLength: number): Promise<MessageOf<'CHECKPOINT_DATA'>> => {
    for (;;) {
      const c = await link.request(blob === 'state' ? { type: 'CHECKPOINT_GET', offset, maxLength, blob } : { type: 'CHECKPOINT_GET', offset, maxLength });
      const d = expectReply(c, 'CHECKPOINT_DATA', link.device);
      if (d && (d.blob ?? 'weights') !== blob) {
        throw new ProtocolError(ErrorCode.MALFORMED, undefined, {
          context: `asked for the ${blob} blob, the device sent ${d.blob ?? 'weights'} (a device build without full-state snapshots: update its firmware)`,
        });
      }
      if (d) return d; // a lost reply: CHECKPOINT_GET is idempotent, ask again
    }
  };
  // The first chunk tells the total and the chunk size the device can send.
  const head = await fetch(0, 0xffff);
  const { total, blobCrc } = head;
  const weights = new Uint8Array(total);
  weights.set(head.data, 0);
  const chunk = head.data.length;
  if (chunk === 0 && total > 0) throw new ProtocolError(ErrorCode.MALFORMED, undefined, { context: 'CHECKPOINT_DATA with an empty chunk' });
  let received = chunk;
  onProgress?.(received, total);
  let firstError: Error | undefined;
  await pipeline(
    link,
    offsets(chunk, total, chunk),
    async (offset) => {
      const want = Math.min(chunk, total - offset);
      await fetch(offset, want)
        .then((d) => {
          if (d.total !== total || d.blobCrc !== blobCrc || d.offset !== offset || d.data.length !== want) {
            throw new ProtocolError(ErrorCode.CHECKPOINT_CRC, undefined, {
              context: `chunk at ${offset} does not belong to the same weights (did training run during the download?)`,
            });
          }
          weights.set(d.data, offset);
          received += d.data.length;
          onProgress?.(received, total);
        })
        .catch((err: Error) => {
          firstError ??= err;
        });
    },
    () => firstError !== undefined,
  );
  if (firstError) throw firstError;
  const crc = crc32(weights);
  if (crc !== blobCrc) {
    throw new ProtocolError(ErrorCode.CHECKPOINT_CRC, undefined, {
      context: `downloaded weights have CRC-32 ${crc.toString(16)}, the device says ${blobCrc.toString(16)}`,
    });
  }
  return { weights, crc };
}

/**
 * Uploads weights (from downloadCheckpoint) for the configured model; the device
 * applies them whole or not at all. With blob 'state', a full-state snapshot: the
 * device is unconfigured until it is whole and checked (§5.13).
 */
export async function uploadCheckpoint(link: Link, weights: Uint8Array, onProgress?: TransferProgress, blob: CheckpointBlob = 'weights'): Promise<void> {
  const total = weights.length;
  const blobCrc = crc32(weights);
  const chunk = link.device!.maxPayload - PUT_FIXED_BYTES;
  let firstError: Error | undefined;
  let sent = 0;
  // An empty blob still takes one (empty) chunk at offset 0.
  const chunks = total === 0 ? [0] : offsets(0, total, chunk);
  await pipeline(
    link,
    chunks,
    async (offset) => {
      const data = weights.subarray(offset, Math.min(total, offset + chunk));
      const put =
        blob === 'state'
          ? { type: 'CHECKPOINT_PUT' as const, offset, total, blobCrc, data, blob }
          : { type: 'CHECKPOINT_PUT' as const, offset, total, blobCrc, data };
      await link
        .request(put)
        .then((c) => {
          expectReply(c, 'ACK', link.device);
          sent += data.length;
          onProgress?.(sent, total);
        })
        .catch((err: Error) => {
          firstError ??= err;
        });
    },
    () => firstError !== undefined,
  );
  if (firstError) throw firstError;
}
