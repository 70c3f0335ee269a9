/*
 * wasi-shim.c: WASI preview1 imports for wasm2c output, over platform.h.
 * Signatures are those wasm2c 1.0.32 declares for module
 * "wasi_snapshot_preview1" (Z_wasi_snapshot_preview1Z_<name>).
 * Only fds 0 (link in), 1 (link out) and 2 (diagnostics) exist.
 */
#include "wasi-shim.h"

#include <stdbool.h>
#include <string.h>

#include "platform.h"

#define IOVEC_BYTES 8u /* struct { u32 buf; u32 buf_len; } */

void ffedge_wasi_init(ffedge_wasi_t* wasi, uint64_t random_seed) {
  wasi->memory = NULL;
  wasi->random_state = random_seed;
}

/* True when [ptr, ptr + len) lies inside linear memory (64-bit sum: no wrap). */
static bool guest_range_ok(const ffedge_wasi_t* wasi, uint32_t ptr, uint64_t len) {
  return wasi->memory != NULL && (uint64_t)ptr + len <= wasi->memory->size;
}

/* Little-endian accessors; callers have checked the range. */
static uint32_t guest_u32(const ffedge_wasi_t* wasi, uint32_t ptr) {
  const uint8_t* p = wasi->memory->data + ptr;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void guest_put_u32(ffedge_wasi_t* wasi, uint32_t ptr, uint32_t value) {
  uint8_t* p = wasi->memory->data + ptr;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(value >> (8 * i));
}

static void guest_put_u64(ffedge_wasi_t* wasi, uint32_t ptr, uint64_t value) {
  uint8_t* p = wasi->memory->data + ptr;
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(value >> (8 * i));
}

/* Check an iovec array, its result pointer and every buffer it names. */
static uint32_t check_iovecs(const ffedge_wasi_t* wasi, uint32_t iovs, uint32_t iovs_len,
                             uint32_t result_ptr) {
  if (!guest_range_ok(wasi, iovs, (uint64_t)iovs_len * IOVEC_BYTES)) return FFEDGE_WASI_EFAULT;
  if (!guest_range_ok(wasi, result_ptr, 4)) return FFEDGE_WASI_EFAULT;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf = guest_u32(wasi, iovs + i * IOVEC_BYTES);
    uint32_t buf_len = guest_u32(wasi, iovs + i * IOVEC_BYTES + 4);
    if (!guest_range_ok(wasi, buf, buf_len)) return FFEDGE_WASI_EFAULT;
  }
  return FFEDGE_WASI_ESUCCESS;
}

/* Reads into the first non-empty buffer only: a short read is allowed and it
 * returns as soon as anything is there, which is what a serial link wants. */
uint32_t Z_wasi_snapshot_preview1Z_fd_read(ffedge_wasi_t* wasi, uint32_t fd, uint32_t iovs,
                                           uint32_t iovs_len, uint32_t nread_ptr) {
  if (fd != 0) return FFEDGE_WASI_EBADF;
  uint32_t err = check_iovecs(wasi, iovs, iovs_len, nread_ptr);
  if (err) return err;
  uint32_t got = 0;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf = guest_u32(wasi, iovs + i * IOVEC_BYTES);
    uint32_t buf_len = guest_u32(wasi, iovs + i * IOVEC_BYTES + 4);
    if (buf_len == 0) continue;
    err = ffedge_platform_read(wasi->memory->data + buf, buf_len, &got);
    if (err) return err;
    break;
  }
  guest_put_u32(wasi, nread_ptr, got);
  return FFEDGE_WASI_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_write(ffedge_wasi_t* wasi, uint32_t fd, uint32_t iovs,
                                            uint32_t iovs_len, uint32_t nwritten_ptr) {
  if (fd != 1 && fd != 2) return FFEDGE_WASI_EBADF;
  uint32_t err = check_iovecs(wasi, iovs, iovs_len, nwritten_ptr);
  if (err) return err;
  uint32_t written = 0;
  for (uint32_t i = 0; i < iovs_len; i++) {
    uint32_t buf = guest_u32(wasi, iovs + i * IOVEC_BYTES);
    uint32_t buf_len = guest_u32(wasi, iovs + i * IOVEC_BYTES + 4);
    if (buf_len == 0) continue;
    err = ffedge_platform_write(fd, wasi->memory->data + buf, buf_len);
    if (err) return err;
    written += buf_len;
  }
  guest_put_u32(wasi, nwritten_ptr, written);
  return FFEDGE_WASI_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_clock_time_get(ffedge_wasi_t* wasi, uint32_t clock_id,
                                                  uint64_t precision, uint32_t time_ptr) {
  (void)precision; /* we always give our best resolution */
  if (!guest_range_ok(wasi, time_ptr, 8)) return FFEDGE_WASI_EFAULT;
  uint64_t ns = 0;
  uint32_t err = ffedge_platform_clock_ns(clock_id, &ns);
  if (err) return err;
  guest_put_u64(wasi, time_ptr, ns);
  return FFEDGE_WASI_ESUCCESS;
}

void Z_wasi_snapshot_preview1Z_proc_exit(ffedge_wasi_t* wasi, uint32_t code) {
  (void)wasi;
  ffedge_platform_exit(code);
}

static uint64_t splitmix64_next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint32_t Z_wasi_snapshot_preview1Z_random_get(ffedge_wasi_t* wasi, uint32_t buf, uint32_t buf_len) {
  if (!guest_range_ok(wasi, buf, buf_len)) return FFEDGE_WASI_EFAULT;
  uint8_t* out = wasi->memory->data + buf;
  for (uint64_t i = 0; i < buf_len; i += 8) { /* 64-bit: no wrap near 4 GiB */
    uint64_t word = splitmix64_next(&wasi->random_state);
    for (uint32_t j = 0; j < 8 && i + j < buf_len; j++) out[i + j] = (uint8_t)(word >> (8 * j));
  }
  return FFEDGE_WASI_ESUCCESS;
}
