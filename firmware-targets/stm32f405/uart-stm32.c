/*
 * uart-stm32.c: the serial link over an STM32F4 USART (RM0090 §30.6: SR, DR,
 * BRR, CR1). RX is interrupt-driven (RXNE) into a ring, so bytes arriving
 * while the learner computes are kept (the USART holds one received byte); TX
 * is polled on TXE, so it also works from fault handlers with interrupts off.
 * The ring and its flow control: ../cortex-m-common/uart-ring.h.
 */
#include "board.h"

typedef struct {
  volatile uint32_t sr;   /* 0x00: bit3 ORE, bit5 RXNE, bit7 TXE */
  volatile uint32_t dr;   /* 0x04 */
  volatile uint32_t brr;  /* 0x08: mantissa << 4 | fraction (sixteenths) */
  volatile uint32_t cr1;  /* 0x0C: bit2 RE, bit3 TE, bit5 RXNEIE, bit13 UE */
  volatile uint32_t cr2;  /* 0x10 */
  volatile uint32_t cr3;  /* 0x14 */
} stm32_usart_t;

#define USART ((stm32_usart_t*)BOARD_UART_BASE)
#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_UE (1u << 13)

#define NVIC_ISER ((volatile uint32_t*)0xE000E100u)
#define NVIC_ICER ((volatile uint32_t*)0xE000E180u)
#define NVIC_ICPR ((volatile uint32_t*)0xE000E280u)
#define IRQ_WORD (BOARD_UART_RX_IRQ / 32)
#define IRQ_BIT (1u << (BOARD_UART_RX_IRQ % 32))

void uart_init(void) {
  USART->cr1 = 0;
  /* 84 MHz / 115200 = 729.17 -> 729 = 45 + 9/16 (0.02 % off). */
  USART->brr = (BOARD_APB2_HZ + BOARD_UART_BAUD / 2) / BOARD_UART_BAUD;
  USART->cr2 = 0; /* 1 stop bit */
  USART->cr3 = 0; /* no flow control */
  USART->cr1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
  NVIC_ISER[IRQ_WORD] = IRQ_BIT;
}

void uart_put(uint8_t byte) {
  while (!(USART->sr & SR_TXE)) {
  }
  USART->dr = byte;
}

static int hw_rx_ready(void) { return (USART->sr & SR_RXNE) != 0; }
/* Reading SR (hw_rx_overrun, hw_rx_ready) then DR clears ORE (RM0090 §30.6.1). */
static uint8_t hw_rx_read(void) { return (uint8_t)USART->dr; }
static int hw_rx_overrun(void) { return (USART->sr & SR_ORE) != 0; }
/* Off: the NVIC line too, since QEMU keeps it high while RXNE is set whatever RXNEIE says. */
static void hw_rx_irq(int on) {
  if (on) {
    USART->cr1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    NVIC_ISER[IRQ_WORD] = IRQ_BIT;
  } else {
    USART->cr1 = CR1_UE | CR1_TE | CR1_RE;
    NVIC_ICER[IRQ_WORD] = IRQ_BIT;
    NVIC_ICPR[IRQ_WORD] = IRQ_BIT;
  }
}

#include "uart-ring.h"
