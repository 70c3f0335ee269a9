// The opt-in relaxed-SIMD build of the learner (build/ff-core.relaxed.wasm):
// fused multiply-adds in the gradient rows and Adam (assembly/learner/
// dense-simd.ts). NOT bit-identical across runtimes: a runtime may fuse or not,
// so weights differ by rounding from the SIMD/scalar builds and between
// machines. Node 20's V8 runs it only with --experimental-wasm-relaxed-simd;
// enableRelaxedSimd() sets that flag in this process before the module is compiled.

import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { wasmPath } from '../paths.js';

/** The runtime cannot run relaxed SIMD (an older V8, or another engine). */
export class RelaxedSimdUnavailableError extends Error {
  constructor(file: string) {
    super(
      `${file} does not validate on this runtime even with --experimental-wasm-relaxed-simd: use Node >= 20 (V8 11.3+), or the deterministic build ff-core.simd.wasm`,
    );
    this.name = 'RelaxedSimdUnavailableError';
  }
}

/** Sets V8's relaxed-SIMD flag and checks the relaxed build validates; returns its path. */
export async function enableRelaxedSimd(file = wasmPath('ff-core.relaxed')): Promise<string> {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!WebAssembly.validate(await readFile(file))) throw new RelaxedSimdUnavailableError(file);
  return file;
}
