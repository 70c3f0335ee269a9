// Where the built artefacts live, from the compiled file's place in dist/.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository (package) root. This file compiles to dist/host/paths.js. */
export const packageRoot = fileURLToPath(new URL("../../", import.meta.url));
export const buildDir = join(packageRoot, "build");

export function wasmPath(name: "ff-core" | "ff-core.debug" | "ff-device" | "ff-core.simd" | string): string {
  return join(buildDir, `${name}.wasm`);
}
