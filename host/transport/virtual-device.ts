// The embedded default: build/ff-device.wasm in a child process
// (virtual-device-child.ts, our own WASI imports), its fd 0/1 on pipes to this process. No hardware, no system
// packages. The same device program a board runs, speaking the same bytes.
//
// The device exiting (crash, trap, kill) is a disconnect: `close` with
// `disconnected: true` and the exit code and last stderr lines in `reason`.
// close() ends the device's stdin (fd_read returns 0, the device returns from
// _start) and kills it if it is still there after `killAfterMs`.
//
// `ramLimitBytes` sets the device's exported `ram_limit_bytes` before _start,
// so a test can emulate a small MCU: configs that do not fit are refused with
// the numbers, as on the real target.
//
// Non-goals: running several devices in one process, in-process wasm (a
// blocking fd_read would block this event loop).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmPath } from '../paths.js';
import { TransportBase } from './base.js';
import { TransportError } from './errors.js';

/** The compiled child script (dist/host/transport/virtual-device-child.js). */
export const VIRTUAL_DEVICE_CHILD = fileURLToPath(new URL('./virtual-device-child.js', import.meta.url));

export interface VirtualDeviceOptions {
  /** Device program; default build/ff-device.wasm. */
  wasm?: string;
  /** Linear-memory bytes the device may use (0 = no limit), e.g. 65536 for a small MCU. */
  ramLimitBytes?: number;
  /** HELLO runtime name: 0 ff-edge/wasi (default), 1 linux-edge, 2 cortex-m4. */
  runtimeKind?: number;
  /**
   * Test hook: the sequence number the device's link starts at after boot
   * (default 0), to exercise the host's u16 wrap without 65,536 requests first.
   */
  firstSeq?: number;
  /** After close() ends stdin, kill the process if it is still alive after this long (default 1000 ms). */
  killAfterMs?: number;
  /**
   * Run this program instead of the Node child: any device program speaking the
   * protocol on its stdin/stdout, e.g. a WASI runtime running ff-device.wasm
   * (`ffedge bench runtime`) or the linux-edge build. `wasm`/`ramLimitBytes`/
   * `runtimeKind` do not apply to it.
   */
  command?: { file: string; args: string[]; description: string };
}

/** Checks options shared by the pipe and pty flavours; returns the argv for the child script. */
export function deviceChildArgs(options: VirtualDeviceOptions): string[] {
  const wasm = options.wasm ?? wasmPath('ff-device');
  const ram = options.ramLimitBytes ?? 0;
  const kind = options.runtimeKind ?? 0;
  if (!Number.isInteger(ram) || ram < 0 || ram > 0xffffffff) throw new TypeError(`options.ramLimitBytes must be an integer in 0..2^32-1, got ${ram}`);
  if (!Number.isInteger(kind) || kind < 0 || kind > 2) throw new TypeError(`options.runtimeKind must be 0, 1 or 2, got ${kind}`);
  if (!existsSync(wasm)) {
    throw new TransportError('missing-file', `the device program ${wasm} does not exist: build it with npm run build:wasm`);
  }
  if (!existsSync(VIRTUAL_DEVICE_CHILD)) {
    throw new TransportError('missing-file', `${VIRTUAL_DEVICE_CHILD} does not exist: build the host with npm run build:ts`);
  }
  const first = options.firstSeq ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > 0xffff) throw new TypeError(`options.firstSeq must be a u16, got ${options.firstSeq}`);
  const args = [VIRTUAL_DEVICE_CHILD, wasm, String(ram), String(kind)];
  return first === 0 ? args : [...args, String(first)];
}

/** Keeps the last few kilobytes a child printed on stderr, for error messages. */
export class StderrTail {
  private text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  lines(max = 5): string {
    return this.text.trim().split('\n').slice(-max).join(' | ');
  }
}

export function describeExit(what: string, code: number | null, signal: NodeJS.Signals | null, stderr: StderrTail): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const said = stderr.lines();
  return `${what} ${how}${said ? `; it said: ${said}` : ''}`;
}

export class VirtualDeviceTransport extends TransportBase {
  readonly description: string;
  private readonly args: string[];
  private readonly killAfterMs: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly stderr = new StderrTail();

  private readonly file: string;

  constructor(options: VirtualDeviceOptions = {}) {
    super();
    this.killAfterMs = options.killAfterMs ?? 1000;
    if (options.command) {
      this.file = options.command.file;
      this.args = options.command.args;
      this.description = options.command.description;
      return;
    }
    this.file = process.execPath;
    this.args = ['--no-warnings', ...deviceChildArgs(options)];
    const ram = options.ramLimitBytes ? `, ${options.ramLimitBytes} B RAM` : '';
    this.description = `virtual device (ff-device.wasm in Node${ram})`;
  }

  /** The device process id while it runs (tests kill it to emulate a crash). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the device printed on stderr lately (traps, load errors). */
  get diagnostics(): string {
    return this.stderr.lines(20);
  }

  protected async doOpen(): Promise<void> {
    const child = spawn(this.file, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    child.stdout!.on('data', (chunk: Buffer) => this.deliver(chunk));
    // EPIPE when writing to a device that just died: the exit below reports it.
    child.stdin!.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(new TransportError('start-failed', `cannot start ${this.description} (${this.file}): ${err.message}`, { cause: err })),
      );
    });
    child.once('close', (code, signal) => {
      this.finish({ disconnected: true, reason: describeExit('the virtual device process', code, signal, this.stderr) });
    });
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    const child = this.child!;
    const failure = await new Promise<Error | null>((resolve) => {
      child.stdin!.write(bytes, (err) => resolve(err ?? null));
    });
    if (!failure) return;
    // EPIPE usually beats the exit event: wait for it briefly, so the
    // `close` event (with the exit code and stderr) is what reports the loss.
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 500))]);
    const how =
      child.exitCode !== null || child.signalCode !== null
        ? describeExit('the device process', child.exitCode, child.signalCode, this.stderr)
        : 'the device process is not reading';
    throw new TransportError('not-open', `write to ${this.description} failed (${failure.message}): ${how}`, { disconnected: true, cause: failure });
  }

  protected async doClose(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end(); // EOF on fd 0: the device returns from _start
    const timer = setTimeout(() => child.kill('SIGKILL'), this.killAfterMs);
    await this.exited;
    clearTimeout(timer);
  }
}
