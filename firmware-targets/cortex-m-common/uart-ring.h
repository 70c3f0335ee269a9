/*
 * uart-ring.h: the RX side every bare-metal UART driver shares (STM32 USART,
 * nRF51 UART, RISC-V 16550): bytes move from the UART into a ring from the RX
 * interrupt, and fd_read takes them from the ring. When the ring is full the
 * byte is left in the UART and the RX interrupt goes off until uart_take()
 * makes room: QEMU then holds the sender back (nothing lost); a real UART
 * overruns on the next byte, which is counted in uart_rx_dropped.
 *
 * Include it once, in the driver, after defining (static, for this UART):
 *   int      hw_rx_ready(void)    a received byte is waiting
 *   uint8_t  hw_rx_read(void)     take it (clears "ready")
 *   int      hw_rx_overrun(void)  1 if bytes were lost since the last call (clears the flag)
 *   void     hw_rx_irq(int on)    RX interrupt on or off, at the UART and its interrupt controller
 * It defines uart_take() and uart_rx_irq_handler() of board-api.h.
 */
#ifndef FFEDGE_UART_RING_H
#define FFEDGE_UART_RING_H

#if (BOARD_RX_RING_BYTES & (BOARD_RX_RING_BYTES - 1)) != 0
#error "BOARD_RX_RING_BYTES must be a power of two"
#endif

/* Free-running indices. Producer: rx_drain(), from the RX interrupt or from
 * uart_take() (called with interrupts masked, so the two never overlap). */
static uint8_t rx_ring[BOARD_RX_RING_BYTES];
static volatile uint32_t rx_head;
static volatile uint32_t rx_tail;
static volatile uint32_t rx_paused;
volatile uint32_t uart_rx_dropped;

static void rx_drain(void) {
  while (hw_rx_ready()) {
    if (rx_head - rx_tail >= BOARD_RX_RING_BYTES) { /* full: leave the byte in the UART */
      hw_rx_irq(0);
      rx_paused = 1;
      return;
    }
    if (hw_rx_overrun()) uart_rx_dropped = uart_rx_dropped + 1;
    rx_ring[rx_head % BOARD_RX_RING_BYTES] = hw_rx_read();
    rx_head = rx_head + 1;
  }
}

void uart_rx_irq_handler(void) { rx_drain(); }

/* Call with interrupts masked (main.c does): it may drain the UART itself. */
uint32_t uart_take(uint8_t* dst, uint32_t max) {
  uint32_t n = 0;
  while (n < max && rx_tail != rx_head) {
    dst[n++] = rx_ring[rx_tail % BOARD_RX_RING_BYTES];
    rx_tail = rx_tail + 1;
  }
  if (rx_paused && n != 0) {
    rx_paused = 0;
    rx_drain(); /* the byte that waited in the UART, and any after it */
    if (!rx_paused) hw_rx_irq(1);
  }
  return n;
}

#endif
