/*
 * clock-nrf51.c: a 64-bit monotonic tick count at 16 MHz from TIMER0 (nRF51
 * RM §18): 32-bit mode, prescaler 0; CC[1] = 0 marks each wrap (every 268 s),
 * counted by the COMPARE[1] interrupt; a read captures the counter into CC[0].
 * (The nRF51's Cortex-M0 has no SysTick.)
 */
#include "board.h"

#define TIMER0 0x40008000u
#define REG(offset) (*(volatile uint32_t*)(TIMER0 + (offset)))
#define TASKS_START REG(0x000)
#define TASKS_CLEAR REG(0x00C)
#define TASKS_CAPTURE0 REG(0x040)
#define EVENTS_COMPARE1 REG(0x144)
#define INTENSET REG(0x304)
#define MODE REG(0x504)
#define BITMODE REG(0x508)
#define PRESCALER REG(0x510)
#define CC0 REG(0x540)
#define CC1 REG(0x544)
#define INT_COMPARE1 (1u << 17)
#define NVIC_ISER (*(volatile uint32_t*)0xE000E100u)
#define NVIC_ISPR (*(volatile uint32_t*)0xE000E200u)

static volatile uint32_t wraps;
static uint64_t last_ticks;

void clock_init(void) {
  MODE = 0;      /* timer */
  BITMODE = 3;   /* 32 bit */
  PRESCALER = 0; /* 16 MHz */
  CC1 = 0;
  EVENTS_COMPARE1 = 0;
  INTENSET = INT_COMPARE1;
  NVIC_ISER = 1u << BOARD_CLOCK_IRQ;
  TASKS_CLEAR = 1;
  TASKS_START = 1;
}

void clock_irq_handler(void) {
  EVENTS_COMPARE1 = 0;
  wraps = wraps + 1;
}

uint64_t clock_ticks(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  uint32_t high = wraps;
  TASKS_CAPTURE0 = 1;
  uint32_t value = CC0;
  if (EVENTS_COMPARE1 != 0) { /* wrapped, interrupt not yet taken */
    high++;
    TASKS_CAPTURE0 = 1;
    value = CC0;
  }
  uint64_t ticks = ((uint64_t)high << 32) + value;
  if (ticks < last_ticks) ticks = last_ticks;
  last_ticks = ticks;
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  return ticks;
}
