// The bare-metal firmware boards: one row per folder under firmware-targets/ that
// builds ff-device.wasm through wasm2c into an ELF for a QEMU machine. Budgets
// (host/budget.ts), the QEMU transport, the firmware tests and the board
// benchmark all read this table, so a new board is one row here plus its folder.
//
// Figures are the part's own (datasheet), not measurements: RAM and flash of the
// part, its nominal clock. What the firmware uses of them is measured from the ELF.

import { join } from 'node:path';
import { packageRoot } from './paths.js';

export interface FirmwareBoard {
  /** Folder under firmware-targets/ and the name `ffedge budget --target` takes. */
  name: string;
  /** The part, for tables. */
  part: string;
  /** CPU and float: what the numbers mean. */
  core: string;
  /** QEMU system emulator, its -M machine and any arguments it needs. */
  qemu: string;
  machine: string;
  qemuArgs: readonly string[];
  /** Cross tool prefix, and the Debian packages of the compiler and of QEMU (for skip messages). */
  prefix: string;
  compilerPackage: string;
  qemuPackage: string;
  /** The C library's Debian package and a file it installs (to tell it is there). */
  libcPackage: string;
  libcFile: string;
  /** RAM and flash of the part, bytes (the linker script's regions). */
  ramBytes: number;
  flashBytes: number;
  /** The Makefile's STACK_BYTES and CALL_DEPTH defaults. */
  stackBytes: number;
  callDepth: number;
  /** Nominal core clock of the part, Hz (samples/s = clock / instructions per step, at 1 IPC). */
  nominalHz: number;
  /** What HELLO's runtime says. */
  runtime: string;
}

export const FIRMWARE_BOARDS: readonly FirmwareBoard[] = [
  {
    name: 'cortex-m4-qemu',
    part: 'ARM AN386 (MPS2)',
    core: 'Cortex-M4F, hard float',
    qemu: 'qemu-system-arm',
    machine: 'mps2-an386',
    qemuArgs: [],
    prefix: 'arm-none-eabi-',
    compilerPackage: 'gcc-arm-none-eabi',
    qemuPackage: 'qemu-system-arm',
    libcPackage: 'libnewlib-arm-none-eabi',
    libcFile: '/usr/lib/arm-none-eabi/newlib/nano.specs',
    ramBytes: 4 * 1024 * 1024,
    flashBytes: 4 * 1024 * 1024,
    stackBytes: 16384,
    callDepth: 64,
    nominalHz: 25_000_000,
    runtime: 'ff-edge/cortex-m4',
  },
  {
    name: 'stm32f405',
    part: 'STM32F405 (netduinoplus2)',
    core: 'Cortex-M4F, hard float',
    qemu: 'qemu-system-arm',
    machine: 'netduinoplus2',
    qemuArgs: [],
    prefix: 'arm-none-eabi-',
    compilerPackage: 'gcc-arm-none-eabi',
    qemuPackage: 'qemu-system-arm',
    libcPackage: 'libnewlib-arm-none-eabi',
    libcFile: '/usr/lib/arm-none-eabi/newlib/nano.specs',
    ramBytes: 128 * 1024,
    flashBytes: 1024 * 1024,
    stackBytes: 16384,
    callDepth: 64,
    nominalHz: 168_000_000,
    runtime: 'ff-edge/cortex-m4',
  },
  {
    name: 'riscv32',
    part: 'ESP32-C3-class (QEMU virt)',
    core: 'rv32imac, soft float',
    qemu: 'qemu-system-riscv32',
    machine: 'virt',
    qemuArgs: ['-bios', 'none'],
    prefix: 'riscv64-unknown-elf-',
    compilerPackage: 'gcc-riscv64-unknown-elf',
    qemuPackage: 'qemu-system-misc',
    libcPackage: 'picolibc-riscv64-unknown-elf',
    libcFile: '/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs',
    ramBytes: 320 * 1024,
    flashBytes: 4 * 1024 * 1024,
    stackBytes: 16384,
    callDepth: 64,
    nominalHz: 160_000_000,
    runtime: 'ff-edge/riscv32',
  },
  {
    name: 'nrf51-microbit',
    part: 'nRF51822 (micro:bit v1)',
    core: 'Cortex-M0, soft float',
    qemu: 'qemu-system-arm',
    machine: 'microbit',
    qemuArgs: [],
    prefix: 'arm-none-eabi-',
    compilerPackage: 'gcc-arm-none-eabi',
    qemuPackage: 'qemu-system-arm',
    libcPackage: 'libnewlib-arm-none-eabi',
    libcFile: '/usr/lib/arm-none-eabi/newlib/nano.specs',
    ramBytes: 16 * 1024,
    flashBytes: 256 * 1024,
    stackBytes: 1536,
    callDepth: 6,
    nominalHz: 16_000_000,
    runtime: 'ff-edge/cortex-m0',
  },
];

export type FirmwareBoardName = 'cortex-m4-qemu' | 'stm32f405' | 'riscv32' | 'nrf51-microbit';

export function firmwareBoard(name: string): FirmwareBoard {
  const board = FIRMWARE_BOARDS.find((b) => b.name === name);
  if (!board) throw new TypeError(`no firmware board ${JSON.stringify(name)}: one of ${FIRMWARE_BOARDS.map((b) => b.name).join(', ')}`);
  return board;
}

/** firmware-targets/<board> */
export function boardDir(board: FirmwareBoard): string {
  return join(packageRoot, 'firmware-targets', board.name);
}
