// Transports: one interface (transport.ts), several links. `createTransport`
// picks one from the user's words, as the CLI does.
export type { Transport, TransportCloseInfo, TransportEvents, TransportEventName } from './transport.js';
export { TransportError, type TransportErrorCode } from './errors.js';
export { SerialTransport, classifyOpenError, DEFAULT_BAUD_RATE, type SerialTransportOptions, type SerialPortLike } from './serial.js';
export { VirtualDeviceTransport, VIRTUAL_DEVICE_CHILD, type VirtualDeviceOptions } from './virtual-device.js';
export { PtyDeviceTransport, startPtyDevice, SOCAT_MISSING_ADVICE, type PtyDevice, type PtyDeviceOptions, type PtyDeviceTransportOptions } from './pty.js';
export { LossyTransport, type LossyLinkOptions, type LossyLinkStats } from './lossy.js';

import type { Transport } from './transport.js';
import type { FirmwareBoardName } from '../boards.js';
import { SerialTransport } from './serial.js';
import { VirtualDeviceTransport } from './virtual-device.js';
import { PtyDeviceTransport } from './pty.js';

export type DeviceKind = 'virtual' | 'pty' | 'qemu' | 'serial';
export const DEVICE_KINDS: readonly DeviceKind[] = ['virtual', 'pty', 'qemu', 'serial'];

export interface TransportSpec {
  /** Default 'serial' when `port` is given, else 'virtual'. */
  device?: DeviceKind;
  /** Serial port path (device 'serial'). */
  port?: string;
  baudRate?: number;
  /** virtual/pty: emulate a device with this much RAM (bytes, 0 = unlimited). */
  ramLimitBytes?: number;
  /** qemu: which board (host/boards.ts; default cortex-m4-qemu). */
  board?: FirmwareBoardName;
  /** qemu: firmware ELF. */
  elf?: string;
}

/** Makes (does not open) the transport a spec names. QEMU is loaded only when asked for. */
export async function createTransport(spec: TransportSpec = {}): Promise<Transport> {
  const device = spec.device ?? (spec.port !== undefined ? 'serial' : 'virtual');
  if (!DEVICE_KINDS.includes(device)) throw new TypeError(`device must be one of ${DEVICE_KINDS.join(', ')}, got ${JSON.stringify(device)}`);
  if (spec.port !== undefined && device !== 'serial') {
    throw new TypeError(`a port (${spec.port}) goes with the serial device, not '${device}': drop --device or --port`);
  }
  const ram = spec.ramLimitBytes !== undefined ? { ramLimitBytes: spec.ramLimitBytes } : {};
  switch (device) {
    case 'serial':
      if (spec.port === undefined) throw new TypeError('the serial device needs a port path (--port /dev/ttyACM0; `ffedge ports` lists them)');
      return new SerialTransport({ path: spec.port, ...(spec.baudRate !== undefined ? { baudRate: spec.baudRate } : {}) });
    case 'virtual':
      return new VirtualDeviceTransport(ram);
    case 'pty':
      return new PtyDeviceTransport({ ...ram, ...(spec.baudRate !== undefined ? { baudRate: spec.baudRate } : {}) });
    case 'qemu': {
      const { QemuTransport } = await import('./qemu.js');
      return new QemuTransport({
        ...(spec.elf !== undefined ? { elf: spec.elf } : {}),
        ...(spec.board !== undefined ? { board: spec.board } : {}),
      });
    }
    default: {
      const never: never = device;
      throw new TypeError(`unknown device ${String(never)}`);
    }
  }
}
