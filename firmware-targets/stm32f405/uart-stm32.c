/*
 * uart-stm32.c: the serial link over an STM32F4 USART (RM0090 §30.6: SR, DR,
 * BRR, CR1). RX is interrupt-driven (RXNE) into a ring, so bytes arriving
 * while the learner computes are kept (the USART holds one received byte); TX
 * is polled on TXE, so it also works from fault handlers with interrupts off.
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

#if (BOARD_RX_RING_BYTES & (BOARD_RX_RING_BYTES - 1)) != 0
#error "BOARD_RX_RING_BYTES must be a power of two"
#endif

/* Free-running indices. Producer: rx_drain(), from the RX interrupt or from
 * uart_take() (called with interrupts masked); consumer: uart_take(). */
static uint8_t rx_ring[BOARD_RX_RING_BYTES];
static volatile uint32_t rx_head;
static volatile uint32_t rx_tail;
/* Set when the ring was full: the byte stays in DR and the interrupt is off
 * until uart_take() makes room. QEMU then holds the sender back; a real USART
 * overruns on the next byte (ORE, counted). The NVIC line is masked too: QEMU
 * keeps the line high while RXNE is set, whatever RXNEIE says. */
static volatile uint32_t rx_paused;
volatile uint32_t uart_rx_dropped;

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

static void rx_drain(void) {
  uint32_t sr;
  while ((sr = USART->sr) & SR_RXNE) {
    if (rx_head - rx_tail >= BOARD_RX_RING_BYTES) { /* full: leave the byte in DR */
      USART->cr1 = CR1_UE | CR1_TE | CR1_RE;
      NVIC_ICER[IRQ_WORD] = IRQ_BIT;
      NVIC_ICPR[IRQ_WORD] = IRQ_BIT;
      rx_paused = 1;
      return;
    }
    /* Reading SR then DR also clears ORE (RM0090 §30.6.1). */
    if (sr & SR_ORE) uart_rx_dropped = uart_rx_dropped + 1;
    rx_ring[rx_head % BOARD_RX_RING_BYTES] = (uint8_t)USART->dr;
    rx_head = rx_head + 1;
  }
}

void uart_rx_irq_handler(void) { rx_drain(); }

/* Call with interrupts masked (main.c does): it may drain the USART itself. */
uint32_t uart_take(uint8_t* dst, uint32_t max) {
  uint32_t n = 0;
  while (n < max && rx_tail != rx_head) {
    dst[n++] = rx_ring[rx_tail % BOARD_RX_RING_BYTES];
    rx_tail = rx_tail + 1;
  }
  if (rx_paused && n != 0) {
    rx_paused = 0;
    USART->cr1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
    rx_drain(); /* the byte that waited in DR */
    if (!rx_paused) NVIC_ISER[IRQ_WORD] = IRQ_BIT;
  }
  return n;
}
