/*
 * uart-ns16550.c: the serial link over an NS16550A (QEMU virt; also the UART of
 * many RISC-V SoCs). FIFOs stay off, so the UART holds one received byte, as
 * the other targets' UARTs do: RX is interrupt-driven (IER.ERBFI, PLIC source
 * BOARD_UART_RX_IRQ) into the ring of ../cortex-m-common/uart-ring.h; TX is
 * polled on LSR.THRE, so it also works from the trap handler.
 */
#include "board.h"

#define REG(offset) (*(volatile uint8_t*)(BOARD_UART_BASE + (offset)))
#define RBR REG(0) /* read: received byte; write: THR */
#define THR REG(0)
#define IER REG(1) /* bit0: received-data interrupt */
#define FCR REG(2)
#define LCR REG(3) /* bit7: divisor latch access */
#define MCR REG(4) /* bit3: OUT2 (routes the interrupt on PC-style boards) */
#define LSR REG(5) /* bit0 data ready, bit1 overrun, bit5 THR empty */
#define DLL REG(0)
#define DLM REG(1)
#define LSR_DR 0x01u
#define LSR_OE 0x02u
#define LSR_THRE 0x20u

#define PLIC_PRIORITY(source) (*(volatile uint32_t*)(BOARD_PLIC_BASE + 4u * (source)))
#define PLIC_ENABLE_HART0_M (*(volatile uint32_t*)(BOARD_PLIC_BASE + 0x2000u + 4u * (BOARD_UART_RX_IRQ / 32)))

void uart_init(void) {
  uint32_t divisor = (BOARD_UART_HZ + 8u * BOARD_UART_BAUD) / (16u * BOARD_UART_BAUD);
  IER = 0;
  LCR = 0x80;
  DLL = (uint8_t)divisor;
  DLM = (uint8_t)(divisor >> 8);
  LCR = 0x03; /* 8N1 */
  FCR = 0x00; /* no FIFOs */
  MCR = 0x08;
  (void)LSR;
  (void)RBR;
  PLIC_PRIORITY(BOARD_UART_RX_IRQ) = 1;
  PLIC_ENABLE_HART0_M |= 1u << (BOARD_UART_RX_IRQ % 32);
  IER = 0x01;
}

void uart_put(uint8_t byte) {
  while (!(LSR & LSR_THRE)) {
  }
  THR = byte;
}

static int hw_rx_ready(void) { return (LSR & LSR_DR) != 0; }
static uint8_t hw_rx_read(void) { return RBR; }
static int hw_rx_overrun(void) { return (LSR & LSR_OE) != 0; } /* reading LSR clears OE */
static void hw_rx_irq(int on) { IER = on ? 0x01 : 0x00; }

#include "../cortex-m-common/uart-ring.h"
