// The virtual device's process: runs build/ff-device.wasm with this process's
// fd 0/1 as the serial link, through our own WASI imports (wasi-imports.ts:
// node:wasi crashes after the arena grows memory). Started by virtual-device.ts (over
// pipes) and by pty.ts (under socat, over a pseudo-terminal).
//
//   node virtual-device-child.js WASM_PATH [RAM_LIMIT_BYTES] [RUNTIME_KIND]
//
// It must never touch process.stdin or process.stdout: Node would switch fd 0
// to non-blocking mode and the device's blocking fd_read would fail with
// EAGAIN (DESIGN.md, measured facts). Diagnostics go to stderr only.
// Exit codes: what the device program returns (0 when the link closes),
// 2 for bad arguments, 3 when the wasm cannot be loaded, 4 after a trap.
//
// A trap does not end in silence: like the firmware targets' fatal report
// (firmware-targets/wasm2c-glue), the child writes ERROR(DEVICE_TRAP, detail =
// the wabt trap code) to fd 1 before it exits, so the host sees why.

import { readFileSync, writeSync } from 'node:fs';
import { encodeMessage } from '../protocol/messages.js';
import { ErrorCode, TRAP_NAMES } from '../protocol/errors.js';
import { wasiImports, WasiExit } from './wasi-imports.js';

type TrapName = (typeof TRAP_NAMES)[number];

/** V8's trap messages -> wabt's trap names (TRAP_NAMES: the DEVICE_TRAP detail on every target). */
const TRAPS: Array<[RegExp, TrapName]> = [
  [/out of bounds|memory access/i, 'oob'],
  [/integer overflow|divide result unrepresentable/i, 'int-overflow'],
  [/divide by zero|remainder by zero/i, 'div-by-zero'],
  [/float unrepresentable|invalid conversion/i, 'invalid-conversion'],
  [/unreachable/i, 'unreachable'],
  [/indirect call|table index|function signature/i, 'call-indirect'],
  [/call stack size exceeded/i, 'exhaustion'],
];

function reportTrap(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  const name = TRAPS.find(([pattern]) => pattern.test(message))?.[1] ?? 'unknown';
  const detail = TRAP_NAMES.indexOf(name);
  const frame = encodeMessage({ type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail, text: `trap: ${name}` }, 0);
  try {
    writeSync(1, new Uint8Array([0])); // end any half-written frame first
    writeSync(1, frame);
  } catch {
    // the link is gone too: stderr still says why
  }
  process.stderr.write(`ff-device: trapped (${message})\n`);
  process.exit(4);
}

function fail(code: number, message: string): never {
  process.stderr.write(`ff-device: ${message}\n`);
  process.exit(code);
}

const [wasmPath, ramArg = '0', kindArg = '0', firstSeqArg = '0'] = process.argv.slice(2);
if (!wasmPath) fail(2, 'usage: virtual-device-child.js WASM_PATH [RAM_LIMIT_BYTES] [RUNTIME_KIND] [FIRST_SEQ]');
const firstSeq = Number(firstSeqArg);
if (!Number.isInteger(firstSeq) || firstSeq < 0 || firstSeq > 0xffff) fail(2, `FIRST_SEQ must be a u16, got ${firstSeqArg}`);
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

let memory: WebAssembly.Memory | undefined;
const imports = { wasi_snapshot_preview1: wasiImports(() => memory!) };
let instance: WebAssembly.Instance;
try {
  instance = await WebAssembly.instantiate(new Uint8Array(bytes), imports as unknown as WebAssembly.Imports).then((r) => r.instance);
} catch (err) {
  fail(3, `cannot load ${wasmPath}: ${(err as Error).message} (a device program may import only fd_read, fd_write, clock_time_get, random_get and proc_exit)`);
}
const exports = instance.exports as Record<string, unknown>;
if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports._start !== 'function') {
  fail(3, `${wasmPath} is not a WASI command (it must export memory and _start); rebuild it with npm run build:wasm`);
}
memory = exports.memory;
// The embedder may emulate a small MCU: the device refuses configs above this.
const setGlobal = (name: string, value: number): void => {
  const g = exports[name];
  if (g instanceof WebAssembly.Global) g.value = value;
  else if (value !== 0) fail(3, `${wasmPath} does not export the global ${name}; rebuild it with npm run build:wasm`);
};
setGlobal('ram_limit_bytes', ramLimit);
setGlobal('runtime_kind', runtimeKind);
setGlobal('link_first_seq', firstSeq);
let code = 0;
try {
  (exports._start as () => void)();
} catch (error) {
  if (error instanceof WasiExit) code = error.code;
  else reportTrap(error);
}
process.exitCode = code;
