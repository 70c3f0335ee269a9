/*
 * start.S: reset entry for rv32 in machine mode (QEMU virt jumps here, to the
 * start of DRAM, with -bios none). Sets gp (for linker relaxation) and sp,
 * copies .data, zeroes .bss and calls main(). The linear-memory pool
 * (.wasm_pool) is not zeroed here: the wasm runtime zeroes it when the module
 * is instantiated. Only hart 0 runs; any other waits forever.
 */
  .section .text.start, "ax", @progbits
  .global _start
_start:
  .option arch, +zicsr /* csrr: binutils 2.40 wants zicsr named (see main.c) */
  csrr t0, mhartid
  bnez t0, park
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la t0, __data_start
  la t1, __data_end
  la t2, __data_load
1:
  bgeu t0, t1, 2f
  lw t3, 0(t2)
  sw t3, 0(t0)
  addi t0, t0, 4
  addi t2, t2, 4
  j 1b
2:
  la t0, __bss_start
  la t1, __bss_end
3:
  bgeu t0, t1, 4f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 3b
4:
  call main
park:
  wfi
  j park
