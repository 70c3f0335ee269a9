import test from 'node:test';
import assert from 'node:assert/strict';
import { wasiImports, WasiErrno, WasiExit, type WasiIo } from './wasi-imports.js';

function setup(io: WasiIo) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const imports = wasiImports(() => memory, io);
  const view = () => new DataView(memory.buffer);
  const iovec = (at: number, buf: number, len: number) => {
    view().setUint32(at, buf, true);
    view().setUint32(at + 4, len, true);
  };
  return { memory, imports, view, iovec };
}

test('fd_read fills the first non-empty buffer with what is there and stores the count', () => {
  const { memory, imports, view, iovec } = setup({
    read: (_fd, into) => {
      into.set([1, 2, 3]);
      return 3;
    },
    write: () => 0,
  });
  iovec(0, 100, 0);
  iovec(8, 200, 16);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 2, 32), WasiErrno.SUCCESS);
  assert.equal(view().getUint32(32, true), 3);
  assert.deepEqual([...new Uint8Array(memory.buffer, 200, 4)], [1, 2, 3, 0]);
});

test('fd_read at end of input stores 0', () => {
  const { imports, view, iovec } = setup({ read: () => 0, write: () => 0 });
  iovec(0, 100, 16);
  view().setUint32(32, 99, true);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 1, 32), WasiErrno.SUCCESS);
  assert.equal(view().getUint32(32, true), 0);
});

test('guest pointers outside memory give EFAULT before any I/O', () => {
  let touched = 0;
  const { imports, iovec } = setup({
    read: () => {
      touched++;
      return 0;
    },
    write: () => {
      touched++;
      return 0;
    },
  });
  iovec(0, 65536 - 4, 8); // buffer runs past the end
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 1, 32), WasiErrno.FAULT);
  assert.equal((imports.fd_write as unknown as (...a: number[]) => number)(1, 0, 1, 32), WasiErrno.FAULT);
  iovec(0, 100, 4);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 1, 65534), WasiErrno.FAULT); // result word past the end
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 65530, 1, 32), WasiErrno.FAULT); // iovec array past the end
  assert.equal(touched, 0);
});

test('only fd 0 reads and fds 1/2 write', () => {
  const { imports, iovec } = setup({ read: () => 0, write: (_fd, b) => b.length });
  iovec(0, 100, 4);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(1, 0, 1, 32), WasiErrno.BADF);
  assert.equal((imports.fd_write as unknown as (...a: number[]) => number)(0, 0, 1, 32), WasiErrno.BADF);
  assert.equal((imports.fd_write as unknown as (...a: number[]) => number)(2, 0, 1, 32), WasiErrno.SUCCESS);
});

test('fd_write writes every buffer in order across short writes', () => {
  const out: number[] = [];
  const { memory, imports, view, iovec } = setup({
    read: () => 0,
    write: (_fd, b) => {
      out.push(b[0]!);
      return 1;
    },
  });
  new Uint8Array(memory.buffer).set([7, 8, 9], 100);
  new Uint8Array(memory.buffer).set([5], 300);
  iovec(0, 100, 3);
  iovec(8, 300, 1);
  assert.equal((imports.fd_write as unknown as (...a: number[]) => number)(1, 0, 2, 32), WasiErrno.SUCCESS);
  assert.deepEqual(out, [7, 8, 9, 5]);
  assert.equal(view().getUint32(32, true), 4);
});

test('I/O errors become errnos; proc_exit unwinds with its code', () => {
  const epipe = Object.assign(new Error('gone'), { code: 'EPIPE' });
  const { imports, iovec } = setup({
    read: () => {
      throw new Error('x');
    },
    write: () => {
      throw epipe;
    },
  });
  iovec(0, 100, 4);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 1, 32), WasiErrno.IO);
  assert.equal((imports.fd_write as unknown as (...a: number[]) => number)(1, 0, 1, 32), WasiErrno.PIPE);
  assert.throws(
    () => (imports.proc_exit as unknown as (...a: number[]) => number)(7),
    (e: unknown) => e instanceof WasiExit && e.code === 7,
  );
});

test('a memory that grows between calls is seen at its new size', () => {
  const { memory, imports, iovec } = setup({
    read: (_fd, into) => {
      into[0] = 42;
      return 1;
    },
    write: () => 0,
  });
  memory.grow(2);
  iovec(0, 3 * 65536 - 8, 4);
  assert.equal((imports.fd_read as unknown as (...a: number[]) => number)(0, 0, 1, 32), WasiErrno.SUCCESS);
  assert.equal(new Uint8Array(memory.buffer)[3 * 65536 - 8], 42);
});

test('clock_time_get gives realtime and monotonic nanoseconds; other clocks are EINVAL', () => {
  const { imports, view } = setup({ read: () => 0, write: () => 0 });
  const clock = imports.clock_time_get as unknown as (id: number, precision: bigint, ptr: number) => number;
  assert.equal(clock(0, 0n, 40), WasiErrno.SUCCESS);
  const realtimeMs = Number(view().getBigUint64(40, true) / 1_000_000n);
  assert.ok(Math.abs(realtimeMs - Date.now()) < 5000);
  assert.equal(clock(1, 0n, 40), WasiErrno.SUCCESS);
  const a = view().getBigUint64(40, true);
  clock(1, 0n, 40);
  assert.ok(view().getBigUint64(40, true) >= a);
  assert.equal(clock(2, 0n, 40), WasiErrno.INVAL);
  assert.equal(clock(1, 0n, 65536 - 4), WasiErrno.FAULT);
});

test('random_get fills the range it is given and checks it', () => {
  const { memory, imports } = setup({ read: () => 0, write: () => 0 });
  const random = imports.random_get as unknown as (buf: number, n: number) => number;
  assert.equal(random(1000, 64), WasiErrno.SUCCESS);
  assert.ok(new Uint8Array(memory.buffer, 1000, 64).some((b) => b !== 0));
  assert.equal(new Uint8Array(memory.buffer)[1064], 0);
  assert.equal(random(65536 - 8, 16), WasiErrno.FAULT);
});
