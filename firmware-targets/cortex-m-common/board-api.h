/*
 * board-api.h: what every bare-metal board provides to ../cortex-m-common/main.c
 * (and what the RISC-V target provides the same way). A board's board.h sets its
 * values (clock, UART, IRQs, seed) and includes this file.
 */
#ifndef FFEDGE_BOARD_API_H
#define FFEDGE_BOARD_API_H

#include <stdint.h>

/* Exit status after a trap or fault when semihosting is on. */
#define FFEDGE_EXIT_FATAL 3u

/* UART driver (one file per UART type): RX interrupt-driven into a ring, TX polled. */
void uart_init(void);
void uart_put(uint8_t byte);
uint32_t uart_take(uint8_t* dst, uint32_t max); /* non-blocking; bytes taken; call with interrupts masked */
void uart_rx_irq_handler(void);
extern volatile uint32_t uart_rx_dropped; /* bytes lost to a full ring or an overrun */

/* Clock: a 64-bit monotonic tick count at BOARD_CPU_HZ. */
void clock_init(void);
uint64_t clock_ticks(void);

/* Clock tree and pins before anything else (weak empty default in main.c). */
void board_init(void);

/* Stop for good: semihosting exit under QEMU, else sleep forever. */
__attribute__((noreturn)) void board_halt(uint32_t status);

#endif
