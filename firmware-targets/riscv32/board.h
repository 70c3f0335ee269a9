/*
 * board.h: rv32imac without F (soft float) on QEMU's `virt` machine
 * (qemu-system-riscv32 -M virt -bios none): NS16550A UART at 0x10000000 on
 * PLIC source 10, CLINT mtime at 10 MHz, SiFive test device at 0x100000 to
 * end QEMU with a status. RAM is limited by the linker script (riscv32.ld)
 * to an ESP32-C3-class budget, not by the machine (virt has 128 MiB).
 * Values can be overridden with -D from the Makefile.
 */
#ifndef FFEDGE_BOARD_H
#define FFEDGE_BOARD_H

#include <stdint.h>

#ifndef BOARD_CPU_HZ /* rate of the clock (CLINT mtime: 10 MHz on QEMU virt) */
#define BOARD_CPU_HZ 10000000u
#endif

#ifndef BOARD_UART_BASE /* NS16550A, registers 1 byte apart */
#define BOARD_UART_BASE 0x10000000u
#endif

#ifndef BOARD_UART_HZ /* the 16550's input clock (QEMU ignores the divisor) */
#define BOARD_UART_HZ 3686400u
#endif

#ifndef BOARD_UART_BAUD
#define BOARD_UART_BAUD 115200u
#endif

#ifndef BOARD_UART_RX_IRQ /* PLIC source of the UART on virt */
#define BOARD_UART_RX_IRQ 10
#endif

#ifndef BOARD_PLIC_BASE
#define BOARD_PLIC_BASE 0x0C000000u
#endif

#ifndef BOARD_MTIME /* CLINT mtime, 64 bits */
#define BOARD_MTIME 0x0200BFF8u
#endif

#ifndef BOARD_TEST_DEVICE /* sifive,test0: 0x5555 = exit 0, code << 16 | 0x3333 = exit code */
#define BOARD_TEST_DEVICE 0x00100000u
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

#ifndef FFEDGE_SEMIHOSTING /* 1: exit and traps end QEMU with a status (the test device). QEMU only */
#define FFEDGE_SEMIHOSTING 0
#endif

#include "../cortex-m-common/board-api.h"

#endif
