// The virtual device on a pseudo-terminal, so the host side is a real
// `serialport` on a real tty, exactly as with a board:
//
//   socat pty,raw,echo=0,link=PATH EXEC:"node virtual-device-child.js ff-device.wasm RAM KIND"
//
// `startPtyDevice()` starts it and resolves once PATH exists ({ path,
// process, close() }, the same shape as the QEMU launcher); `PtyDeviceTransport`
// is that plus a SerialTransport on PATH, closed together. When the device
// process dies, socat exits and the host's port closes with `disconnected:
// true` (DESIGN.md facts).
//
// Non-goals: Windows (no socat, no ptys); exposing the pty to other programs
// beyond the link path.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransportBase } from './base.js';
import { TransportError } from './errors.js';
import { SerialTransport, type SerialPortLike } from './serial.js';
import type { TransportCloseInfo } from './transport.js';
import { deviceChildArgs, describeExit, StderrTail, type VirtualDeviceOptions } from './virtual-device.js';

export interface PtyDeviceOptions extends VirtualDeviceOptions {
  /** Where socat puts the pty symlink; default a fresh temporary directory's `device`. */
  link?: string;
  /** socat binary; default `socat` on PATH. */
  socat?: string;
  /** How long to wait for the pty to appear (default 5000 ms). */
  startTimeoutMs?: number;
  /**
   * Outlive this process (`ffedge device start`): socat runs in its own session,
   * its and the device's stderr go to this file, and nothing here waits for it.
   * Needs `link`. Stop it later by its pid (SIGTERM).
   */
  detachedLog?: string;
}

export interface PtyDevice {
  /** The pty symlink to open as a serial port. */
  readonly path: string;
  /** The socat process (its child is the device). */
  readonly process: ChildProcess;
  /** Settles when socat has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** socat's and the device's recent stderr. */
  diagnostics(): string;
  /** Stop socat and the device; safe to call twice. */
  close(): Promise<void>;
}

// socat splits EXEC's command at spaces and its address syntax reserves , : ! and quotes.
const SOCAT_SAFE = /^[A-Za-z0-9_./+@%=~-]+$/;

export const SOCAT_MISSING_ADVICE =
  'socat is not installed: install it (Debian/Ubuntu: sudo apt-get install socat, or run scripts/setup-toolchains.sh), or use --device virtual (child-process pipes, no system packages)';

/** Starts the virtual device behind a pty; resolves once the pty path exists. */
export async function startPtyDevice(options: PtyDeviceOptions = {}): Promise<PtyDevice> {
  const childArgs = [process.execPath, '--no-warnings', ...deviceChildArgs(options)];
  let tempDir: string | undefined;
  let link = options.link;
  if (link === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'ffedge-pty-'));
    link = join(tempDir, 'device');
  }
  for (const part of [...childArgs, link]) {
    if (!SOCAT_SAFE.test(part)) {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw new TypeError(`cannot pass ${JSON.stringify(part)} through socat's address syntax (spaces, commas, colons, quotes): move it to a plain path`);
    }
  }
  const socat = options.socat ?? 'socat';
  const timeoutMs = options.startTimeoutMs ?? 5000;
  const stderr = new StderrTail();
  if (options.detachedLog !== undefined && options.link === undefined) throw new TypeError('a detached pty device needs options.link');
  const logFd = options.detachedLog !== undefined ? openSync(options.detachedLog, 'a') : undefined;
  const child = spawn(
    socat,
    [`pty,raw,echo=0,link=${link}`, `EXEC:${childArgs.join(' ')}`],
    logFd !== undefined ? { stdio: ['ignore', 'ignore', logFd], detached: true } : { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (logFd !== undefined) {
    closeSync(logFd);
    child.unref();
  } else {
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const cleanup = (): void => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  void exited.then(cleanup);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM'); // socat passes it on to the device
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    })();
    return closing;
  };

  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new TransportError('missing-tool', SOCAT_MISSING_ADVICE, { cause: err })
          : new TransportError('start-failed', `cannot start ${socat}: ${err.message}`, { cause: err }),
      );
    });
  });
  spawnError.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!existsSync(link)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (options.detachedLog !== undefined) stderr.push(readFileSync(options.detachedLog));
        throw new TransportError('start-failed', describeExit('socat', child.exitCode, child.signalCode, stderr) + ' before the pty appeared');
      }
      if (Date.now() > deadline) {
        throw new TransportError('start-failed', `socat did not create ${link} within ${timeoutMs} ms; stderr: ${stderr.lines() || '(nothing)'}`);
      }
      await Promise.race([new Promise((r) => setTimeout(r, 10)), spawnError]);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { path: link, process: child, exited, diagnostics: () => stderr.lines(20), close };
}

export interface PtyDeviceTransportOptions extends PtyDeviceOptions {
  baudRate?: number;
  /** For tests: how the serial side is opened (default serialport). */
  openPort?: (path: string, baudRate: number) => SerialPortLike;
}

/** The virtual device on a pty, reached through serialport: the full hardware path without hardware. */
export class PtyDeviceTransport extends TransportBase {
  readonly description = 'virtual device on a pseudo-terminal (socat + serialport)';
  private device: PtyDevice | undefined;
  private serial: SerialTransport | undefined;

  constructor(private readonly options: PtyDeviceTransportOptions = {}) {
    super();
  }

  /** The pty path while open. */
  get path(): string | undefined {
    return this.device?.path;
  }

  /** socat's pid while open (its child is the device). */
  get pid(): number | undefined {
    return this.device?.process.pid;
  }

  protected async doOpen(): Promise<void> {
    const device = await startPtyDevice(this.options);
    this.device = device;
    const serial = new SerialTransport({
      path: device.path,
      ...(this.options.baudRate !== undefined ? { baudRate: this.options.baudRate } : {}),
      ...(this.options.openPort ? { openPort: this.options.openPort } : {}),
    });
    try {
      await serial.open();
    } catch (err) {
      await device.close();
      throw err;
    }
    this.serial = serial;
    serial.on('data', (chunk) => this.deliver(chunk));
    serial.on('close', (info: TransportCloseInfo) => {
      if (!info.disconnected) return; // our own close()
      void device.exited.then(({ code, signal }) => {
        this.finish({
          ...info,
          reason: `${describeExit('the pty device (socat)', code, signal, new StderrTail())}; ${device.diagnostics() || 'no diagnostics'}`,
        });
      });
      void device.close();
    });
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    await this.serial!.write(bytes);
  }

  protected async doClose(): Promise<void> {
    await this.serial?.close();
    await this.device?.close();
  }
}
