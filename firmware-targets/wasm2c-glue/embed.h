/*
 * embed.h: run the wasm2c-compiled device program (module name "ffdevice")
 * once: instantiate it over a RAM pool, set its `ram_limit_bytes` and
 * `runtime_kind` globals (each only if the module exports it), call `_start`,
 * and report a trap on the link if one happens.
 */
#ifndef FFEDGE_EMBED_H
#define FFEDGE_EMBED_H

#include <stdint.h>

typedef struct {
  uint8_t* pool;        /* RAM that backs linear memory (NULL: hosted growth) */
  uint32_t pool_bytes;  /* its size; also the value given to ram_limit_bytes */
  uint64_t random_seed; /* seed of the deterministic random_get */
  uint32_t runtime_kind; /* assembly/device.ts: 0 wasi, 1 linux-edge, 2 cortex-m4, 3 riscv32, 4 cortex-m0 (for HELLO) */
} ffedge_embed_options_t;

#define FFEDGE_RUNTIME_LINUX_EDGE 1u
#define FFEDGE_RUNTIME_CORTEX_M4 2u
#define FFEDGE_RUNTIME_RISCV32 3u
#define FFEDGE_RUNTIME_CORTEX_M0 4u

/* 0 when _start returned; otherwise the wasm_rt_trap_t code of the trap,
 * already reported with ffedge_report_trap(). proc_exit does not come back
 * here: it goes straight to ffedge_platform_exit(). */
uint32_t ffedge_embed_run(const ffedge_embed_options_t* options);

#endif
