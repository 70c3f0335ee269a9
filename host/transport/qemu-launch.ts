// Start the bare-metal firmware under QEMU mps2-an386 with UART0 on a
// pseudo-terminal, so the host reaches it exactly as it reaches a real board:
// by opening a serial port path (e.g. with `serialport`).
//
//   qemu-system-arm -M mps2-an386 -nographic -monitor none -serial pty -kernel fw.elf
//
// QEMU announces the pty on stdout: "char device redirected to /dev/pts/N (label serial0)".
// Non-goals: building the ELF (see Makefile), speaking the wire protocol.

import { spawn, type ChildProcess } from 'node:child_process';

export interface QemuLaunchOptions {
  /** Firmware ELF, e.g. `firmware-targets/cortex-m4-qemu/build/fw.elf`. */
  elf: string;
  /** QEMU machine (default `mps2-an386`). */
  machine?: string;
  /** QEMU binary (default `qemu-system-arm`, looked up on PATH). */
  qemu?: string;
  /** Arguments appended to the command line, e.g. `['-icount', 'shift=0']` or
   *  `['-semihosting-config', 'enable=on,target=native']`. */
  extraArgs?: readonly string[];
  /** How long to wait for QEMU to announce the pty, in ms (default 10000). */
  startTimeoutMs?: number;
}

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface QemuInstance {
  /** Pseudo-terminal wired to UART0 (e.g. `/dev/pts/5`): open it like a real port. */
  readonly path: string;
  /** The QEMU process. */
  readonly process: ChildProcess;
  /** Settles when QEMU ends, for any reason (semihosting exit, close(), crash). */
  readonly exited: Promise<QemuExit>;
  /** Everything QEMU printed on stdout/stderr so far (its diagnostics; UART bytes go to `path`). */
  log(): string;
  /** Stop QEMU (SIGTERM, SIGKILL after 2 s) and resolve once it has exited. Safe to call twice. */
  close(): Promise<QemuExit>;
}

/** QEMU could not be started or did not announce its pty. `missing` = the binary is not installed. */
export class QemuLaunchError extends Error {
  override readonly name = 'QemuLaunchError';
  readonly missing: boolean;
  constructor(message: string, options: { missing?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.missing = options.missing ?? false;
  }
}

const PTY_LINE = /char device redirected to (\S+) \(label ([^)]+)\)/g;

// QEMU instances still running; killed if this Node process exits first, so a
// crashed test run does not leave emulators behind.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackUntilExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Start QEMU with `options.elf` and resolve once UART0's pty exists.
 * Rejects with QemuLaunchError when the binary is missing, QEMU exits early, or
 * no pty line appears within `startTimeoutMs`.
 */
export function launchQemu(options: QemuLaunchOptions): Promise<QemuInstance> {
  if (typeof options?.elf !== 'string' || options.elf.length === 0) {
    return Promise.reject(new TypeError('options.elf must be the path of a firmware ELF (make -C firmware-targets/cortex-m4-qemu)'));
  }
  const qemu = options.qemu ?? 'qemu-system-arm';
  const machine = options.machine ?? 'mps2-an386';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const args = ['-M', machine, '-nographic', '-monitor', 'none', '-serial', 'pty', '-kernel', options.elf, ...(options.extraArgs ?? [])];

  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackUntilExit(child);
  let log = '';
  const exited = new Promise<QemuExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });

  let closing: Promise<QemuExit> | undefined;
  const close = (): Promise<QemuExit> => {
    closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return exited;
    })();
    return closing;
  };

  return new Promise<QemuInstance>((resolve, reject) => {
    let settled = false;
    const fail = (error: QemuLaunchError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void close();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new QemuLaunchError(`${qemu} did not announce a pty within ${startTimeoutMs} ms; its output was: ${log.trim() || '(nothing)'}`)),
      startTimeoutMs,
    );

    const onOutput = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (settled) return;
      let serial0: string | undefined;
      for (const match of log.matchAll(PTY_LINE)) {
        if (match[2] === 'serial0' || serial0 === undefined) serial0 = match[1];
      }
      if (serial0 === undefined) return;
      settled = true;
      clearTimeout(timer);
      resolve({ path: serial0, process: child, exited, log: () => log, close });
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);

    child.once('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      fail(
        new QemuLaunchError(
          missing ? `${qemu} is not installed: run scripts/setup-toolchains.sh (Debian package qemu-system-arm)` : `cannot start ${qemu}: ${error.message}`,
          { missing, cause: error },
        ),
      );
    });
    child.once('exit', (code, signal) =>
      fail(new QemuLaunchError(`${qemu} exited (${signal ?? `code ${code}`}) before announcing a pty: ${log.trim() || '(no output)'}`)),
    );
  });
}
