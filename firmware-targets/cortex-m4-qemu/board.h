/*
 * board.h: everything a port to another Cortex-M4F board changes, in one
 * place. Values here are for QEMU's mps2-an386 (ARM AN386: Cortex-M4F,
 * 25 MHz system clock, CMSDK APB UART0 at 0x40004000, UART0 RX on IRQ 0).
 * Each can be overridden with -D from the Makefile.
 */
#ifndef FFEDGE_BOARD_H
#define FFEDGE_BOARD_H

#include <stdint.h>

#ifndef BOARD_CPU_HZ /* clock of SysTick with CLKSOURCE = processor clock */
#define BOARD_CPU_HZ 25000000u
#endif

#ifndef BOARD_UART_BASE /* CMSDK APB UART0 */
#define BOARD_UART_BASE 0x40004000u
#endif

#ifndef BOARD_UART_BAUD /* QEMU ignores it; a real CMSDK UART needs it */
#define BOARD_UART_BAUD 115200u
#endif

#ifndef BOARD_UART_RX_IRQ /* NVIC line of UART0 RX (TX is RX + 1 on MPS2) */
#define BOARD_UART_RX_IRQ 0
#endif

#ifndef BOARD_IRQ_COUNT /* external interrupt lines in the vector table */
#define BOARD_IRQ_COUNT 32
#endif

#ifndef BOARD_RX_RING_BYTES /* bytes buffered between RX interrupt and fd_read; power of two */
#define BOARD_RX_RING_BYTES 256u
#endif

#ifndef FFEDGE_RAM_BYTES /* linear-memory pool = ram_limit_bytes (set by the Makefile) */
#define FFEDGE_RAM_BYTES 262144u
#endif

#ifndef FFEDGE_RANDOM_SEED /* seed of the deterministic random_get */
#define FFEDGE_RANDOM_SEED 0x0FF0ED6E5EED0001ull
#endif

#ifndef FFEDGE_SEMIHOSTING /* 1: exit/trap end QEMU with a status (needs -semihosting) */
#define FFEDGE_SEMIHOSTING 0
#endif

/* Exit status after a trap or fault when semihosting is on. */
#define FFEDGE_EXIT_FATAL 3u

/* UART driver (uart-cmsdk.c): replace that file for another UART. */
void uart_init(void);
void uart_put(uint8_t byte);
uint32_t uart_take(uint8_t* dst, uint32_t max); /* non-blocking; bytes taken */
void uart_rx_irq_handler(void);
extern volatile uint32_t uart_rx_dropped; /* bytes lost to a full ring */

/* Clock (systick-clock.c): portable to any Cortex-M. */
void clock_init(void);
uint64_t clock_ticks(void);
void systick_handler(void);

/* Stop for good: semihosting exit under QEMU, else sleep forever. */
__attribute__((noreturn)) void board_halt(uint32_t status);

#endif
