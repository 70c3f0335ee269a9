/*
 * systick-clock.c: a 64-bit monotonic tick count from SysTick (present on
 * every Cortex-M): the 24-bit down-counter runs at BOARD_CPU_HZ and its wrap
 * interrupt counts the high part. Under `qemu-system-arm -icount shift=0`
 * one virtual nanosecond is one executed instruction, so differences of
 * clock_time_get there count instructions (SysTick resolution: 1 tick).
 */
#include "board.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t*)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define CSR_ENABLE (1u << 0)
#define CSR_TICKINT (1u << 1)
#define CSR_CLKSOURCE_CPU (1u << 2)
#define RELOAD 0x00FFFFFFu /* full 24 bits: one wrap per 2^24 ticks */

static volatile uint32_t wraps;
static uint64_t last_ticks;

void clock_init(void) {
  SYST_CSR = 0;
  SYST_RVR = RELOAD;
  SYST_CVR = 0;
  SYST_CSR = CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE_CPU;
}

void systick_handler(void) { wraps = wraps + 1; }

uint64_t clock_ticks(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  uint32_t high = wraps;
  uint32_t value = SYST_CVR;
  if (SCB_ICSR & ICSR_PENDSTSET) { /* wrapped, interrupt not yet taken */
    high++;
    value = SYST_CVR;
  }
  uint64_t ticks = ((uint64_t)high << 24) + (RELOAD - value);
  /* An emulator may raise the wrap interrupt a little late; never go back. */
  if (ticks < last_ticks) ticks = last_ticks;
  last_ticks = ticks;
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  return ticks;
}
