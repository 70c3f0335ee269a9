/*
 * board.h: the STM32F405 (QEMU netduinoplus2; real boards: pyboard v1.1,
 * Adafruit Feather STM32F405, Olimex STM32-H405, any F405/F407 board).
 * Values can be overridden with -D from the Makefile.
 *
 * Clock: board_init() (clock-stm32f4.c) runs the PLL from the 16 MHz HSI to
 * 168 MHz (APB2 84 MHz for USART1). QEMU's netduinoplus2 runs the core and
 * SysTick at 168 MHz from reset and does not model the RCC (its registers read
 * 0): the bounded waits for the ready bits then time out and nothing changes.
 */
#ifndef FFEDGE_BOARD_H
#define FFEDGE_BOARD_H

#include <stdint.h>

#ifndef BOARD_CPU_HZ /* SYSCLK = HCLK = SysTick clock (CLKSOURCE = processor clock) */
#define BOARD_CPU_HZ 168000000u
#endif

#ifndef BOARD_APB2_HZ /* USART1's clock: HCLK / 2 */
#define BOARD_APB2_HZ 84000000u
#endif

#ifndef BOARD_UART_BASE /* USART1: QEMU wires -serial (serial0) to it; PA9 TX / PA10 RX, AF7 */
#define BOARD_UART_BASE 0x40011000u
#endif

#ifndef BOARD_UART_BAUD /* QEMU ignores it; BRR = APB2 / baud (oversampling by 16) */
#define BOARD_UART_BAUD 115200u
#endif

#ifndef BOARD_UART_RX_IRQ /* USART1 global interrupt (RM0090 table 61: position 37) */
#define BOARD_UART_RX_IRQ 37
#endif

#ifndef BOARD_IRQ_COUNT /* STM32F405: 82 maskable interrupts */
#define BOARD_IRQ_COUNT 82
#endif

#ifndef BOARD_RX_RING_BYTES /* bytes buffered between RX interrupt and fd_read; power of two */
#define BOARD_RX_RING_BYTES 256u
#endif

#ifndef FFEDGE_RAM_BYTES /* linear-memory pool = ram_limit_bytes (set by the Makefile) */
#define FFEDGE_RAM_BYTES 110592u
#endif

#ifndef FFEDGE_RANDOM_SEED /* seed of the deterministic random_get */
#define FFEDGE_RANDOM_SEED 0x0FF0ED6E5EED0001ull
#endif

#ifndef FFEDGE_SEMIHOSTING /* 1: exit/trap end QEMU with a status (needs -semihosting) */
#define FFEDGE_SEMIHOSTING 0
#endif

/* SysTick wrap interrupt (../cortex-m-common/systick-clock.c). */
void systick_handler(void);

#include "../cortex-m-common/board-api.h"

#endif
