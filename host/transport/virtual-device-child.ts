// The virtual device's process: runs build/ff-device.wasm under node:wasi with
// this process's fd 0/1 as the serial link. Started by virtual-device.ts (over
// pipes) and by pty.ts (under socat, over a pseudo-terminal).
//
//   node virtual-device-child.js WASM_PATH [RAM_LIMIT_BYTES] [RUNTIME_KIND]
//
// It must never touch process.stdin or process.stdout: Node would switch fd 0
// to non-blocking mode and the device's blocking fd_read would fail with
// EAGAIN (DESIGN.md, measured facts). Diagnostics go to stderr only.
// Exit codes: what the device program returns (0 when the link closes),
// 2 for bad arguments, 3 when the wasm cannot be loaded.

import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

function fail(code: number, message: string): never {
  process.stderr.write(`ff-device: ${message}\n`);
  process.exit(code);
}

const [wasmPath, ramArg = '0', kindArg = '0'] = process.argv.slice(2);
if (!wasmPath) fail(2, 'usage: virtual-device-child.js WASM_PATH [RAM_LIMIT_BYTES] [RUNTIME_KIND]');
const ramLimit = Number(ramArg);
const runtimeKind = Number(kindArg);
if (!Number.isInteger(ramLimit) || ramLimit < 0 || ramLimit > 0xffffffff) fail(2, `RAM_LIMIT_BYTES must be an integer >= 0, got ${ramArg}`);
if (!Number.isInteger(runtimeKind) || runtimeKind < 0) fail(2, `RUNTIME_KIND must be an integer >= 0, got ${kindArg}`);

let bytes: Buffer;
try {
  bytes = readFileSync(wasmPath);
} catch (err) {
  fail(3, `cannot read ${wasmPath}: ${(err as Error).message} (build it with npm run build:wasm)`);
}

const wasi = new WASI({ version: 'preview1', stdin: 0, stdout: 1, stderr: 2, returnOnExit: true, args: [], env: {} });
const module = await WebAssembly.compile(new Uint8Array(bytes));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
const exports = instance.exports as Record<string, unknown>;
// The embedder may emulate a small MCU: the device refuses configs above this.
const setGlobal = (name: string, value: number): void => {
  const g = exports[name];
  if (g instanceof WebAssembly.Global) g.value = value;
  else if (value !== 0) fail(3, `${wasmPath} does not export the global ${name}; rebuild it with npm run build:wasm`);
};
setGlobal('ram_limit_bytes', ramLimit);
setGlobal('runtime_kind', runtimeKind);
const code = wasi.start(instance);
process.exitCode = code;
