/*
 * wasi-shim.h: the WASI preview1 subset ff-device.wasm imports
 * (fd_read, fd_write, clock_time_get, proc_exit, random_get), implemented
 * over platform.h for wasm2c output. Every guest pointer is checked against
 * the current memory size before it is touched; a bad one gives EFAULT.
 */
#ifndef FFEDGE_WASI_SHIM_H
#define FFEDGE_WASI_SHIM_H

#include <stdint.h>

#include "wasm-rt.h"

/* wasm2c passes a pointer to this struct (the "instance" of the imported
 * module wasi_snapshot_preview1) to every import; we define its contents. */
struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t* memory; /* the module's exported memory; NULL until instantiated */
  uint64_t random_state;    /* splitmix64 state behind random_get */
};

typedef struct Z_wasi_snapshot_preview1_instance_t ffedge_wasi_t;

/* random_get is deterministic on purpose: splitmix64 (Steele, Lea, Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014) from this
 * seed, so two runs with the same seed see the same bytes on every target.
 * It is NOT a source of secrets. */
void ffedge_wasi_init(ffedge_wasi_t* wasi, uint64_t random_seed);

/* The imports, with the C signatures wasm2c 1.0.32 generates for them
 * (u32 = uint32_t, u64 = uint64_t). Declared here as well so a mismatch with
 * the generated header is a compile error where both are included. */
uint32_t Z_wasi_snapshot_preview1Z_fd_read(ffedge_wasi_t*, uint32_t fd, uint32_t iovs,
                                           uint32_t iovs_len, uint32_t nread_ptr);
uint32_t Z_wasi_snapshot_preview1Z_fd_write(ffedge_wasi_t*, uint32_t fd, uint32_t iovs,
                                            uint32_t iovs_len, uint32_t nwritten_ptr);
uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(ffedge_wasi_t*, uint32_t clock_id,
                                                  uint64_t precision, uint32_t time_ptr);
void Z_wasi_snapshot_preview1Z_proc_exit(ffedge_wasi_t*, uint32_t code);
uint32_t Z_wasi_snapshot_preview1Z_random_get(ffedge_wasi_t*, uint32_t buf, uint32_t buf_len);

#endif
