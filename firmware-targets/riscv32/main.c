/*
 * main.c: bare-metal entry for the wasm2c-compiled device program on rv32imac
 * (machine mode, no F: every f32 operation is libgcc soft float). Sets up the
 * trap vector, UART and PLIC, hands the static linear memory of FFEDGE_RAM_BYTES
 * to the runtime and runs the program; implements platform.h for the glue.
 */
#include <stdint.h>

#include "board.h"
#include "embed.h"
#include "fatal-report.h"
#include "platform.h"

/* CSR instructions: binutils 2.40 wants the zicsr extension named, but
 * -march=rv32imac_zicsr would make gcc 12 miss the rv32imac/ilp32 multilib. */
#define CSR(insn) ".option push\n.option arch, +zicsr\n" insn "\n.option pop"

#define MSTATUS_MIE (1u << 3)
#define MIE_MEIE (1u << 11)
#define MCAUSE_INTERRUPT 0x80000000u
#define MCAUSE_EXTERNAL 11u
#define PLIC_CLAIM (*(volatile uint32_t*)(BOARD_PLIC_BASE + 0x200004u)) /* hart 0, M mode */
#define PLIC_THRESHOLD (*(volatile uint32_t*)(BOARD_PLIC_BASE + 0x200000u))

uint8_t ffedge_linear_memory[FFEDGE_RAM_BYTES] __attribute__((section(".wasm_pool"), aligned(16)));

void clock_init(void) {}

uint64_t clock_ticks(void) {
  volatile uint32_t* mtime = (volatile uint32_t*)BOARD_MTIME;
  uint32_t high, low;
  do {
    high = mtime[1];
    low = mtime[0];
  } while (mtime[1] != high);
  return ((uint64_t)high << 32) | low;
}

/* RISC-V exceptions (mcause) as the Cortex-M fault whose frame says the same
 * (../wasm2c-glue/fatal-frames.h has Cortex-M names): misaligned or illegal
 * instruction -> usagefault (6), access faults -> busfault (5), else unknown. */
static uint32_t fault_number(uint32_t mcause) {
  switch (mcause) {
    case 0: case 2: case 4: case 6: return 6;
    case 1: case 5: case 7: return 5;
    default: return 0;
  }
}

__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void) {
  uint32_t mcause;
  __asm volatile(CSR("csrr %0, mcause") : "=r"(mcause));
  if (mcause == (MCAUSE_INTERRUPT | MCAUSE_EXTERNAL)) {
    uint32_t source = PLIC_CLAIM;
    if (source == BOARD_UART_RX_IRQ) uart_rx_irq_handler();
    PLIC_CLAIM = source; /* complete */
    return;
  }
  ffedge_report_fault(fault_number(mcause));
  board_halt(FFEDGE_EXIT_FATAL);
}

int main(void) {
  __asm volatile(CSR("csrw mtvec, %0") ::"r"(trap_handler));
  PLIC_THRESHOLD = 0;
  uart_init();
  clock_init();
  __asm volatile(CSR("csrs mie, %0") ::"r"(MIE_MEIE));
  __asm volatile(CSR("csrs mstatus, %0") ::"r"(MSTATUS_MIE));

  ffedge_embed_options_t options = {
      .pool = ffedge_linear_memory,
      .pool_bytes = FFEDGE_RAM_BYTES,
      .random_seed = FFEDGE_RANDOM_SEED,
      .runtime_kind = FFEDGE_RUNTIME_RISCV32,
  };
  uint32_t trap = ffedge_embed_run(&options);
  board_halt(trap ? FFEDGE_EXIT_FATAL : 0);
}

/* ---- platform.h ------------------------------------------------------- */

uint32_t ffedge_platform_read(uint8_t* dst, uint32_t max, uint32_t* got) {
  for (;;) {
    /* Interrupts off between the check and WFI: WFI still wakes on a pending
     * enabled interrupt with mstatus.MIE clear, which is taken after csrs. */
    __asm volatile(CSR("csrc mstatus, %0") ::"r"(MSTATUS_MIE) : "memory");
    uint32_t n = uart_take(dst, max);
    if (n != 0) {
      __asm volatile(CSR("csrs mstatus, %0") ::"r"(MSTATUS_MIE) : "memory");
      *got = n;
      return FFEDGE_WASI_ESUCCESS;
    }
    __asm volatile(CSR("wfi\n csrs mstatus, %0") ::"r"(MSTATUS_MIE) : "memory");
  }
}

uint32_t ffedge_platform_write(uint32_t fd, const uint8_t* src, uint32_t len) {
  if (fd != 1) return FFEDGE_WASI_ESUCCESS; /* fd 2 has nowhere to go: dropped */
  for (uint32_t i = 0; i < len; i++) uart_put(src[i]);
  return FFEDGE_WASI_ESUCCESS;
}

uint32_t ffedge_platform_clock_ns(uint32_t clock_id, uint64_t* ns) {
  /* No RTC: every clock counts from reset (realtime = 1970-01-01 + uptime). */
  if (clock_id > 3) return FFEDGE_WASI_EINVAL;
  *ns = clock_ticks() * (1000000000u / BOARD_CPU_HZ); /* 100 ns per mtime tick */
  return FFEDGE_WASI_ESUCCESS;
}

void ffedge_platform_exit(uint32_t code) { board_halt(code); }

void board_halt(uint32_t status) {
#if FFEDGE_SEMIHOSTING
  volatile uint32_t* test = (volatile uint32_t*)BOARD_TEST_DEVICE;
  *test = status == 0 ? 0x5555u : (status << 16) | 0x3333u;
#else
  (void)status;
#endif
  __asm volatile(CSR("csrc mstatus, %0") ::"r"(MSTATUS_MIE));
  for (;;) __asm volatile("wfi");
}
