// Where things live: the built artefacts, from the compiled file's place in
// dist/, and the programs on PATH.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { delimiter, join } from 'node:path';

/** The repository (package) root. This file compiles to dist/host/paths.js. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export const buildDir = join(packageRoot, 'build');

export function wasmPath(name: 'ff-core' | 'ff-core.debug' | 'ff-device' | 'ff-core.simd' | string): string {
  return join(buildDir, `${name}.wasm`);
}

/** Whether an executable named `tool` is in a directory of $PATH (no shell involved). */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
