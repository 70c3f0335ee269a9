/*
 * startup-m0.S: reset entry for a Cortex-M0/M0+ (ARMv6-M: Thumb-1 only, no
 * FPU, so nothing to enable). Copies .data from flash, zeroes .bss and calls
 * main(). Symbols come from the target's linker script (cortex-m-sections.ld).
 * The linear-memory pool (.wasm_pool) is not zeroed here: the wasm runtime
 * zeroes it when the module is instantiated.
 */
  .syntax unified
  .cpu cortex-m0
  .thumb

  .section .text.Reset_Handler, "ax", %progbits
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
  ldr r0, =__data_start
  ldr r1, =__data_end
  ldr r2, =__data_load
1:
  cmp r0, r1
  bhs 2f
  ldr r3, [r2]
  str r3, [r0]
  adds r0, r0, #4
  adds r2, r2, #4
  b 1b
2:
  ldr r0, =__bss_start
  ldr r1, =__bss_end
  movs r2, #0
3:
  cmp r0, r1
  bhs 4f
  str r2, [r0]
  adds r0, r0, #4
  b 3b
4:
  bl main
5:
  b 5b
  .size Reset_Handler, . - Reset_Handler
