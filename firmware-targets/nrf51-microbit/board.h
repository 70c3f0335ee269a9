/*
 * board.h: the nRF51822 (Cortex-M0, no FPU, 256 KiB flash, 16 KiB RAM) on
 * QEMU's `microbit` machine; on a real BBC micro:bit v1 the UART goes to the
 * interface chip's USB serial (TX P0.24, RX P0.25). Values can be overridden
 * with -D from the Makefile.
 *
 * The nRF51's Cortex-M0 has no SysTick (QEMU maps one, the silicon has none):
 * the clock is TIMER0 (clock-nrf51.c).
 */
#ifndef FFEDGE_BOARD_H
#define FFEDGE_BOARD_H

#include <stdint.h>

#ifndef BOARD_CPU_HZ /* 16 MHz HFCLK; TIMER0 counts at it (prescaler 0) */
#define BOARD_CPU_HZ 16000000u
#endif

#ifndef BOARD_UART_BASE /* UART0 (legacy UART, not UARTE) */
#define BOARD_UART_BASE 0x40002000u
#endif

#ifndef BOARD_UART_BAUD_REG /* BAUDRATE register value for 115200 (nRF51 RM §29.8.10) */
#define BOARD_UART_BAUD_REG 0x01D7E000u
#endif

#ifndef BOARD_UART_TX_PIN /* micro:bit v1: P0.24 TX, P0.25 RX (to the USB interface chip) */
#define BOARD_UART_TX_PIN 24u
#endif
#ifndef BOARD_UART_RX_PIN
#define BOARD_UART_RX_PIN 25u
#endif

#ifndef BOARD_UART_RX_IRQ /* UART0 peripheral id 2 */
#define BOARD_UART_RX_IRQ 2
#endif

#ifndef BOARD_CLOCK_IRQ /* TIMER0 peripheral id 8: the clock's wrap interrupt */
#define BOARD_CLOCK_IRQ 8
#endif

#ifndef BOARD_IRQ_COUNT /* nRF51: 32 peripheral interrupt lines */
#define BOARD_IRQ_COUNT 32
#endif

#ifndef BOARD_RX_RING_BYTES /* small: 16 KiB of RAM; one HELLO_REQUEST is 10 bytes */
#define BOARD_RX_RING_BYTES 64u
#endif

#ifndef FFEDGE_RAM_BYTES /* linear-memory pool = ram_limit_bytes (set by the Makefile) */
#define FFEDGE_RAM_BYTES 13312u
#endif

#ifndef FFEDGE_RANDOM_SEED /* seed of the deterministic random_get */
#define FFEDGE_RANDOM_SEED 0x0FF0ED6E5EED0001ull
#endif

#ifndef FFEDGE_SEMIHOSTING /* 1: exit/trap end QEMU with a status (needs -semihosting) */
#define FFEDGE_SEMIHOSTING 0
#endif

#define BOARD_RUNTIME_KIND FFEDGE_RUNTIME_CORTEX_M0

/* TIMER0 wrap interrupt (clock-nrf51.c). */
void clock_irq_handler(void);

#include "../cortex-m-common/board-api.h"

#endif
