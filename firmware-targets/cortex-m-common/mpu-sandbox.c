/*
 * mpu-sandbox.c: BOUNDS_CHECKS=mpu on an ARMv7-M core (M3/M4/M7): the MPU, not a
 * compare per access, keeps the wasm program inside its linear memory.
 *
 * How (../wasm2c-glue/static-memory.h): linear memory sits at address 0, every wasm
 * load/store is an unprivileged LDRT/STRT (or byte/halfword form) of the wasm address
 * itself, and this file gives unprivileged accesses exactly [0, memory size): MPU
 * regions with subregions tile that range, nothing else is granted (the privileged
 * program keeps the default map through PRIVDEFENA). So an access with any byte at or
 * past the size faults, wherever in the 4 GiB map it lands:
 *   - MemManage, DACCVIOL with MMFAR = the faulting address (the MPU refuses it), or
 *   - a precise BusFault in the PPB 0xE0000000-0xE00FFFFF, which the MPU does not
 *     cover but which refuses unprivileged accesses (ARMv7-M ARM B3.1).
 * The handler rewrites the stacked return address so that, on exception return, the
 * interrupted code calls wasm_rt_trap(OOB): the trap then unwinds like any software
 * trap (embed.c reports ERROR(DEVICE_TRAP, oob) and the address, a driver may go on).
 * Any other fault stays fatal, reported as before (vectors.c).
 * Regions (ARMv7-M ARM B3.5): size 2^n >= 32 aligned to its size, 8 equal subregions
 * each enabled on its own when the region is >= 256 bytes. [0, size) for a size that
 * is a multiple of 1 KiB needs at most ~5 (3 bits of the size per region).
 * Non-goals: ARMv6-M (no LDRT there: the nRF51 keeps the software check), ARMv8-M's
 * PMSAv8 (other registers), a linear memory anywhere but at address 0.
 */
#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "fatal-report.h"
#include "wasm-rt-pool.h"

#define SCB_SHCSR (*(volatile uint32_t*)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t*)0xE000ED28u)
#define SCB_MMFAR (*(volatile uint32_t*)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t*)0xE000ED38u)
#define MPU_TYPE (*(volatile uint32_t*)0xE000ED90u)
#define MPU_CTRL (*(volatile uint32_t*)0xE000ED94u)
#define MPU_RNR (*(volatile uint32_t*)0xE000ED98u)
#define MPU_RBAR (*(volatile uint32_t*)0xE000ED9Cu)
#define MPU_RASR (*(volatile uint32_t*)0xE000EDA0u)

#define SHCSR_MEMFAULT_BUSFAULT_ENA (3u << 16)
#define CTRL_ENABLE 1u
#define CTRL_PRIVDEFENA 4u
#define CFSR_DACCVIOL (1u << 1)
#define CFSR_MMARVALID (1u << 7)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)
/* RASR: XN (no code runs from linear memory), AP = 011 full access, TEX 000 C 1 B 1
 * (normal memory, write-back, as the default map has it for SRAM), enable. */
#define RASR_ATTRS ((1u << 28) | (3u << 24) | (1u << 17) | (1u << 16) | 1u)
#define PPB_START 0xE0000000u
#define PPB_END 0xE0100000u

/* The wasm address of the last access the MPU refused (embed.c reports it). */
volatile uint32_t ffedge_mpu_fault_address;
volatile uint32_t ffedge_mpu_fault_count;

static uint32_t log2_floor(uint32_t x) { return 31u - (uint32_t)__builtin_clz(x); }

void ffedge_mpu_grant(uint32_t size) {
  uint32_t regions = (MPU_TYPE >> 8) & 0xFFu;
  /* No MPU, or a size it cannot tile exactly. 1 KiB, not the MPU's 32 bytes: QEMU
   * 7.2 checks an unaligned access at its first byte only unless it crosses one of
   * its 1 KiB pages, so only then do QEMU and a real core trap at the same place. */
  if (regions == 0 || size % FFEDGE_MPU_GRANULE != 0) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  SCB_SHCSR |= SHCSR_MEMFAULT_BUSFAULT_ENA; /* our handler, not a HardFault */
  __asm volatile("dmb" ::: "memory");
  MPU_CTRL = 0;
  uint32_t region = 0, covered = 0;
  while (covered < size) {
    if (region == regions) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    uint32_t remaining = size - covered;
    /* The largest block covered may start: covered's alignment (0 starts anywhere). */
    uint32_t align_log = covered == 0 ? 31u : (uint32_t)__builtin_ctz(covered);
    uint32_t want_log = log2_floor(remaining) + ((remaining & (remaining - 1u)) ? 1u : 0u); /* ceil */
    uint32_t k = want_log < align_log ? want_log : align_log;
    uint32_t srd = 0, granted;
    if (k >= 8) { /* subregions: enable the first m of 8 */
      uint32_t sub = 1u << (k - 3u);
      uint32_t m = remaining / sub;
      if (m > 8) m = 8;
      srd = (0xFFu << m) & 0xFFu;
      granted = m * sub;
    } else { /* below 256 bytes: a whole region of the largest fitting size */
      k = log2_floor(remaining);
      if (k > align_log) k = align_log;
      granted = 1u << k;
    }
    MPU_RBAR = covered | (1u << 4) | region; /* VALID: region number from RBAR */
    MPU_RASR = RASR_ATTRS | (srd << 8) | ((k - 1u) << 1);
    covered += granted;
    region++;
  }
  for (; region < regions; region++) {
    MPU_RNR = region;
    MPU_RASR = 0;
  }
  MPU_CTRL = CTRL_ENABLE | CTRL_PRIVDEFENA;
  __asm volatile("dsb\n isb" ::: "memory");
}

/* Entered, on exception return, in place of the faulting access. */
__attribute__((noreturn, used)) static void mpu_oob_trap(void) {
  wasm_rt_trap(WASM_RT_TRAP_OOB);
  for (;;) {}
}

/* frame: the stacked r0-r3, r12, lr, pc, xPSR; exc_return: lr on entry. */
__attribute__((used)) static void memory_fault(uint32_t* frame, uint32_t exc_return) {
  uint32_t cfsr = SCB_CFSR;
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  bool refused = false;
  uint32_t address = 0;
  if ((cfsr & (CFSR_DACCVIOL | CFSR_MMARVALID)) == (CFSR_DACCVIOL | CFSR_MMARVALID)) {
    address = SCB_MMFAR;
    refused = true;
  } else if ((cfsr & (CFSR_PRECISERR | CFSR_BFARVALID)) == (CFSR_PRECISERR | CFSR_BFARVALID) &&
             SCB_BFAR >= PPB_START && SCB_BFAR < PPB_END) {
    address = SCB_BFAR;
    refused = true;
  }
  /* Only an access from thread mode is the program's; a fault in a handler is ours. */
  if (!refused || (exc_return & 8u) == 0 || ffedge_rt_trap_target == 0) {
    ffedge_report_fault(ipsr & 0x1FFu);
    board_halt(FFEDGE_EXIT_FATAL);
  }
  SCB_CFSR = cfsr; /* write 1 to clear, ready for the next one */
  ffedge_mpu_fault_address = address;
  ffedge_mpu_fault_count++;
  frame[6] = (uint32_t)(uintptr_t)&mpu_oob_trap & ~1u;
  frame[7] = 1u << 24; /* xPSR: Thumb, no IT block in flight */
}

/* MemManage and BusFault (vectors.c): find the stacked frame, then memory_fault. */
__attribute__((naked)) void mpu_fault_handler(void) {
  __asm volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mov r1, lr\n"
      "push {r1, lr}\n"
      "bl memory_fault\n"
      "pop {r1, pc}\n");
}
