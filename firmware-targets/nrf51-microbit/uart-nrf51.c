/*
 * uart-nrf51.c: the serial link over the nRF51's UART0 (nRF51 Series Reference
 * Manual v3.0 §29: tasks, events, RXD/TXD registers). RX is interrupt-driven
 * (RXDRDY) into the ring of ../cortex-m-common/uart-ring.h; TX is polled on
 * the TXDRDY event, so it also works from fault handlers with interrupts off.
 */
#include "board.h"

#define REG(offset) (*(volatile uint32_t*)(BOARD_UART_BASE + (offset)))
#define TASKS_STARTRX REG(0x000)
#define TASKS_STARTTX REG(0x008)
#define EVENTS_RXDRDY REG(0x108)
#define EVENTS_TXDRDY REG(0x11C)
#define EVENTS_ERROR REG(0x124)
#define INTENSET REG(0x304)
#define INTENCLR REG(0x308)
#define ERRORSRC REG(0x480) /* bit0 overrun; write 1 to clear */
#define ENABLE REG(0x500)
#define PSELTXD REG(0x50C)
#define PSELRXD REG(0x514)
#define RXD REG(0x518)
#define TXD REG(0x51C)
#define BAUDRATE REG(0x524)
#define INT_RXDRDY (1u << 2)

#define GPIO_DIRSET (*(volatile uint32_t*)0x50000518u)
#define GPIO_OUTSET (*(volatile uint32_t*)0x50000508u)
#define NVIC_ISER (*(volatile uint32_t*)0xE000E100u)
#define NVIC_ICER (*(volatile uint32_t*)0xE000E180u)
#define NVIC_ICPR (*(volatile uint32_t*)0xE000E280u)
#define IRQ_BIT (1u << BOARD_UART_RX_IRQ)

static uint32_t tx_started;

void uart_init(void) {
  GPIO_OUTSET = 1u << BOARD_UART_TX_PIN; /* TX idles high */
  GPIO_DIRSET = 1u << BOARD_UART_TX_PIN;
  PSELTXD = BOARD_UART_TX_PIN;
  PSELRXD = BOARD_UART_RX_PIN;
  BAUDRATE = BOARD_UART_BAUD_REG;
  ENABLE = 4;
  EVENTS_RXDRDY = 0;
  EVENTS_TXDRDY = 0;
  EVENTS_ERROR = 0;
  TASKS_STARTRX = 1;
  TASKS_STARTTX = 1;
  INTENSET = INT_RXDRDY;
  NVIC_ISER = IRQ_BIT;
}

/* TXDRDY follows each byte sent: wait for the previous byte before the next. */
void uart_put(uint8_t byte) {
  if (tx_started) {
    while (EVENTS_TXDRDY == 0) {
    }
  }
  EVENTS_TXDRDY = 0;
  TXD = byte;
  tx_started = 1;
}

static int hw_rx_ready(void) { return EVENTS_RXDRDY != 0; }
/* Clear the event before reading RXD: the UART raises it again for a byte behind it. */
static uint8_t hw_rx_read(void) {
  EVENTS_RXDRDY = 0;
  return (uint8_t)RXD;
}
static int hw_rx_overrun(void) {
  if (EVENTS_ERROR == 0) return 0;
  EVENTS_ERROR = 0;
  uint32_t source = ERRORSRC;
  ERRORSRC = source;
  return (source & 1u) != 0;
}
static void hw_rx_irq(int on) {
  if (on) {
    INTENSET = INT_RXDRDY;
    NVIC_ISER = IRQ_BIT;
  } else {
    INTENCLR = INT_RXDRDY;
    NVIC_ICER = IRQ_BIT;
    NVIC_ICPR = IRQ_BIT;
  }
}

#include "uart-ring.h"
