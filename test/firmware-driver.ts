// Test helper for the firmware and cross-target tests: reach a device program over
// a byte link (child process pipes, or a pty through serialport) and drive it with
// host/protocol directly: HELLO, CONFIGURE, a window of SAMPLEs, CHECKPOINT_GET.
// Deliberately not the host's session engine (host/session/): these tests pin the
// device side, so the driver is small, strict and fails loudly on anything odd.
//
// Non-goals: loss recovery beyond what SendWindow does by itself, heartbeats,
// reconnects. Links in these tests do not lose bytes.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { Deframer, encodeFrame, type Frame } from '../host/protocol/frame.js';
import { decodeMessage, MessageType, type Message, type MessageOf } from '../host/protocol/messages.js';
import { SendWindow, type RequestMessage } from '../host/protocol/window.js';
import { ErrorCode } from '../host/protocol/errors.js';
import { onPath } from '../host/paths.js';
import { boardDir, type FirmwareBoard } from '../host/boards.js';
import { launchQemu } from '../host/transport/qemu-launch.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/ -> repo

/** Compile the AssemblyScript echo fixture (test/fixtures/echo.ts) to `out`. */
export async function buildEchoFixture(out: string): Promise<void> {
  const asc = join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  await promisify(execFile)(process.execPath, [asc, 'test/fixtures/echo.ts', '--runtime', 'stub', '--use', 'abort=', '-O3', '-o', out], { cwd: repoRoot });
}

/** A skip reason naming the missing tools, or false when all are installed. */
export function missingTools(tools: string[]): string | false {
  const missing = tools.filter((t) => !onPath(t));
  return missing.length > 0 ? `toolchain missing: ${missing.join(', ')} (install with: sudo scripts/setup-toolchains.sh)` : false;
}

/** The first ERROR(DEVICE_TRAP) frame in `bytes`, if any. */
export function deviceTrap(bytes: Uint8Array): { code: number; detail: number; text: string; seq: number } | undefined {
  for (const frame of new Deframer().push(bytes)) {
    if (frame.type !== MessageType.ERROR) continue;
    const m = decodeMessage(frame);
    if (m.type === 'ERROR' && m.code === ErrorCode.DEVICE_TRAP) return { code: m.code, detail: m.detail, text: m.text, seq: frame.seq };
  }
  return undefined;
}

/** A byte link to a device: write, receive chunks, close. */
export interface ByteLink {
  readonly name: string;
  write(bytes: Uint8Array): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Resolves when the far end is gone (process exit, port close). */
  readonly ended: Promise<string>;
  close(): Promise<void>;
}

/** The device program as a child process whose stdin/stdout are the link. */
export function childLink(name: string, command: string[], options: { env?: NodeJS.ProcessEnv } = {}): ByteLink {
  const child: ChildProcess = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin!.on('error', () => {
    /* the device may be gone; `ended` says so */
  });
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`${name} exited (${signal ?? `code ${code}`}) ${stderr.trim()}`));
    child.once('error', (e) => resolve(`${name} could not start: ${e.message}`));
  });
  return {
    name,
    write: (bytes) => {
      child.stdin!.write(bytes);
    },
    onData: (listener) => {
      child.stdout!.on('data', listener);
    },
    ended,
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await ended;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * ff-device.wasm under node:wasi in a child process with piped stdio: the virtual
 * device, written inline so the test does not depend on the host's transport code.
 * The child never touches process.stdin/stdout (node:wasi's fd_read would get EAGAIN).
 */
export function wasiLink(wasm: string, ramLimitBytes: number): ByteLink {
  const child = `
    import { readFileSync } from 'node:fs';
    import { WASI } from 'node:wasi';
    const [path, ram] = process.argv.slice(1);
    const wasi = new WASI({ version: 'preview1', stdin: 0, stdout: 1, stderr: 2, returnOnExit: true, args: [], env: {} });
    const { instance } = await WebAssembly.instantiate(readFileSync(path), wasi.getImportObject());
    instance.exports.ram_limit_bytes.value = Number(ram);
    process.exitCode = wasi.start(instance);`;
  return childLink('wasi', [process.execPath, '--no-warnings', '--input-type=module', '-e', child, wasm, String(ramLimitBytes)]);
}

/** A serial port (a QEMU pty): opened before anything is sent, since QEMU drops output nobody reads. */
export async function serialLink(name: string, path: string): Promise<ByteLink> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const ended = new Promise<string>((resolve) => port.once('close', () => resolve(`${name}: port closed`)));
  port.on('error', () => {
    /* EIO once QEMU is gone: `ended` reports it */
  });
  return {
    name,
    write: (bytes) => {
      port.write(Buffer.from(bytes));
    },
    onData: (listener) => {
      port.on('data', listener);
    },
    ended,
    close: () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

export interface Reply {
  message: Message;
  payload: Uint8Array;
  seq: number;
}

/**
 * A small protocol driver over a ByteLink: every device frame is decoded; an
 * ERROR(DEVICE_TRAP) or the link ending fails whatever is waiting.
 */
export class DeviceDriver {
  private readonly deframer = new Deframer();
  private waiters: Array<{ match: (f: Frame, m: Message) => boolean; resolve: (r: Reply) => void }> = [];
  private failure: Error | undefined;
  private failWaiters: Array<(e: Error) => void> = [];
  private window: SendWindow<number> | undefined;
  private replies = new Map<number, Reply>();
  private timer: NodeJS.Timeout | undefined;
  /** Every frame received, decoded (for diagnostics). */
  readonly log: Message[] = [];

  constructor(readonly link: ByteLink) {
    link.onData((chunk) => this.onData(chunk));
    void link.ended.then((why) => this.fail(new Error(why)));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const reject of this.failWaiters) reject(error);
    this.failWaiters = [];
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.deframer.push(chunk)) {
      let message: Message;
      try {
        message = decodeMessage(frame);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.log.push(message);
      if (message.type === 'ERROR' && message.code === ErrorCode.DEVICE_TRAP) {
        this.fail(new Error(`${this.link.name}: device trapped: ${message.text} (detail ${message.detail})`));
        return;
      }
      const waiter = this.waiters.findIndex((w) => w.match(frame, message));
      if (waiter >= 0) {
        const [w] = this.waiters.splice(waiter, 1);
        w!.resolve({ message, payload: frame.payload, seq: frame.seq });
        continue;
      }
      if (this.window && message.type !== 'HELLO') {
        this.replies.set(frame.seq, { message, payload: frame.payload, seq: frame.seq });
        try {
          const { retransmit } = this.window.receive(message, frame.seq, Date.now());
          for (const f of retransmit) this.link.write(f);
        } catch (e) {
          this.fail(e as Error);
        }
      }
    }
  }

  private guarded<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.link.name}: no ${what} within ${timeoutMs} ms (stats ${JSON.stringify(this.deframer.stats)})`)),
        timeoutMs,
      );
      const onFail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      this.failWaiters.push(onFail);
      promise.then((v) => {
        clearTimeout(timer);
        this.failWaiters = this.failWaiters.filter((f) => f !== onFail);
        resolve(v);
      }, onFail);
    });
  }

  /** Send a 0x00 and HELLO_REQUEST (re-sent every 500 ms) until its HELLO comes back. */
  async hello(timeoutMs = 10_000): Promise<MessageOf<'HELLO'>> {
    const tag = 0x4845;
    const reply = new Promise<Reply>((resolve) => {
      this.waiters.push({ match: (f, m) => m.type === 'HELLO' && f.seq === tag, resolve });
    });
    const send = (): void => this.link.write(Buffer.concat([Buffer.from([0]), encodeFrame(MessageType.HELLO_REQUEST, tag, new Uint8Array(0))]));
    send();
    const again = setInterval(send, 500);
    try {
      const { message } = await this.guarded(reply, 'HELLO', timeoutMs);
      const hello = message as MessageOf<'HELLO'>;
      this.window = new SendWindow<number>({
        window: hello.window,
        firstSeq: hello.nextExpected,
        rtoInitialMs: 15_000,
        rtoMinMs: 15_000,
        rtoMaxMs: 15_000,
        maxRetries: 2,
      });
      return hello;
    } finally {
      clearInterval(again);
    }
  }

  /**
   * Send sequenced requests through the send window (at most W in flight) and
   * resolve with their replies in request order.
   */
  async requests(messages: RequestMessage[], timeoutMs = 60_000): Promise<Reply[]> {
    const window = this.window;
    if (!window) throw new Error('hello() first');
    const seqs: number[] = [];
    const done = new Promise<void>((resolve, reject) => {
      let next = 0;
      const pump = (): void => {
        try {
          for (const f of window.poll(Date.now())) this.link.write(f);
          while (next < messages.length && window.canSend()) {
            const { seq, frame } = window.send(messages[next]!, next, Date.now());
            seqs.push(seq);
            next++;
            this.link.write(frame);
          }
          if (next === messages.length && window.inFlight === 0) {
            clearInterval(this.timer);
            resolve();
          }
        } catch (e) {
          clearInterval(this.timer);
          reject(e);
        }
      };
      this.timer = setInterval(pump, 2);
      pump();
    });
    try {
      await this.guarded(done, `${messages.length} replies`, timeoutMs);
    } finally {
      clearInterval(this.timer);
    }
    return seqs.map((seq) => {
      const reply = this.replies.get(seq);
      if (!reply) throw new Error(`${this.link.name}: request ${seq} completed without a reply`);
      this.replies.delete(seq);
      return reply;
    });
  }

  /** The whole weights blob by CHECKPOINT_GET, chunk by chunk as the device cuts them. */
  async checkpoint(): Promise<{ blob: Uint8Array; blobCrc: number }> {
    const [first] = await this.requests([{ type: 'CHECKPOINT_GET', offset: 0, maxLength: 4096 }]);
    const head = expectMessage(first!, 'CHECKPOINT_DATA');
    const blob = new Uint8Array(head.total);
    blob.set(head.data, 0);
    const chunk = head.data.length;
    const rest: RequestMessage[] = [];
    for (let offset = chunk; offset < head.total; offset += chunk) rest.push({ type: 'CHECKPOINT_GET', offset, maxLength: chunk });
    for (const reply of await this.requests(rest)) {
      const data = expectMessage(reply, 'CHECKPOINT_DATA');
      blob.set(data.data, data.offset);
    }
    return { blob, blobCrc: head.blobCrc };
  }

  /** Requests sent again (0 on a link that loses nothing: a lost byte would show here). */
  get retransmissions(): number {
    return this.window?.retransmissions ?? 0;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.link.close();
  }
}

/** The reply's message if it has `type`; otherwise an Error naming what came instead. */
export function expectMessage<T extends Message['type']>(reply: Reply, type: T): MessageOf<T> {
  if (reply.message.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(reply.message)}`);
  return reply.message as MessageOf<T>;
}

/** One labelled sensor window: 64 values in [-1, 1]. */
export interface SensorWindow {
  label: number;
  values: Float32Array;
}

/**
 * Deterministic synthetic vibration windows (`inputs` values, `classes` classes): class c
 * is a sine of 2 + 2c cycles per window with random phase and amplitude, on a random
 * offset, with white noise. Enough structure to learn, no dependence on host/sources.
 */
export function sensorWindows(count: number, seed: number, inputs = 64, classes = 5): SensorWindow[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32 in [0, 1)
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  const out: SensorWindow[] = [];
  for (let s = 0; s < count; s++) {
    const label = s % classes;
    const cycles = 2 + 2 * label;
    const phase = 2 * Math.PI * next();
    const amplitude = 0.4 + 0.4 * next();
    const offset = 0.4 * next() - 0.2;
    const values = new Float32Array(inputs);
    for (let t = 0; t < inputs; t++) {
      const v = offset + amplitude * Math.sin(phase + (2 * Math.PI * cycles * t) / inputs) + 0.3 * (next() - 0.5);
      values[t] = Math.max(-1, Math.min(1, v));
    }
    out.push({ label, values });
  }
  return out;
}

/** splitmix64 from `seed`: the bytes random_get must produce (wasi-shim.c). */
export function splitmix64Bytes(seed: bigint, count: number): number[] {
  const mask = (1n << 64n) - 1n;
  let state = seed;
  const out: number[] = [];
  while (out.length < count) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    for (let i = 0n; i < 8n && out.length < count; i++) out.push(Number((z >> (8n * i)) & 0xffn));
  }
  return out;
}

/** A skip reason for a bare-metal board (host/boards.ts) naming each missing tool and its Debian package, or false. */
export function boardSkip(board: FirmwareBoard): string | false {
  const needs: Array<[string, string, boolean]> = [
    ['wasm2c', 'wabt', onPath('wasm2c')],
    ['make', 'make', onPath('make')],
    [`${board.prefix}gcc`, board.compilerPackage, onPath(`${board.prefix}gcc`)],
    [board.libcFile, board.libcPackage, existsSync(board.libcFile)],
    [board.qemu, board.qemuPackage, onPath(board.qemu)],
  ];
  const missing = needs.filter(([, , present]) => !present);
  return missing.length > 0
    ? `toolchain missing: ${missing.map(([what, pkg]) => `${what} (Debian package ${pkg})`).join(', ')}; install with: sudo scripts/setup-toolchains.sh`
    : false;
}

/** make firmware-targets/<board> for `wasm` into `build` with `vars`; returns the ELF. */
export async function buildBoard(board: FirmwareBoard, wasm: string, build: string, vars: Record<string, string | number> = {}): Promise<string> {
  await promisify(execFile)('make', ['-s', '-C', boardDir(board), `WASM=${wasm}`, `BUILD=${build}`, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
  return join(build, 'fw.elf');
}

/** Start `elf` on the board's QEMU machine and open its UART's pty. */
export async function startBoard(board: FirmwareBoard, elf: string): Promise<{ link: ByteLink; stop: () => Promise<unknown> }> {
  const qemu = await launchQemu({ elf, machine: board.machine, qemu: board.qemu, extraArgs: board.qemuArgs });
  try {
    return { link: await serialLink(board.name, qemu.path), stop: () => qemu.close() };
  } catch (e) {
    await qemu.close();
    throw e;
  }
}
