/*
 * static-memory.h: how the generated C reaches linear memory in a
 * STATIC_MEMORY build (use-static-memory.sh puts this header into wasm2c's
 * output in place of its own load/store addressing).
 *
 * Purpose: the same bounds checks as wasm2c's, at a fraction of the cost on a
 * 32-bit core. wasm2c 1.0.32 checks `addr + width > mem->size` in 64-bit
 * arithmetic and re-reads mem->data and mem->size after every store (a store
 * through a char pointer may alias the memory struct). Here:
 *   - linear memory is the embedder's static array ffedge_linear_memory, so the
 *     base is a link-time constant and a store into it cannot alias anything
 *     else the compiler keeps in registers;
 *   - the check is one 32-bit compare against ffedge_rt_access_end[width], the
 *     first address at which an access of that width no longer fits (kept by
 *     wasm-rt-pool.c whenever the memory's size changes), plus a carry test
 *     that the compiler drops when the wasm offset is 0.
 * Exactness: trap iff addr + width > current memory size, as in the spec and in
 * wasm2c's RANGE_CHECK (addr is the u64 sum of the u32 operand and the offset;
 * addr >= 2^32 always traps; an end of 0 makes every access of that width trap).
 * Non-goals: several memories (the rewrite refuses a module with more than one),
 * memory64, big-endian targets.
 */
#ifndef FFEDGE_STATIC_MEMORY_H
#define FFEDGE_STATIC_MEMORY_H

#include <stdint.h>

/* The embedder defines it (RAM_BYTES long) and hands it to ffedge_rt_use_pool. */
extern uint8_t ffedge_linear_memory[];
/* [width] for width 1, 2, 4, 8: memory size - width + 1, or 0 if none fits. */
extern uint32_t ffedge_rt_access_end[9];

#define FFEDGE_MEMCHECK(addr, width)                                                        \
  if (UNLIKELY(((addr) >> 32) != 0 || (uint32_t)(addr) >= ffedge_rt_access_end[width])) \
    TRAP(OOB);

#define FFEDGE_MEMORY_AT(addr) (&ffedge_linear_memory[(uint32_t)(addr)])

#endif
