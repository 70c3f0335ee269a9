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

/* SysTick wrap interrupt (../cortex-m-common/systick-clock.c, any Cortex-M with SysTick). */
void systick_handler(void);

#include "../cortex-m-common/board-api.h"

#endif
