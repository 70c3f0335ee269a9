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

#ifdef FFEDGE_MPU_SANDBOX
/*
 * MPU mode (use-static-memory.sh --mpu; ../cortex-m-common/mpu-sandbox.c): no
 * compare against the memory size. Linear memory sits at address
 * FFEDGE_MPU_SANDBOX (0 on mps2-an386), so wasm address a IS the bus address,
 * with no add and no wrap; every load and store uses the ARMv7-M *unprivileged*
 * forms (LDRT/STRT and byte/halfword variants, ARMv7-M ARM A7.7), and the MPU
 * grants unprivileged access to exactly [0, memory size) and nothing else. The
 * program itself runs privileged (PRIVDEFENA: the default map), so its stack,
 * statics and code stay reachable to it and to nothing the wasm can name. An
 * access with any byte at or past the size faults (MemManage, or BusFault in the
 * PPB at 0xE0000000, which the MPU does not cover and which refuses unprivileged
 * accesses); the handler turns it into TRAP(OOB).
 * What stays in software: the carry of a nonzero static offset (addr >= 2^32
 * would wrap to a low, valid address), free for the offset-0 accesses that are
 * nearly all of them (gcc drops it when addr is a zero-extended u32).
 */
#if FFEDGE_MPU_SANDBOX != 0
#error "the unprivileged accesses address linear memory at 0: FFEDGE_MPU_SANDBOX must be 0 (its address)"
#endif
#undef FFEDGE_MEMCHECK
#define FFEDGE_MEMCHECK(addr, width) \
  if (UNLIKELY(((addr) >> 32) != 0)) TRAP(OOB);

/* The bytes at wasm address a, as the memory operand of an asm (its "Q" form
 * prints as [rN], the one addressing mode every LDRT variant takes). */
#define FFEDGE_UNPRIV(type, a) (*(type*)(uintptr_t)(uint32_t)(a))

static inline void ffedge_load_unpriv(void* dst, uint64_t addr, uint32_t n) {
  uint32_t lo, hi;
  switch (n) {
    case 1: __asm__("ldrbt %0, %1" : "=r"(lo) : "Q"(FFEDGE_UNPRIV(const uint8_t, addr))); *(uint8_t*)dst = (uint8_t)lo; break;
    case 2: __asm__("ldrht %0, %1" : "=r"(lo) : "Q"(FFEDGE_UNPRIV(const uint16_t, addr))); { uint16_t v = (uint16_t)lo; __builtin_memcpy(dst, &v, 2); } break;
    case 4: __asm__("ldrt %0, %1" : "=r"(lo) : "Q"(FFEDGE_UNPRIV(const uint32_t, addr))); __builtin_memcpy(dst, &lo, 4); break;
    default: /* 8: two words, low first; the second faults on its own if it is outside */
      __asm__("ldrt %0, [%2]\n\tldrt %1, [%2, #4]" : "=&r"(lo), "=r"(hi)
              : "r"((uint32_t)addr), "m"(FFEDGE_UNPRIV(const uint64_t, addr)));
      { uint64_t v = (uint64_t)hi << 32 | lo; __builtin_memcpy(dst, &v, 8); }
      break;
  }
}

static inline void ffedge_store_unpriv(uint64_t addr, const void* src, uint32_t n) {
  switch (n) {
    case 1: __asm__("strbt %1, %0" : "=Q"(FFEDGE_UNPRIV(uint8_t, addr)) : "r"((uint32_t)*(const uint8_t*)src)); break;
    case 2: { uint16_t v; __builtin_memcpy(&v, src, 2); __asm__("strht %1, %0" : "=Q"(FFEDGE_UNPRIV(uint16_t, addr)) : "r"((uint32_t)v)); } break;
    case 4: { uint32_t v; __builtin_memcpy(&v, src, 4); __asm__("strt %1, %0" : "=Q"(FFEDGE_UNPRIV(uint32_t, addr)) : "r"(v)); } break;
    default: { /* 8: the high word first, so an access straddling the end writes nothing before it
                * faults; [a + 4] must not wrap to address 0 (then the high word would land there) */
      if (UNLIKELY(((addr + 7) >> 32) != 0)) wasm_rt_trap(WASM_RT_TRAP_OOB);
      uint64_t v; __builtin_memcpy(&v, src, 8);
      __asm__("strt %2, [%1, #4]\n\tstrt %3, [%1]" : "=m"(FFEDGE_UNPRIV(uint64_t, addr))
              : "r"((uint32_t)addr), "r"((uint32_t)(v >> 32)), "r"((uint32_t)v));
      break;
    }
  }
}
#define FFEDGE_LOAD(dst, addr, n) ffedge_load_unpriv(dst, addr, n)
#define FFEDGE_STORE(addr, src, n) ffedge_store_unpriv(addr, src, n)
#else
#define FFEDGE_LOAD(dst, addr, n) wasm_rt_memcpy(dst, FFEDGE_MEMORY_AT(addr), n)
#define FFEDGE_STORE(addr, src, n) wasm_rt_memcpy(FFEDGE_MEMORY_AT(addr), src, n)
#endif

#endif
