// The virtual device's WASI preview1 imports: the few functions a device
// program may import (fd_read, fd_write, clock_time_get, random_get, proc_exit;
// DESIGN.md "One module everywhere"), over this process's fd 0 / fd 1, as
// firmware-targets/wasm2c-glue/wasi-shim.c provides them over a UART or a tty.
//
// Why not node:wasi: Node 20's WASI keeps the guest memory's backing store from
// the start and does not refresh it after memory.grow (nodejs/node#53087,
// #46777): once CONFIGURE grows the arena past what was reserved, a later
// fd_read/fd_write touches freed memory and the process dies with SIGSEGV
// (seen here: layers [16416,16] on 192 inputs, exit 139 at end of input).
// These imports read `memory.buffer` afresh on every call.
//
// Contract, as the C shim's: only fd 0 (link in), 1 (link out), 2 (diagnostics);
// every guest pointer is bounds-checked against the current memory before it is
// touched (EFAULT otherwise); fd_read fills the first non-empty buffer with
// whatever is there (a short read) and blocks until a byte or end of input.

import { randomFillSync } from 'node:crypto';
import { readSync, writeSync } from 'node:fs';

/** WASI preview1 errno values used here. */
export const WasiErrno = { SUCCESS: 0, AGAIN: 6, BADF: 8, FAULT: 21, INVAL: 28, IO: 29, PIPE: 64 } as const;

const IOVEC_BYTES = 8; // struct { u32 buf; u32 buf_len; }
const RETRY_WAIT_MS = 1;

/** Thrown by proc_exit to unwind the guest; `code` is the exit status. */
export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

/** Byte I/O the imports use; the real one is fs on fds 0/1/2, tests pass their own. */
export interface WasiIo {
  /** Reads into `into`; returns the count (0 = end of input). May throw an errno-carrying Error. */
  read(fd: number, into: Uint8Array): number;
  /** Writes some of `bytes`; returns the count written. May throw. */
  write(fd: number, bytes: Uint8Array): number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocking fs I/O that rides out EAGAIN (a descriptor someone set non-blocking). */
export const processIo: WasiIo = {
  read: (fd, into) => retryAgain(() => readSync(fd, into, 0, into.length, null)),
  write: (fd, bytes) => retryAgain(() => writeSync(fd, bytes)),
};

function retryAgain(op: () => number): number {
  for (;;) {
    try {
      return op();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(sleeper, 0, 0, RETRY_WAIT_MS);
    }
  }
}

function errnoOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPIPE') return WasiErrno.PIPE;
  if (code === 'EBADF') return WasiErrno.BADF;
  return WasiErrno.IO;
}

/**
 * The `wasi_snapshot_preview1` import object. `memory()` returns the instance's
 * memory (it exists only after instantiation, hence a function).
 */
export function wasiImports(memory: () => WebAssembly.Memory, io: WasiIo = processIo): Record<string, (...args: never[]) => number | void> {
  /** The guest's buffers, or null when any pointer falls outside memory. */
  const iovecs = (iovs: number, count: number, resultPtr: number): { view: DataView; buffers: Uint8Array[] } | null => {
    const buffer = memory().buffer;
    const size = buffer.byteLength;
    const inside = (ptr: number, length: number): boolean => ptr >= 0 && length >= 0 && ptr + length <= size;
    if (!inside(iovs, count * IOVEC_BYTES) || !inside(resultPtr, 4)) return null;
    const view = new DataView(buffer);
    const buffers: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + i * IOVEC_BYTES, true);
      const length = view.getUint32(iovs + i * IOVEC_BYTES + 4, true);
      if (!inside(ptr, length)) return null;
      buffers.push(new Uint8Array(buffer, ptr, length));
    }
    return { view, buffers };
  };

  return {
    fd_read(fd: number, iovs: number, count: number, nreadPtr: number): number {
      if (fd !== 0) return WasiErrno.BADF;
      const guest = iovecs(iovs >>> 0, count >>> 0, nreadPtr >>> 0);
      if (!guest) return WasiErrno.FAULT;
      let got = 0;
      const target = guest.buffers.find((b) => b.length > 0);
      if (target) {
        try {
          got = io.read(fd, target);
        } catch (err) {
          return errnoOf(err);
        }
      }
      new DataView(memory().buffer).setUint32(nreadPtr >>> 0, got, true);
      return WasiErrno.SUCCESS;
    },
    fd_write(fd: number, iovs: number, count: number, nwrittenPtr: number): number {
      if (fd !== 1 && fd !== 2) return WasiErrno.BADF;
      const guest = iovecs(iovs >>> 0, count >>> 0, nwrittenPtr >>> 0);
      if (!guest) return WasiErrno.FAULT;
      let written = 0;
      try {
        for (const bytes of guest.buffers) {
          for (let at = 0; at < bytes.length;) at += io.write(fd, bytes.subarray(at));
          written += bytes.length;
        }
      } catch (err) {
        return errnoOf(err);
      }
      new DataView(memory().buffer).setUint32(nwrittenPtr >>> 0, written, true);
      return WasiErrno.SUCCESS;
    },
    /** Clocks 0 (realtime) and 1 (monotonic), in nanoseconds. */
    clock_time_get(clockId: number, _precision: bigint, timePtr: number): number {
      const at = timePtr >>> 0;
      const buffer = memory().buffer;
      if (at + 8 > buffer.byteLength) return WasiErrno.FAULT;
      let ns: bigint;
      if (clockId === 0) ns = BigInt(Date.now()) * 1_000_000n;
      else if (clockId === 1) ns = process.hrtime.bigint();
      else return WasiErrno.INVAL;
      new DataView(buffer).setBigUint64(at, ns, true);
      return WasiErrno.SUCCESS;
    },
    random_get(buf: number, length: number): number {
      const at = buf >>> 0;
      const n = length >>> 0;
      const buffer = memory().buffer;
      if (at + n > buffer.byteLength) return WasiErrno.FAULT;
      randomFillSync(new Uint8Array(buffer, at, n));
      return WasiErrno.SUCCESS;
    },
    proc_exit(code: number): void {
      throw new WasiExit(code >>> 0);
    },
  };
}
