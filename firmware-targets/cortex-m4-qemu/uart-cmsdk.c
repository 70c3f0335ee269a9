/*
 * uart-cmsdk.c: the serial link over an ARM CMSDK APB UART (as on MPS2).
 * RX is interrupt-driven into a ring so bytes arriving while the learner
 * computes are kept (the CMSDK UART holds only one received byte); TX is
 * polled, so it also works from fault handlers with interrupts off.
 * Port to another UART: reimplement the four functions of ../cortex-m-common/board-api.h.
 */
#include "board.h"

typedef struct {
  volatile uint32_t data;      /* 0x00 */
  volatile uint32_t state;     /* 0x04: bit0 TX full, bit1 RX full, bit2/3 overrun */
  volatile uint32_t ctrl;      /* 0x08: bit0 TX en, bit1 RX en, bit3 RX int en */
  volatile uint32_t intstatus; /* 0x0C: write 1 to clear */
  volatile uint32_t bauddiv;   /* 0x10: >= 16 */
} cmsdk_uart_t;

#define UART ((cmsdk_uart_t*)BOARD_UART_BASE)
#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define STATE_RX_OVERRUN (1u << 3)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)
#define CTRL_RX_INT_EN (1u << 3)
#define INT_RX (1u << 1)

#define NVIC_ISER ((volatile uint32_t*)0xE000E100u)

#if (BOARD_RX_RING_BYTES & (BOARD_RX_RING_BYTES - 1)) != 0
#error "BOARD_RX_RING_BYTES must be a power of two"
#endif

/* Free-running indices. Producer: rx_drain(), from the RX interrupt or from
 * uart_take() (which the caller runs with interrupts masked, so the two never
 * overlap); consumer: uart_take(). */
static uint8_t rx_ring[BOARD_RX_RING_BYTES];
static volatile uint32_t rx_head;
static volatile uint32_t rx_tail;
/* Set when the ring was full: the byte stays in the UART, RX interrupts are off
 * until uart_take() makes room. On QEMU that holds the sender back (no loss);
 * on a real UART the next byte overruns and is counted, as before. */
static volatile uint32_t rx_paused;
volatile uint32_t uart_rx_dropped;

void uart_init(void) {
  UART->ctrl = 0;
  UART->bauddiv = BOARD_CPU_HZ / BOARD_UART_BAUD;
  UART->intstatus = 0xF; /* clear anything left from before reset */
  UART->ctrl = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN;
  NVIC_ISER[BOARD_UART_RX_IRQ / 32] = 1u << (BOARD_UART_RX_IRQ % 32);
}

void uart_put(uint8_t byte) {
  while (UART->state & STATE_TX_FULL) {
  }
  UART->data = byte;
}

static void rx_drain(void) {
  while (UART->state & STATE_RX_FULL) {
    if (rx_head - rx_tail >= BOARD_RX_RING_BYTES) { /* full: leave the byte in the UART */
      UART->ctrl = CTRL_TX_EN | CTRL_RX_EN;
      rx_paused = 1;
      return;
    }
    rx_ring[rx_head % BOARD_RX_RING_BYTES] = (uint8_t)UART->data;
    rx_head = rx_head + 1;
  }
  if (UART->state & STATE_RX_OVERRUN) {
    UART->state = STATE_RX_OVERRUN; /* write 1 to clear */
    uart_rx_dropped = uart_rx_dropped + 1;
  }
}

void uart_rx_irq_handler(void) {
  UART->intstatus = INT_RX; /* clear first: a byte arriving during the drain re-raises it */
  rx_drain();
}

/* Call with interrupts masked (main.c does): it may drain the UART itself. */
uint32_t uart_take(uint8_t* dst, uint32_t max) {
  uint32_t n = 0;
  while (n < max && rx_tail != rx_head) {
    dst[n++] = rx_ring[rx_tail % BOARD_RX_RING_BYTES];
    rx_tail = rx_tail + 1;
  }
  if (rx_paused && n != 0) {
    /* Room again: interrupts back on first, then take the byte that waited in
     * the UART (and one that arrived while they were off, which raised none). */
    rx_paused = 0;
    UART->ctrl = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN;
    rx_drain();
  }
  return n;
}
