// A checkpoint on disk: the weights blob the device sends (CHECKPOINT_DATA)
// plus the config it belongs to, so `ffedge checkpoint put` can configure a
// fresh device before loading the weights.
//
//   offset  size  field
//   0       4     magic "FFCK"
//   4       4     format version (1), u32 little-endian
//   8       4     header length H, u32
//   12      H     header: UTF-8 JSON { config?, configBlob? (hex), crc, weightsBytes, savedAt, steps?, device? }
//   12+H    n     weights, exactly as the device sent them
//
// The weights' CRC-32 is checked on read. Non-goals: compression, several
// models per file.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { LearnerConfig } from '../learner/config.js';
import { crc32 } from '../protocol/crc32.js';

const MAGIC = 0x4b434646; // "FFCK" little-endian
const FORMAT_VERSION = 1;
/** Magic, format version and header length: the fixed part before the JSON header. */
const FIXED_BYTES = 12;

export interface CheckpointFile {
  /** The model the weights belong to, when known. */
  config?: LearnerConfig;
  /** The raw CONFIGURE blob, when only that is known. */
  configBlob?: Uint8Array;
  weights: Uint8Array;
  crc: number;
  savedAt?: string;
  /** Training steps behind these weights (a resumed run continues counting from here). */
  steps?: number;
  /** Who made it (HELLO runtime etc.). */
  device?: Record<string, unknown>;
}

export class CheckpointFileError extends Error {
  override readonly name = 'CheckpointFileError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export async function writeCheckpointFile(path: string, checkpoint: CheckpointFile): Promise<void> {
  const header = Buffer.from(
    JSON.stringify({
      ...(checkpoint.config ? { config: checkpoint.config } : {}),
      ...(checkpoint.configBlob ? { configBlob: hex(checkpoint.configBlob) } : {}),
      crc: checkpoint.crc >>> 0,
      weightsBytes: checkpoint.weights.length,
      savedAt: checkpoint.savedAt ?? new Date().toISOString(),
      ...(checkpoint.steps !== undefined ? { steps: checkpoint.steps } : {}),
      ...(checkpoint.device ? { device: checkpoint.device } : {}),
    }),
    'utf8',
  );
  const fixed = Buffer.alloc(FIXED_BYTES);
  fixed.writeUInt32LE(MAGIC, 0);
  fixed.writeUInt32LE(FORMAT_VERSION, 4);
  fixed.writeUInt32LE(header.length, 8);
  // Never a half-written checkpoint under the real name, nor a stray temporary file.
  await writeFileAtomic(path, Buffer.concat([fixed, header, checkpoint.weights]));
}

export async function readCheckpointFile(path: string): Promise<CheckpointFile> {
  const bytes = await readFile(path);
  if (bytes.length < FIXED_BYTES || bytes.readUInt32LE(0) !== MAGIC) {
    throw new CheckpointFileError(
      path,
      'not an ff-edge checkpoint (no FFCK header); make one with `ffedge checkpoint get` or `ffedge stream --save-checkpoint`',
    );
  }
  const version = bytes.readUInt32LE(4);
  if (version !== FORMAT_VERSION) throw new CheckpointFileError(path, `checkpoint format v${version}; this ffedge reads v${FORMAT_VERSION}`);
  const headerLength = bytes.readUInt32LE(8);
  if (FIXED_BYTES + headerLength > bytes.length) throw new CheckpointFileError(path, 'truncated header');
  let header: {
    config?: LearnerConfig;
    configBlob?: string;
    crc?: number;
    weightsBytes?: number;
    savedAt?: string;
    steps?: number;
    device?: Record<string, unknown>;
  };
  try {
    header = JSON.parse(bytes.subarray(FIXED_BYTES, FIXED_BYTES + headerLength).toString('utf8'));
  } catch (err) {
    throw new CheckpointFileError(path, `header is not JSON (${(err as Error).message})`);
  }
  const weights = new Uint8Array(bytes.subarray(FIXED_BYTES + headerLength));
  if (header.weightsBytes !== weights.length) {
    throw new CheckpointFileError(path, `holds ${weights.length} weight bytes, its header says ${header.weightsBytes}: the file is truncated`);
  }
  const crc = crc32(weights);
  if (header.crc !== crc)
    throw new CheckpointFileError(path, `weights CRC-32 is ${crc.toString(16)}, the header says ${(header.crc ?? 0).toString(16)}: the file is damaged`);
  return {
    ...(header.config ? { config: header.config } : {}),
    ...(header.configBlob ? { configBlob: new Uint8Array(Buffer.from(header.configBlob, 'hex')) } : {}),
    weights,
    crc,
    ...(header.savedAt ? { savedAt: header.savedAt } : {}),
    ...(Number.isInteger(header.steps) && header.steps! >= 0 ? { steps: header.steps } : {}),
    ...(header.device ? { device: header.device } : {}),
  };
}
