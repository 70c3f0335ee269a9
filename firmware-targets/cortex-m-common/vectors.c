/*
 * vectors.c: the Cortex-M vector table and fault handlers. Every fault and
 * every unexpected interrupt ends in an ERROR(DEVICE_TRAP) frame on the UART (see
 * ../wasm2c-glue/fatal-report.h) and a halt, never in silence.
 */
#include <stdint.h>

#include "board.h"
#include "fatal-report.h"

extern uint32_t __stack_top;
void Reset_Handler(void);
#ifdef FFEDGE_MPU_SANDBOX
/* BOUNDS_CHECKS=mpu: an access the MPU refuses becomes a wasm trap (mpu-sandbox.c). */
void mpu_fault_handler(void);
#define MEMORY_FAULT mpu_fault_handler
#else
#define MEMORY_FAULT fatal_handler
#endif

static void fatal_handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  uint32_t number = ipsr & 0x1FFu;
  ffedge_report_fault(number);
  board_halt(FFEDGE_EXIT_FATAL);
}

typedef void (*vector_t)(void);

/* Every IRQ defaults to fatal_handler, then the ones we use are overridden. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".vectors"), used)) const vector_t vector_table[16 + BOARD_IRQ_COUNT] = {
    [0] = (vector_t)(uintptr_t)&__stack_top,
    [1] = Reset_Handler,
    [2] = fatal_handler,  /* NMI */
    [3] = fatal_handler,  /* HardFault */
    [4] = MEMORY_FAULT,   /* MemManage */
    [5] = MEMORY_FAULT,   /* BusFault */
    [6] = fatal_handler,  /* UsageFault */
    [11] = fatal_handler, /* SVCall: unused */
    [12] = fatal_handler, /* DebugMon */
    [14] = fatal_handler, /* PendSV: unused */
    [16 ... 16 + BOARD_IRQ_COUNT - 1] = fatal_handler,
    [16 + BOARD_UART_RX_IRQ] = uart_rx_irq_handler,
#ifdef BOARD_CLOCK_IRQ /* the clock is a peripheral timer (a part without SysTick, e.g. nRF51) */
    [15] = fatal_handler,
    [16 + BOARD_CLOCK_IRQ] = clock_irq_handler,
#else
    [15] = systick_handler,
#endif
};
