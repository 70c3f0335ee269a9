/*
 * startup-m4f.S: reset entry for any Cortex-M4F (the M4 QEMU board, STM32F4). Enables the FPU first (the C code
 * is built with -mfloat-abi=hard and may touch s-registers anywhere), then
 * copies .data from flash, zeroes .bss and calls main(). Symbols come from
 * the target's linker script. The linear-memory pool (.wasm_pool) is NOT zeroed here: the
 * wasm runtime zeroes it when the module is instantiated.
 */
  .syntax unified
  .cpu cortex-m4
  .fpu fpv4-sp-d16
  .thumb

  .section .text.Reset_Handler, "ax", %progbits
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r0, =0xE000ED88        /* SCB->CPACR */
  ldr r1, [r0]
  orr r1, r1, #(0xF << 20)   /* CP10 and CP11: full access */
  str r1, [r0]
  dsb
  isb
  /* IEEE mode, as wasm requires: round to nearest, no flush-to-zero, and
   * DN = 0 so a NaN operand comes back quieted with its payload (what wasm2c's
   * NaN handling computes; ../wasm2c-glue/use-static-memory.sh relies on it
   * for sqrt). These are the reset values; a vendor startup may change them. */
  movs r1, #0
  vmsr fpscr, r1
  ldr r0, =0xE000EF3C        /* FPDSCR: the same for exception handlers */
  str r1, [r0]

  ldr r0, =__data_start
  ldr r1, =__data_end
  ldr r2, =__data_load
1:
  cmp r0, r1
  bhs 2f
  ldr r3, [r2], #4
  str r3, [r0], #4
  b 1b
2:
  ldr r0, =__bss_start
  ldr r1, =__bss_end
  movs r2, #0
3:
  cmp r0, r1
  bhs 4f
  str r2, [r0], #4
  b 3b
4:
  bl main
5:
  b 5b
  .size Reset_Handler, . - Reset_Handler
