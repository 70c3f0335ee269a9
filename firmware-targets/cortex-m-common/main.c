/*
 * main.c: bare-metal entry for the wasm2c-compiled device program on any
 * Cortex-M (M0 to M4F). Sets up the board (board_init: clocks, pins), the UART
 * and the clock, hands the static linear memory of FFEDGE_RAM_BYTES to the
 * runtime and runs the program; implements platform.h for the glue. Everything
 * board-specific comes from the target's board.h.
 */
#include <stdint.h>

#include "board.h"
#include "embed.h"
#include "platform.h"
#include "wasm-rt-pool.h"

#define SCB_VTOR (*(volatile uint32_t*)0xE000ED08u)
#define SCB_SHCSR (*(volatile uint32_t*)0xE000ED24u)
#define SHCSR_FAULTS_ENA (7u << 16) /* MemManage, BusFault, UsageFault */

extern const void* const vector_table[];

#ifndef BOARD_RUNTIME_KIND /* what HELLO names (assembly/device.ts runtime_kind) */
#define BOARD_RUNTIME_KIND FFEDGE_RUNTIME_CORTEX_M4
#endif

/* Clock tree and pins; a board that needs none keeps this empty default. */
__attribute__((weak)) void board_init(void) {}

/* The learner's RAM: linear memory lives here and nowhere else. The generated
 * C addresses it by this name (../wasm2c-glue/static-memory.h). */
#ifdef FFEDGE_MPU_SANDBOX
/* BOUNDS_CHECKS=mpu: at address 0, placed by the board's MPU linker script
 * (ffedge_linear_memory = 0); the MPU grants [0, size) in 1 KiB steps. */
extern uint8_t ffedge_linear_memory[];
_Static_assert(FFEDGE_RAM_BYTES % FFEDGE_MPU_GRANULE == 0, "BOUNDS_CHECKS=mpu needs RAM_BYTES to be a multiple of 1024");
#else
uint8_t ffedge_linear_memory[FFEDGE_RAM_BYTES] __attribute__((section(".wasm_pool"), aligned(16)));
#endif

int main(void) {
#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__ /* ARMv6-M (M0) has neither register */
  SCB_VTOR = (uint32_t)(uintptr_t)vector_table; /* a bootloader may have moved it */
  SCB_SHCSR |= SHCSR_FAULTS_ENA;                /* name the fault instead of "hardfault" */
#endif
  board_init();
  uart_init();
  clock_init();
  __asm volatile("cpsie i" ::: "memory");

  ffedge_embed_options_t options = {
      .pool = ffedge_linear_memory,
      .pool_bytes = FFEDGE_RAM_BYTES,
      .random_seed = FFEDGE_RANDOM_SEED,
      .runtime_kind = BOARD_RUNTIME_KIND,
  };
  uint32_t trap = ffedge_embed_run(&options);
  board_halt(trap ? FFEDGE_EXIT_FATAL : 0);
}

/* ---- platform.h ------------------------------------------------------- */

uint32_t ffedge_platform_read(uint8_t* dst, uint32_t max, uint32_t* got) {
  for (;;) {
    /* Interrupts off between the check and WFI, so a byte arriving in that
     * window still wakes us (WFI wakes on a pending interrupt even when
     * PRIMASK masks it); it is taken right after cpsie. */
    __asm volatile("cpsid i" ::: "memory");
    uint32_t n = uart_take(dst, max);
    if (n != 0) {
      __asm volatile("cpsie i" ::: "memory");
      *got = n;
      return FFEDGE_WASI_ESUCCESS;
    }
    __asm volatile("wfi\n cpsie i" ::: "memory");
  }
}

uint32_t ffedge_platform_write(uint32_t fd, const uint8_t* src, uint32_t len) {
  if (fd != 1) return FFEDGE_WASI_ESUCCESS; /* fd 2 has nowhere to go: dropped */
  for (uint32_t i = 0; i < len; i++) uart_put(src[i]);
  return FFEDGE_WASI_ESUCCESS;
}

uint32_t ffedge_platform_clock_ns(uint32_t clock_id, uint64_t* ns) {
  /* No RTC: every clock counts from reset (realtime = 1970-01-01 + uptime). */
  if (clock_id > 3) return FFEDGE_WASI_EINVAL;
  uint64_t ticks = clock_ticks();
#if 1000000000u % BOARD_CPU_HZ == 0
  *ns = ticks * (1000000000u / BOARD_CPU_HZ); /* 40 ns per tick at 25 MHz: no 64-bit divide */
#else
  *ns = ticks / BOARD_CPU_HZ * 1000000000ull + ticks % BOARD_CPU_HZ * 1000000000ull / BOARD_CPU_HZ;
#endif
  return FFEDGE_WASI_ESUCCESS;
}

void ffedge_platform_exit(uint32_t code) { board_halt(code); }

#if FFEDGE_SEMIHOSTING
/* ARM semihosting SYS_EXIT_EXTENDED (0x20): QEMU exits with `status` when run
 * with -semihosting-config enable=on,target=native. On a board without a
 * debugger the bkpt would fault: keep FFEDGE_SEMIHOSTING=0 there. */
static void semihosting_exit(uint32_t status) {
  uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, status};
  register uint32_t r0 __asm("r0") = 0x20u;
  register uint32_t r1 __asm("r1") = (uint32_t)(uintptr_t)block;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}
#endif

void board_halt(uint32_t status) {
#if FFEDGE_SEMIHOSTING
  semihosting_exit(status);
#else
  (void)status;
#endif
  for (;;) __asm volatile("wfi");
}
