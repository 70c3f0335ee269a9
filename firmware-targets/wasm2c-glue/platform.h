/*
 * platform.h: the few functions a target provides to the portable wasm2c
 * glue (WASI shim, embedding, fatal report). Each returns a WASI errno
 * (0 = success) where it can fail. Nothing here knows about wasm memory:
 * the shim has already bounds-checked every guest pointer.
 */
#ifndef FFEDGE_PLATFORM_H
#define FFEDGE_PLATFORM_H

#include <stdint.h>

#include "wasm-rt.h" /* WASM_RT_NO_RETURN */

/* WASI preview1 errno values used by the glue (wasi_snapshot_preview1 spec). */
#define FFEDGE_WASI_ESUCCESS 0
#define FFEDGE_WASI_EBADF 8
#define FFEDGE_WASI_EFAULT 21
#define FFEDGE_WASI_EINVAL 28
#define FFEDGE_WASI_EIO 29

/* Read from the serial link (fd 0). Blocks until at least one byte is there,
 * then returns what is available, up to max (max > 0). *got = 0 only at end
 * of input (a hosted stdin closing; a UART never ends). */
uint32_t ffedge_platform_read(uint8_t* dst, uint32_t max, uint32_t* got);

/* Write all len bytes to fd 1 (the serial link) or fd 2 (diagnostics; a
 * target may discard them). Returns only when every byte is handed over. */
uint32_t ffedge_platform_write(uint32_t fd, const uint8_t* src, uint32_t len);

/* Nanoseconds for a WASI clock id (0 realtime, 1 monotonic, 2 process cpu,
 * 3 thread cpu). EINVAL for other ids. */
uint32_t ffedge_platform_clock_ns(uint32_t clock_id, uint64_t* ns);

/* proc_exit, or the end of _start: never returns. */
WASM_RT_NO_RETURN void ffedge_platform_exit(uint32_t code);

#endif
