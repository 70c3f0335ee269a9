// A bare-metal firmware board under QEMU (default the Cortex-M4 on mps2-an386; any
// board of host/boards.ts with `board`), its UART on a pty:
// qemu-launch.ts starts QEMU and hands back the
// pty path; this transport opens it with SerialTransport and stops QEMU on close.
// Build the ELF first: make -C firmware-targets/cortex-m4-qemu (see its README).
//
// QEMU's UART delivers bytes one at a time (~6.5 ms per 256-byte round trip,
// DESIGN.md): fine for checking the firmware, not for throughput. If QEMU ends,
// the pty closes and the port reports `disconnected: true`.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { launchQemu, QemuLaunchError, type QemuInstance } from './qemu-launch.js';
import { firmwareBoard, type FirmwareBoardName } from '../boards.js';
import { packageRoot } from '../paths.js';
import { TransportBase } from './base.js';
import { TransportError } from './errors.js';
import { SerialTransport } from './serial.js';
import type { TransportCloseInfo } from './transport.js';

export const DEFAULT_QEMU_ELF = join(packageRoot, 'firmware-targets', 'cortex-m4-qemu', 'build', 'fw.elf');

export interface QemuTransportOptions {
  /** Which board (QEMU binary and machine): default cortex-m4-qemu. */
  board?: FirmwareBoardName;
  /** Firmware ELF; default firmware-targets/<board>/build/fw.elf. */
  elf?: string;
  /** Extra QEMU arguments, e.g. ['-icount', 'shift=0']. */
  extraArgs?: readonly string[];
  startTimeoutMs?: number;
}

export class QemuTransport extends TransportBase {
  readonly description: string;
  private readonly elf: string;
  private qemu: QemuInstance | undefined;
  private serial: SerialTransport | undefined;

  constructor(private readonly options: QemuTransportOptions = {}) {
    super();
    const board = firmwareBoard(options.board ?? 'cortex-m4-qemu');
    this.elf = options.elf ?? join(packageRoot, 'firmware-targets', board.name, 'build', 'fw.elf');
    this.description = `QEMU ${board.machine} (${this.elf})`;
  }

  /** The QEMU process id while the board runs (tests kill it to emulate a board reset). */
  get pid(): number | undefined {
    return this.qemu?.process.pid;
  }

  protected async doOpen(): Promise<void> {
    if (!existsSync(this.elf)) {
      throw new TransportError(
        'missing-file',
        `firmware ${this.elf} does not exist: build it with make -C firmware-targets/${this.options.board ?? 'cortex-m4-qemu'} (toolchains: scripts/setup-toolchains.sh)`,
      );
    }
    const board = firmwareBoard(this.options.board ?? 'cortex-m4-qemu');
    let qemu: QemuInstance;
    try {
      qemu = await launchQemu({
        elf: this.elf,
        machine: board.machine,
        qemu: board.qemu,
        extraArgs: [...board.qemuArgs, ...(this.options.extraArgs ?? [])],
        ...(this.options.startTimeoutMs !== undefined ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      });
    } catch (err) {
      if (err instanceof QemuLaunchError) {
        throw new TransportError(err.missing ? 'missing-tool' : 'start-failed', err.message, { cause: err });
      }
      throw err;
    }
    this.qemu = qemu;
    const serial = new SerialTransport({ path: qemu.path });
    try {
      await serial.open();
    } catch (err) {
      await qemu.close();
      throw err;
    }
    this.serial = serial;
    serial.on('data', (chunk) => this.deliver(chunk));
    serial.on('close', (info: TransportCloseInfo) => {
      if (!info.disconnected) return;
      void qemu.close().then(({ code, signal }) =>
        this.finish({
          ...info,
          reason: `QEMU ended (${signal ?? `code ${code}`}): ${qemu.log().trim().split('\n').slice(-3).join(' | ') || 'no output'}`,
        }),
      );
    });
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    await this.serial!.write(bytes);
  }

  protected async doClose(): Promise<void> {
    await this.serial?.close();
    await this.qemu?.close();
  }
}
