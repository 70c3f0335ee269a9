// Input files named on the command line: a missing path or a directory is a
// usage error (exit 2) naming the flag, not a raw ENOENT/EISDIR.

import { statSync } from 'node:fs';
import { UsageError } from './errors.js';

/** Throws a UsageError naming `what` (e.g. "--source csv:FILE") unless `path` is a readable file. */
export function checkInputFile(what: string, path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`${what}: ${path} does not exist`);
    if (code === 'EACCES') throw new UsageError(`${what}: ${path} cannot be read (permission denied)`);
    throw new UsageError(`${what}: cannot read ${path} (${code ?? (err as Error).message})`);
  }
  if (stats.isDirectory()) throw new UsageError(`${what}: ${path} is a directory; give a file`);
}
