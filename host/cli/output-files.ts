// Output files of a command (the log, the plot, a checkpoint, classes.json, a
// C header): checked before any work starts, so a typo in a folder name does
// not cost a training run, and write failures told in words with the flag that
// named the file (exit code 2, "an output file that cannot be written").

import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** An output file cannot be written (missing folder, a directory, disk full, read-only). */
export class OutputFileError extends UsageError {
  override readonly name = 'OutputFileError';
}

/**
 * Throws unless `path` can be created or replaced. `createFolder`: make a
 * missing folder (the default out/ of a log) instead of refusing.
 */
export function checkOutputFile(flag: string, path: string, options: { createFolder?: boolean; example?: string } = {}): void {
  const full = resolve(path);
  let stats;
  try {
    stats = statSync(full);
  } catch {
    /* does not exist yet */
  }
  if (stats?.isDirectory()) {
    throw new OutputFileError(`${flag} ${path} is a directory; give a file such as ${join(path, options.example ?? basename(full))}`);
  }
  const folder = dirname(full);
  let folderStats;
  try {
    folderStats = statSync(folder);
  } catch {
    /* missing */
  }
  if (folderStats === undefined && options.createFolder) {
    try {
      mkdirSync(folder, { recursive: true });
      folderStats = statSync(folder);
    } catch (err) {
      throw writeFailure(flag, path, err);
    }
  }
  if (folderStats === undefined) {
    throw new OutputFileError(`${flag} ${path}: the folder ${dirname(path)} does not exist; create it (mkdir -p ${dirname(path)}) or choose another path`);
  }
  if (!folderStats.isDirectory()) throw new OutputFileError(`${flag} ${path}: ${dirname(path)} is not a folder`);
  try {
    accessSync(stats ? full : folder, constants.W_OK);
  } catch (err) {
    throw writeFailure(flag, path, err);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device (disk full); free some space or choose another path',
  EDQUOT: 'the disk quota is used up; free some space or choose another path',
  EFBIG: 'the file grew too large for its file system; choose another path',
  EROFS: 'the file system is read-only; choose another path',
  EACCES: 'permission denied; choose a path you may write to',
  EPERM: 'permission denied; choose a path you may write to',
  EIO: 'an input/output error (a failing or removed drive); choose another path',
  EISDIR: 'it is a directory; give a file path',
  ENOENT: 'its folder does not exist; create it or choose another path',
  ENOTDIR: 'a part of the path is not a folder',
};

/** A write error as an OutputFileError naming the flag and file; other errors unchanged. */
export function writeFailure(flag: string, path: string, err: unknown): unknown {
  if (err instanceof OutputFileError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !(code in REASONS)) return err;
  return new OutputFileError(`cannot write ${flag} ${path}: ${REASONS[code]}`, { cause: err });
}

/** Runs a write, turning its I/O errors into an OutputFileError for `flag path`. */
export async function writingTo<T>(flag: string, path: string, write: () => Promise<T> | T): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw writeFailure(flag, path, err);
  }
}
