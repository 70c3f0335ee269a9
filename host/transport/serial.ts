// A real serial port (USB CDC, a UART adapter, a pty) through `serialport`.
//
// Opening errors become TransportError codes with advice: the path does not
// exist (`not-found`), another program holds it (`busy`: serialport takes an
// exclusive lock), the user may not open it (`permission`), the path is not a
// tty (`not-a-tty`). The OS reports an unplugged adapter or a pty whose far
// end died as serialport's close with `disconnected: true`; that becomes our
// `close` event with `disconnected: true`.
//
// Non-goals: modem lines (RTS/DTR), auto-detecting the baud rate.

import { realpathSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { TransportBase } from './base.js';
import { TransportError, type TransportErrorCode } from './errors.js';

/** The part of a serialport stream used here; SerialPort and SerialPortMock both fit. */
export interface SerialPortLike {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  write(data: Uint8Array, callback: (err: Error | null | undefined) => void): boolean;
  drain(callback: (err: Error | null) => void): void;
  close(callback: (err: Error | null) => void): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: (err?: Error & { disconnected?: boolean }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
}

export interface SerialTransportOptions {
  /** Device path, e.g. /dev/ttyACM0, /dev/serial/by-id/..., or a pty link. */
  path: string;
  /** Default 115200. Must match the device firmware. */
  baudRate?: number;
  /** Makes the port object; default `new SerialPort({ path, baudRate, autoOpen: false })`. Tests pass a SerialPortMock. */
  openPort?: (path: string, baudRate: number) => SerialPortLike;
}

export const DEFAULT_BAUD_RATE = 115200;

/** Maps serialport's open error text (it carries no errno) to a code and advice. */
export function classifyOpenError(path: string, baudRate: number, err: Error): TransportError {
  const text = err.message;
  let code: TransportErrorCode = 'open-failed';
  let advice = 'check the path and the cable, then try again';
  if (/no such file|ENOENT|cannot find|not found|does not exist/i.test(text)) {
    code = 'not-found';
    advice =
      'the port does not exist: run `ffedge ports` (or ls /dev/serial/by-id /dev/ttyACM* /dev/ttyUSB*) to find the right path, and check that the board is plugged in';
  } else if (/cannot lock|is locked|resource temporarily unavailable|busy|EBUSY|EAGAIN/i.test(text)) {
    code = 'busy';
    advice = 'another program holds the port (a serial monitor, another ffedge, ModemManager): close it, or find it with `fuser ' + path + '`';
  } else if (/permission denied|EACCES|EPERM|operation not permitted/i.test(text)) {
    code = 'permission';
    advice = "your user may not open the port: on Linux add yourself to the 'dialout' group (sudo usermod -aG dialout $USER, then log in again)";
  } else if (/inappropriate ioctl|ENOTTY|not a typewriter/i.test(text)) {
    code = 'not-a-tty';
    advice = 'the path is not a serial port: point --port at a tty device (ffedge ports lists them)';
  }
  return new TransportError(code, `cannot open serial port ${path} at ${baudRate} baud: ${text.replace(/^Error:?\s*/, '')} — ${advice}`, { cause: err });
}

/** True when `path` is (a link to) a pseudo-terminal: /dev/pts/N on Linux, /dev/ttys* on macOS. */
export function isPseudoTerminal(path: string): boolean {
  try {
    return /^\/dev\/(pts\/|ttys\d|ptmx$)/.test(realpathSync(path));
  } catch {
    return false; // a mock port or a path that is gone: keep the baud rate's figure
  }
}

export class SerialTransport extends TransportBase {
  readonly description: string;
  readonly path: string;
  readonly baudRate: number;
  /**
   * 8N1: ten bit times per byte (a start bit, 8 data bits, a stop bit);
   * undefined for a pseudo-terminal (socat, the fault proxy), which ignores
   * the baud rate. Known once open.
   */
  bytesPerSecond: number | undefined;
  private readonly makePort: (path: string, baudRate: number) => SerialPortLike;
  private port: SerialPortLike | undefined;

  constructor(options: SerialTransportOptions) {
    super();
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new TypeError('options.path must be the serial port path, e.g. /dev/ttyACM0 (see `ffedge ports`)');
    }
    const baudRate = options.baudRate ?? DEFAULT_BAUD_RATE;
    if (!Number.isInteger(baudRate) || baudRate < 1) throw new TypeError(`options.baudRate must be a positive integer, got ${baudRate}`);
    if (options.openPort !== undefined && typeof options.openPort !== 'function') throw new TypeError('options.openPort must be a function');
    this.path = options.path;
    this.baudRate = baudRate;
    this.bytesPerSecond = baudRate / 10;
    // (a pty is found at open(): its path may not exist before)
    this.makePort = options.openPort ?? ((path, baud) => new SerialPort({ path, baudRate: baud, autoOpen: false }));
    this.description = `serial ${this.path} @ ${this.baudRate}`;
  }

  protected async doOpen(): Promise<void> {
    let port: SerialPortLike;
    try {
      port = this.makePort(this.path, this.baudRate);
    } catch (err) {
      throw classifyOpenError(this.path, this.baudRate, err as Error);
    }
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(classifyOpenError(this.path, this.baudRate, err)) : resolve()));
    });
    this.port = port;
    if (isPseudoTerminal(this.path)) this.bytesPerSecond = undefined;
    port.on('data', (chunk: Buffer) => this.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      this.finish({
        disconnected: true,
        ...(err ? { error: err } : {}),
        reason: err?.disconnected ? `${this.path} went away (unplugged, or the device on the far end stopped)` : `${this.path} was closed`,
      });
    });
    // serialport emits 'error' for failed background reads/writes; without a
    // listener Node would throw. A fatal one is followed by 'close'.
    port.on('error', () => undefined);
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    const port = this.port!;
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(this.writeError(err)) : resolve()));
    });
  }

  private writeError(err: Error): TransportError {
    return new TransportError('not-open', `write to ${this.description} failed: ${err.message}; the port was probably unplugged`, {
      disconnected: true,
      cause: err,
    });
  }

  protected async doClose(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
