// Whole-file writes that never leave a half-written file under the real name:
// the bytes go to a temporary file beside the target, which is renamed over
// it (rename(2) is atomic within one file system). On any failure the
// temporary file is removed, so nothing stray is left either.
//
// Only a regular file (or a new one) is replaced that way. A device, a FIFO or
// a socket (`--plot /dev/null`, `--log /dev/full`) is written in place: a
// rename would replace the device node itself. A symbolic link is followed,
// so the link stays and the file it points to gets the new bytes.
//
// Non-goals: fsync of the directory (power loss), writes across file systems.

import { realpathSync, rmSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { rm, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file name beside `path` that no other writer (process or call) uses. */
function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

type Target = { kind: 'replace'; path: string } | { kind: 'in-place' };

/** How to write `path`: replace a regular file (the link's target, for a symlink), or write a device in place. */
function target(path: string): Target {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return { kind: 'replace', path }; // does not exist yet (or a dangling link: the write reports it)
  }
  if (stats.isDirectory()) throw Object.assign(new Error(`${path} is a directory; give a file path`), { code: 'EISDIR', path });
  return stats.isFile() ? { kind: 'replace', path: realpathSync(path) } : { kind: 'in-place' };
}

/**
 * For writers that stream (CSV export): where to write before renaming, and
 * what to rename it to; null when `path` is a device written in place.
 */
export function atomicPlan(path: string): { temporary: string; final: string } | null {
  const to = target(path);
  return to.kind === 'in-place' ? null : { temporary: temporaryPath(to.path), final: to.path };
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const to = target(path);
  if (to.kind === 'in-place') return writeFile(path, data);
  const temporary = temporaryPath(to.path);
  try {
    await writeFile(temporary, data);
    await rename(temporary, to.path);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw err;
  }
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const to = target(path);
  if (to.kind === 'in-place') return writeFileSync(path, data);
  const temporary = temporaryPath(to.path);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, to.path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}
