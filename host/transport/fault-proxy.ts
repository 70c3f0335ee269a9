// A seeded fault injector between a host and a device, on a real tty: the host
// opens `path` (a pseudo-terminal from socat) with serialport, exactly as it
// would a board; the device is a process started here (the virtual device by
// default) on pipes. Every byte either way passes through `damage()`, which
// flips bits, drops, duplicates and replaces bytes with bursts of garbage and
// holds chunks back, each with its own probability per byte (or per chunk, for
// delays), from one seed, so a failing run replays exactly.
//
//   host --serialport--> pty (socat) <-> FaultProxy <-> device process
//
// A device reset is what a watchdog or brown-out does to a board behind a USB
// UART adapter: the port stays open, the device process is killed (SIGKILL)
// and a fresh one boots (and sends its boot HELLO); bytes sent in between are
// lost. `resetDevice()` does it now; `resetsAfterBytes` schedules it by the
// count of bytes passed to the device.
//
// Used by the soak/fault tests and `npm run bench:soak` (issue 16). Unlike
// lossy.ts (a Transport wrapper in the host process), this sits outside the
// host: the host under test runs its real serial code path.
//
// Non-goals: modelling a particular line's error statistics; Windows (socat).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mixSeed, Rng } from '../sources/prng.js';
import { TransportError } from './errors.js';
import { SOCAT_MISSING_ADVICE } from './pty.js';
import { deviceChildArgs, StderrTail, type VirtualDeviceOptions } from './virtual-device.js';

/** Damage in one direction. Probabilities are per byte unless said otherwise. */
export interface LinkFaults {
  /** One bit of the byte flipped. */
  flip?: number;
  /** The byte lost. */
  drop?: number;
  /** The byte delivered twice. */
  duplicate?: number;
  /** A burst starts here: `burstLength` random bytes replace the stream. */
  burst?: number;
  /** Bytes per burst (default 20). */
  burstLength?: number;
  /** Per chunk: the chunk (and what follows it) is held back `delayMs`. */
  delay?: number;
  /** How long a delayed chunk waits (default 20 ms). */
  delayMs?: number;
}

export interface FaultCounts {
  /** Bytes offered to this direction. */
  bytes: number;
  flips: number;
  drops: number;
  duplicates: number;
  bursts: number;
  /** Bytes of the original stream that bursts replaced. */
  burstBytes: number;
  delays: number;
  /** Bytes lost because the device was resetting. */
  lostInReset: number;
}

/** Fraction of offered bytes that did not arrive as sent (flipped, dropped, duplicated or replaced). */
export function damagedFraction(c: FaultCounts): number {
  return c.bytes === 0 ? 0 : (c.flips + c.drops + c.duplicates + c.burstBytes) / c.bytes;
}

function checkProbability(name: string, p: number | undefined): number {
  const v = p ?? 0;
  if (!(v >= 0 && v <= 1)) throw new TypeError(`${name} must be a probability in [0, 1], got ${p}`);
  return v;
}

/** One direction's damage, deterministic in its seed. Exported for unit tests. */
export class LinkDamage {
  readonly counts: FaultCounts = { bytes: 0, flips: 0, drops: 0, duplicates: 0, bursts: 0, burstBytes: 0, delays: 0, lostInReset: 0 };
  private readonly rng: Rng;
  private readonly flip: number;
  private readonly drop: number;
  private readonly duplicate: number;
  private readonly burst: number;
  private readonly burstLength: number;
  readonly delay: number;
  readonly delayMs: number;
  private burstLeft = 0;

  constructor(seed: number, faults: LinkFaults = {}, what = 'faults') {
    this.rng = new Rng(seed);
    this.flip = checkProbability(`${what}.flip`, faults.flip);
    this.drop = checkProbability(`${what}.drop`, faults.drop);
    this.duplicate = checkProbability(`${what}.duplicate`, faults.duplicate);
    this.burst = checkProbability(`${what}.burst`, faults.burst);
    this.delay = checkProbability(`${what}.delay`, faults.delay);
    if (this.flip + this.drop + this.duplicate + this.burst > 1) throw new TypeError(`${what}: flip + drop + duplicate + burst must not exceed 1`);
    this.burstLength = faults.burstLength ?? 20;
    this.delayMs = faults.delayMs ?? 20;
    if (!Number.isInteger(this.burstLength) || this.burstLength < 1)
      throw new TypeError(`${what}.burstLength must be a positive integer, got ${faults.burstLength}`);
    if (!(this.delayMs >= 0)) throw new TypeError(`${what}.delayMs must be >= 0, got ${faults.delayMs}`);
  }

  /** The chunk as it arrives at the far end. */
  apply(chunk: Uint8Array): Uint8Array {
    const out: number[] = [];
    for (const byte of chunk) {
      this.counts.bytes++;
      if (this.burstLeft > 0) {
        this.burstLeft--;
        this.counts.burstBytes++;
        out.push(this.rng.int(256));
        continue;
      }
      let r = this.rng.float();
      if ((r -= this.drop) < 0) {
        this.counts.drops++;
      } else if ((r -= this.flip) < 0) {
        this.counts.flips++;
        out.push(byte ^ (1 << this.rng.int(8)));
      } else if ((r -= this.duplicate) < 0) {
        this.counts.duplicates++;
        out.push(byte, byte);
      } else if ((r -= this.burst) < 0) {
        this.counts.bursts++;
        this.counts.burstBytes++;
        this.burstLeft = this.burstLength - 1;
        out.push(this.rng.int(256));
      } else {
        out.push(byte);
      }
    }
    return Uint8Array.from(out);
  }

  /** Whether this chunk is held back. */
  delays(): boolean {
    if (this.delay === 0 || this.rng.float() >= this.delay) return false;
    this.counts.delays++;
    return true;
  }
}

/** A started device behind the proxy. */
export interface ProxiedDevice {
  readonly process: ChildProcess;
}

export interface FaultProxyOptions {
  seed?: number;
  toDevice?: LinkFaults;
  fromDevice?: LinkFaults;
  /** Reset the device when this many bytes have been passed to it (ascending). */
  resetsAfterBytes?: number[];
  /** How long a reset keeps the device off (default 50 ms): bytes sent then are lost. */
  resetDowntimeMs?: number;
  /** Starts a device process with piped stdin/stdout; default: the virtual device. */
  startDevice?: () => ChildProcess;
  /** The virtual device's options when `startDevice` is not given. */
  device?: VirtualDeviceOptions;
  /** Where socat puts the pty symlink (default a fresh temporary directory). */
  link?: string;
  socat?: string;
  startTimeoutMs?: number;
}

export interface FaultProxyStats {
  toDevice: FaultCounts;
  fromDevice: FaultCounts;
  resets: number;
}

/** Delivers chunks in order, holding one back (and those after it) when told. */
class OrderedDelivery {
  private queue: Promise<void> = Promise.resolve();
  constructor(private readonly write: (bytes: Uint8Array) => void) {}
  push(bytes: Uint8Array, delayMs: number): void {
    if (delayMs === 0) {
      this.queue = this.queue.then(() => this.write(bytes));
      return;
    }
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            this.write(bytes);
            resolve();
          }, delayMs),
        ),
    );
  }
  drained(): Promise<void> {
    return this.queue;
  }
}

export class FaultProxy {
  private readonly toDevice: LinkDamage;
  private readonly fromDevice: LinkDamage;
  private readonly resetPlan: number[];
  private readonly downtimeMs: number;
  private readonly stderr = new StderrTail();
  private socat: ChildProcess | undefined;
  private device: ChildProcess | undefined;
  private deviceUp = false;
  private resets = 0;
  private closed = false;
  private tempDir: string | undefined;
  private toDeviceQueue: OrderedDelivery | undefined;
  private toHostQueue: OrderedDelivery | undefined;
  /** The pty the host opens. */
  path = '';

  constructor(private readonly options: FaultProxyOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    this.toDevice = new LinkDamage(mixSeed(seed, 0), options.toDevice, 'toDevice');
    this.fromDevice = new LinkDamage(mixSeed(seed, 1), options.fromDevice, 'fromDevice');
    this.resetPlan = [...(options.resetsAfterBytes ?? [])];
    for (let i = 0; i < this.resetPlan.length; i++) {
      const at = this.resetPlan[i]!;
      if (!Number.isInteger(at) || at < 0 || (i > 0 && at <= this.resetPlan[i - 1]!)) {
        throw new TypeError(`resetsAfterBytes must be ascending non-negative integers, got ${JSON.stringify(options.resetsAfterBytes)}`);
      }
    }
    this.downtimeMs = options.resetDowntimeMs ?? 50;
  }

  get stats(): FaultProxyStats {
    return { toDevice: { ...this.toDevice.counts }, fromDevice: { ...this.fromDevice.counts }, resets: this.resets };
  }

  /** Recent stderr of socat and the device processes. */
  diagnostics(): string {
    return this.stderr.lines(20);
  }

  /** Starts socat (the host's pty) and the device; resolves once the pty exists. */
  async start(): Promise<string> {
    let link = this.options.link;
    if (link === undefined) {
      this.tempDir = mkdtempSync(join(tmpdir(), 'ffedge-fault-'));
      link = join(this.tempDir, 'device');
    }
    const socatBin = this.options.socat ?? 'socat';
    const socat = spawn(socatBin, [`pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.socat = socat;
    socat.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    socat.stdin!.on('error', () => undefined);
    const spawnFailed = new Promise<never>((_, reject) =>
      socat.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new TransportError('missing-tool', SOCAT_MISSING_ADVICE, { cause: err })
            : new TransportError('start-failed', `cannot start ${socatBin}: ${err.message}`, { cause: err }),
        ),
      ),
    );
    spawnFailed.catch(() => undefined);
    this.toHostQueue = new OrderedDelivery((bytes) => {
      if (!socat.stdin!.destroyed) socat.stdin!.write(bytes);
    });
    this.toDeviceQueue = new OrderedDelivery((bytes) => {
      if (this.deviceUp && this.device?.stdin && !this.device.stdin.destroyed) this.device.stdin.write(bytes);
      else this.toDevice.counts.lostInReset += bytes.length;
    });
    socat.stdout!.on('data', (chunk: Buffer) => this.fromHost(new Uint8Array(chunk)));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 5000);
    while (!existsSync(link)) {
      if (socat.exitCode !== null) throw new TransportError('start-failed', `socat exited (${socat.exitCode}) before the pty appeared: ${this.diagnostics()}`);
      if (Date.now() > deadline) throw new TransportError('start-failed', `socat did not create ${link} in time: ${this.diagnostics()}`);
      await Promise.race([new Promise((r) => setTimeout(r, 10)), spawnFailed]);
    }
    this.path = link;
    this.bootDevice();
    return link;
  }

  private bootDevice(): void {
    const child = this.options.startDevice
      ? this.options.startDevice()
      : spawn(process.execPath, ['--no-warnings', ...deviceChildArgs(this.options.device ?? {})], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.device = child;
    this.deviceUp = true;
    child.stdin!.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.device !== child) return; // a killed device's last words
      const damaged = this.fromDevice.apply(new Uint8Array(chunk));
      this.toHostQueue!.push(damaged, this.fromDevice.delays() ? this.fromDevice.delayMs : 0);
    });
  }

  private fromHost(chunk: Uint8Array): void {
    // A scheduled reset falls inside this chunk: pass the part before it, reset, lose the rest.
    const passed = this.toDevice.counts.bytes;
    const next = this.resetPlan[0];
    if (next !== undefined && passed + chunk.length > next) {
      const head = chunk.subarray(0, Math.max(0, next - passed));
      this.resetPlan.shift();
      if (head.length) this.toDeviceQueue!.push(this.toDevice.apply(head), 0);
      this.toDevice.counts.bytes += chunk.length - head.length;
      this.toDevice.counts.lostInReset += chunk.length - head.length;
      void this.resetDevice();
      return;
    }
    const damaged = this.toDevice.apply(chunk);
    this.toDeviceQueue!.push(damaged, this.toDevice.delays() ? this.toDevice.delayMs : 0);
  }

  /** Kills the device (no goodbye) and boots a fresh one after the downtime. */
  async resetDevice(): Promise<void> {
    if (this.closed || !this.device) return;
    const old = this.device;
    this.deviceUp = false;
    this.resets++;
    const gone = new Promise<void>((resolve) => (old.exitCode !== null || old.signalCode !== null ? resolve() : old.once('close', () => resolve())));
    old.kill('SIGKILL');
    await gone;
    await new Promise((r) => setTimeout(r, this.downtimeMs));
    if (!this.closed) this.bootDevice();
  }

  /** Stops the device and socat (the host's port then closes as disconnected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deviceUp = false;
    const stop = async (child: ChildProcess | undefined): Promise<void> => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await done;
      clearTimeout(timer);
    };
    await stop(this.device);
    await stop(this.socat);
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
