/*
 * wasm-rt-pool.h: our own implementation of the wasm2c runtime API
 * (wasm-rt.h from wabt 1.0.32) for targets without mmap or malloc.
 *
 * Purpose: linear memory lives in ONE caller-owned pool whose size is the
 * real RAM budget, with wasm2c's explicit bounds checks (so any access at or
 * above the pool traps), memory.grow succeeding only inside the pool, and
 * traps delivered by longjmp to the embedder. Function types and tables live
 * in fixed static arrays: no malloc anywhere.
 * Non-goals: threads, several memories, exceptions beyond a small payload.
 *
 * The generated C must be compiled with WASM_RT_MEMCHECK_SIGNAL_HANDLER=0
 * (explicit bounds checks) and NDEBUG (its asserts would pull in stdio).
 */
#ifndef FFEDGE_WASM_RT_POOL_H
#define FFEDGE_WASM_RT_POOL_H

#include <setjmp.h>
#include <stdint.h>

#include "wasm-rt.h"

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
#error "wasm-rt-pool needs explicit bounds checks: build with -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0"
#endif

#define FFEDGE_WASM_PAGE_BYTES 65536u

/* Static capacities; raise them with -D if a module needs more (the runtime
 * traps with WASM_RT_TRAP_EXHAUSTION, never overflows, when one is exceeded). */
#ifndef FFEDGE_RT_MAX_FUNC_TYPES
#define FFEDGE_RT_MAX_FUNC_TYPES 64
#endif
#ifndef FFEDGE_RT_MAX_TYPE_ARITY /* params + results of one function type */
#define FFEDGE_RT_MAX_TYPE_ARITY 16
#endif
#ifndef FFEDGE_RT_MAX_TABLE_ELEMS /* per table; one funcref + one externref table */
#define FFEDGE_RT_MAX_TABLE_ELEMS 256
#endif
#ifndef FFEDGE_RT_MAX_EXCEPTION_BYTES
#define FFEDGE_RT_MAX_EXCEPTION_BYTES 64
#endif

/*
 * Give the runtime the RAM that backs linear memory. Call before the module
 * is instantiated. `bytes` need not be a multiple of the 64 KiB wasm page:
 * the memory keeps its declared page count but only `bytes` are addressable.
 * With FFEDGE_RT_HOSTED defined, base == NULL and bytes == 0 selects
 * unlimited growth with realloc (a hosted target without a RAM limit).
 */
void ffedge_rt_use_pool(uint8_t* base, uint32_t bytes);

/* Where traps land. The embedder points this at its jmp_buf, calls
 * ffedge_rt_save_depth(), then setjmp(): 0 on entry, the wasm_rt_trap_t code
 * when a trap unwinds (see embed.c). */
extern jmp_buf* ffedge_rt_trap_target;
void ffedge_rt_save_depth(void);

#ifdef FFEDGE_MPU_SANDBOX
/* MPU mode (static-memory.h): give unprivileged accesses exactly [0, size) of
 * the address map, nothing else; the target provides it
 * (../cortex-m-common/mpu-sandbox.c), the runtime calls it on every size change. */
void ffedge_mpu_grant(uint32_t size);
/* Memory sizes (RAM_BYTES) must be multiples of it (mpu-sandbox.c says why). */
#define FFEDGE_MPU_GRANULE 1024u
#endif

/* Short stable name of a trap ("unreachable", "oob", ...). */
const char* ffedge_rt_trap_name(wasm_rt_trap_t trap);

#endif
