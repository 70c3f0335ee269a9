/*
 * clock-stm32f4.c: board_init() for the STM32F405 (RM0090 §6-7): SYSCLK 168 MHz
 * from the PLL on the internal 16 MHz HSI (no crystal needed), AHB 168 MHz,
 * APB1 42 MHz, APB2 84 MHz, 5 flash wait states; USART1 on PA9 (TX) / PA10 (RX).
 *
 * QEMU 7.2's netduinoplus2 does not model the RCC, the flash interface or GPIO
 * (unimplemented devices: writes vanish, reads give 0) and runs at 168 MHz from
 * reset. So every wait for a ready bit is bounded: under QEMU PLLRDY never
 * comes, the switch to the PLL is skipped, and the clock is already right. On
 * a board whose PLL fails to lock the core stays on the HSI (16 MHz) and the
 * UART runs at 16/84 of its baud: a wrong baud rate on the terminal means that.
 */
#include "board.h"

#define RCC_BASE 0x40023800u
#define RCC_CR (*(volatile uint32_t*)(RCC_BASE + 0x00u))
#define RCC_PLLCFGR (*(volatile uint32_t*)(RCC_BASE + 0x04u))
#define RCC_CFGR (*(volatile uint32_t*)(RCC_BASE + 0x08u))
#define RCC_AHB1ENR (*(volatile uint32_t*)(RCC_BASE + 0x30u))
#define RCC_APB2ENR (*(volatile uint32_t*)(RCC_BASE + 0x44u))
#define FLASH_ACR (*(volatile uint32_t*)0x40023C00u)
#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER (*(volatile uint32_t*)(GPIOA_BASE + 0x00u))
#define GPIOA_OSPEEDR (*(volatile uint32_t*)(GPIOA_BASE + 0x08u))
#define GPIOA_PUPDR (*(volatile uint32_t*)(GPIOA_BASE + 0x0Cu))
#define GPIOA_AFRH (*(volatile uint32_t*)(GPIOA_BASE + 0x24u))

#define CR_HSIRDY (1u << 1)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define CFGR_SW_PLL 2u
#define CFGR_SWS_MASK (3u << 2)
#define CFGR_SWS_PLL (2u << 2)
#define CFGR_PPRE1_DIV4 (5u << 10)
#define CFGR_PPRE2_DIV2 (4u << 13)
/* PLL: HSI 16 MHz / M 8 = 2 MHz, x N 168 = 336 MHz VCO, / P 2 = 168 MHz, / Q 7 = 48 MHz. */
#define PLLCFGR_VALUE (8u | (168u << 6) | (0u << 16) /* P = 2 */ | (0u << 22) /* HSI */ | (7u << 24))
#define FLASH_ACR_VALUE (5u /* wait states */ | (1u << 8) /* prefetch */ | (1u << 9) /* I-cache */ | (1u << 10) /* D-cache */)
#define READY_LOOPS 100000u /* a PLL locks in well under 1 ms; this is several ms at 16 MHz */

static int wait_bits(volatile uint32_t* reg, uint32_t mask, uint32_t want) {
  for (uint32_t i = 0; i < READY_LOOPS; i++) {
    if ((*reg & mask) == want) return 1;
  }
  return 0;
}

void board_init(void) {
  if (wait_bits(&RCC_CR, CR_HSIRDY, CR_HSIRDY)) {
    RCC_CR &= ~CR_PLLON;
    RCC_PLLCFGR = PLLCFGR_VALUE;
    RCC_CR |= CR_PLLON;
    if (wait_bits(&RCC_CR, CR_PLLRDY, CR_PLLRDY)) {
      FLASH_ACR = FLASH_ACR_VALUE; /* before raising the clock */
      RCC_CFGR = CFGR_PPRE1_DIV4 | CFGR_PPRE2_DIV2; /* AHB /1, APB1 /4, APB2 /2, still on HSI */
      RCC_CFGR = CFGR_PPRE1_DIV4 | CFGR_PPRE2_DIV2 | CFGR_SW_PLL;
      wait_bits(&RCC_CFGR, CFGR_SWS_MASK, CFGR_SWS_PLL);
    }
  }
  /* USART1 on PA9/PA10, alternate function 7; RX pulled up so an open line reads idle. */
  RCC_AHB1ENR |= 1u << 0; /* GPIOA */
  RCC_APB2ENR |= 1u << 4; /* USART1 */
  (void)RCC_APB2ENR;      /* RM0090 §6.3.12: a read after enabling, before touching the peripheral */
  GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 4)) | (7u << 4) | (7u << 8);
  GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (2u << 18) | (2u << 20);
  GPIOA_OSPEEDR |= 0xFu << 18;
  GPIOA_PUPDR = (GPIOA_PUPDR & ~(0xFu << 18)) | (1u << 20);
}
