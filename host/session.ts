// The streaming session: everything between a Transport (a byte link) and the
// user's samples. Spec: docs/protocol.md §6 (reliable delivery) and §6.4 (host
// timeouts).
//
//   connect   open the transport, flush with 0x00, HELLO_REQUEST every 500 ms
//             until HELLO; check the protocol version; window W from HELLO
//   configure encode the LearnerConfig; refuse on the host a model that cannot
//             fit HELLO.arenaFree; a device ERROR becomes the learner's error
//   train     SAMPLE -> GOODNESS, up to W in flight (SendWindow): retransmit
//             on timeout, go-back-N on a gap ACK, a probe PING behind every
//             retransmission whose PONG shows what was lost (no waiting out a
//             timer while the device answers), duplicates answered from the
//             device's reply cache, so every sample is trained exactly once
//             and the host knows which were
//   evaluate  INFER -> PREDICTION over a held-out set (accuracy, per class)
//   checkpoint CHECKPOINT_GET / PUT in chunks, CRC-32 checked
//   heartbeat PING after `heartbeatIdleMs` of silence; `heartbeatMisses`
//             unanswered PINGs = the device is gone (DeviceTimeoutError)
//
// Every trained sample becomes one `train` record in the log (timestamp,
// sample seq, device step, per-layer goodness), every evaluation an `eval`
// record, and logLinkStats() a `link` record (host/logs/records.ts).
//
// The session is typed only against host/transport/transport.ts. A fatal
// problem (timeout, disconnect, version mismatch, desync) fails the session:
// every pending and later call rejects with that error and the transport is
// closed. Refusals of one request (a sample of the wrong length, a bad config)
// reject only that call.
//
// Non-goals: reconnecting by itself (a fatal error ends the session; connect
// a new one and configure again), several sessions on one transport.

import { encodeConfig, resolveConfig, type LearnerConfig, type ResolvedConfig } from './learner/config.js';
import { ArenaTooSmallError, LearnerStatus, learnerError } from './learner/errors.js';
import type { LayerGoodness, LinkRecord, LogRecord, TrainRecord } from './logs/records.js';
import {
  crc32, decodeMessage, Deframer, encodeMessage, ErrorCode, errorFromMessage, LEARNER_CODE_MAX, LEARNER_CODE_MIN,
  MAX_PAYLOAD, PROTOCOL_VERSION, ProtocolError, quantize, SendWindow, type Completion, type Frame, type GoodnessLayer,
  type Message, type MessageOf, type RequestMessage, type SampleEncoding,
} from './protocol/index.js';
import type { Sample } from './sources/sample.js';
import { arenaLowerBound } from './session/arena.js';
import { DeviceDisconnectedError, DeviceTimeoutError, LinkTooLossyError, SessionClosedError } from './session/errors.js';
import type { Transport, TransportCloseInfo } from './transport/transport.js';

export { DeviceDisconnectedError, DeviceTimeoutError, LinkTooLossyError, SessionClosedError } from './session/errors.js';
export { arenaLowerBound } from './session/arena.js';

/** Where records go; a JsonlWriter (host/logs) fits. */
export interface RecordSink {
  append(record: LogRecord): Promise<void> | void;
}

export interface SessionOptions {
  /** Goodness log: one `train` record per trained sample, `eval`, `link` and `meta` records. */
  log?: RecordSink;
  /** How samples travel: f32 (default, exact) or int8/int16 (quantised, 4x/2x smaller for slow links). */
  encoding?: SampleEncoding;
  /** HELLO_REQUEST repeat interval during connect (default 500 ms). */
  helloIntervalMs?: number;
  /** Give up connecting after this long without a HELLO (default 10000 ms). */
  handshakeTimeoutMs?: number;
  /** Send a PING after this long with nothing received (default 1000 ms). */
  heartbeatIdleMs?: number;
  /** This many unanswered PINGs in a row mean the device is gone (default 3). */
  heartbeatMisses?: number;
  /** SendWindow timeouts (docs/protocol.md §6.4); raise rtoMinMs on slow links. */
  rtoInitialMs?: number;
  rtoMinMs?: number;
  rtoMaxMs?: number;
  maxRetries?: number;
  /** Proven losses of one request in a row before LinkTooLossyError (default 100). */
  maxLosses?: number;
}

/** What the device said in HELLO. */
export interface DeviceInfo {
  protocolVersion: number;
  window: number;
  maxPayload: number;
  arenaFree: number;
  buildId: number;
  runtime: string;
}

export interface ConfigureResult {
  /** Arena bytes the model takes on the device (null if the reply was lost after it was applied). */
  arenaUsed: number | null;
  arenaFree: number | null;
}

export type PredictMode = 'goodness' | 'head';

export interface TrainResult {
  /** 0-based index of the sample in this session (the order it was submitted). */
  index: number;
  /** Wire sequence number of its SAMPLE (u16, wraps). */
  seq: number;
  label: number;
  /** Device training steps done after this sample (null if the reply was lost after it was applied). */
  step: number | null;
  /** Per-layer record from GOODNESS; null when the reply was lost (the sample was still trained once). */
  layers: GoodnessLayer[] | null;
}

export interface PredictionResult {
  label: number;
  scores: Float32Array;
}

export interface EvalResult {
  step: number;
  accuracy: number;
  n: number;
  correct: number;
  /** Accuracy per class; null for a class with no samples. */
  perClass: (number | null)[];
  mode: PredictMode;
}

export interface Checkpoint {
  /** The learner's weights blob (parameters, little-endian f32). */
  weights: Uint8Array;
  /** CRC-32 of `weights`, as the device computed and the host verified. */
  crc: number;
}

export interface StreamOptions {
  /** Stop after this many samples (default: until the source ends). */
  limit?: number;
  /** Stop pulling samples when aborted; samples in flight still complete. */
  signal?: AbortSignal;
  /** Called once per sample, in submission order, when it is trained (or refused). */
  onResult?: (result: TrainResult) => void;
  /** A sample the device refuses (wrong length, bad label, NaN): 'throw' (default) or 'skip' and count it. */
  onRefused?: 'throw' | 'skip';
}

export interface StreamSummary {
  submitted: number;
  trained: number;
  refused: number;
  /** Trained, but the GOODNESS reply was lost (the device no longer had it cached). */
  repliesLost: number;
  /** Device step after the last trained sample. */
  step: number;
  seconds: number;
}

/** Counters of the link since connect, both directions. */
export interface LinkStats {
  /** Frames the host dropped, by cause. */
  host: { frames: number; badCrc: number; malformed: number; tooLarge: number };
  /** Frames the device dropped, from its latest PONG (null before any). */
  device: { framesOk: number; badCrc: number; malformed: number; tooLarge: number } | null;
  /** Requests the host sent again (timeouts, gaps, lost replies). */
  retransmits: number;
  /** Replies that arrived for requests already answered. */
  duplicates: number;
  /** Requests applied whose reply the device no longer held. */
  repliesLost: number;
  /** CRC-valid frames the host could not use (malformed payload, echoed requests). */
  undecodable: number;
  pingsSent: number;
  /** Requests found lost by a probe's PONG and resent at once (no timeout waited for). */
  probedLosses: number;
  /** Retransmission timeouts, each halving the requests let into flight. */
  timeouts: number;
  /** Requests the session currently lets into flight (<= HELLO.window). */
  congestionWindow: number;
}

interface Pending {
  message: RequestMessage;
  resolve: (completion: Completion<Pending>) => void;
  reject: (error: Error) => void;
}

type DeviceCounters = NonNullable<LinkStats['device']>;

const now = (): number => performance.now();

/** docs/protocol.md §7: DEVICE_TRAP (73), the firmware glue's report that the device halted. */
const DEVICE_TRAP = 73;
const FATAL_DEVICE_ERRORS = new Set<number>([ErrorCode.UNKNOWN_TYPE, ErrorCode.VERSION_MISMATCH, DEVICE_TRAP]);

function checkPositive(name: string, v: number | undefined, fallback: number): number {
  const value = v ?? fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`options.${name} must be a positive number of ms, got ${v}`);
  return value;
}

function layerRecord(layer: GoodnessLayer): LayerGoodness {
  const record: LayerGoodness & { peer?: number } = {
    gpos: layer.goodnessPositive, gneg: layer.goodnessNegative, loss: layer.loss,
    active: layer.activeFraction, hoyer: layer.hoyer,
  };
  // Field 5 (protocol "extra" 0) of this device is the peer-normalisation penalty.
  if (layer.extra && layer.extra.length > 0) record.peer = layer.extra[0]!;
  return record;
}

export class Session {
  readonly transport: Transport;
  private readonly options: SessionOptions;
  private readonly log: RecordSink | undefined;
  private readonly encoding: SampleEncoding;
  private readonly deframer = new Deframer();
  private readonly helloTags = new Set<number>();
  private nextTag = 1 + Math.floor(Math.random() * 0xfffe);
  private helloWaiter: ((hello: MessageOf<'HELLO'>) => void) | undefined;
  private readonly pongWaiters = new Map<number, (pong: MessageOf<'PONG'>) => void>();
  private window: SendWindow<Pending> | undefined;
  private readonly queue: Pending[] = [];
  private readonly outgoing: Uint8Array[] = [];
  private readonly inFlight = new Set<Pending>();
  /**
   * Requests the session lets into flight, <= HELLO.window. A slow device
   * (QEMU's byte-at-a-time UART, a board at 115200 baud) answers late, not
   * never: a timeout there resends the whole window, which makes the device
   * slower still, and the RTO never learns (Karn's rule skips resent
   * requests). So a timeout halves this and each answer grows it by
   * 1/congestionWindow (AIMD, as TCP, RFC 5681 §3.1). Gap ACKs (corruption,
   * not congestion) leave it alone.
   */
  private congestionWindow = 1;
  private congestionEvents = 0;
  private readonly waiters: (() => void)[] = [];
  private retransmitTimer: NodeJS.Timeout | undefined;
  private retransmitAt = Infinity;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastHeard = now();
  private lastPingAt = 0;
  private missedPings = 0;
  /** PING tag -> SendWindow.probeMark() when it was written: its PONG proves what was lost. */
  private readonly probeMarks = new Map<number, number>();
  /** Tag of the PING sent right after retransmissions, until its PONG (one at a time). */
  private probeTag: number | undefined;
  /** Frames were re-sent behind the outstanding probe: probe again when it is answered. */
  private probeWanted = false;
  private failureError: Error | undefined;
  private closed = false;
  private hello: DeviceInfo | undefined;
  private resolved: ResolvedConfig | null = null;
  private rawConfig: Record<string, unknown> | null = null;
  private deviceStep = 0;
  private samplesSubmitted = 0;
  private samplesTrained = 0;
  private repliesLost = 0;
  private undecodable = 0;
  private pingsSent = 0;
  private deviceCounters: DeviceCounters | null = null;
  private deviceBaseline: DeviceCounters | null = null;
  private hostBaseline = { frames: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
  private readonly onData = (chunk: Uint8Array): void => {
    for (const frame of this.deframer.push(chunk)) this.onFrame(frame);
  };
  private readonly onClose = (info: TransportCloseInfo): void => {
    if (this.closed) return;
    const why = info.reason ?? info.error?.message ?? 'no reason given';
    this.fail(info.disconnected
      ? new DeviceDisconnectedError(`the link to the device went away (${this.transport.description}): ${why}. Check the device and the cable, then connect again`, { cause: info.error })
      : new SessionClosedError(`the transport was closed under the session (${this.transport.description})`));
  };

  private constructor(transport: Transport, options: SessionOptions) {
    this.transport = transport;
    this.options = options;
    this.log = options.log;
    this.encoding = options.encoding ?? 'f32';
    if (!['f32', 'int8', 'int16'].includes(this.encoding)) {
      throw new TypeError(`options.encoding must be 'f32', 'int8' or 'int16', got ${JSON.stringify(this.encoding)}`);
    }
  }

  /**
   * Opens the transport (if it is not open yet) and shakes hands with the
   * device. Rejects with a TransportError (cannot open), DeviceTimeoutError
   * (no HELLO), ProtocolError VERSION_MISMATCH (message says which side to
   * update), or DeviceDisconnectedError.
   */
  static async connect(transport: Transport, options: SessionOptions = {}): Promise<Session> {
    if (!transport || typeof transport.open !== 'function' || typeof transport.on !== 'function') {
      throw new TypeError('transport must implement Transport (host/transport/transport.ts)');
    }
    const session = new Session(transport, options);
    await session.start();
    return session;
  }

  /** What the device reported in HELLO. */
  get device(): DeviceInfo {
    return this.hello!;
  }

  /** The config in force (defaults filled), or null before configure(). */
  get config(): ResolvedConfig | null {
    return this.resolved;
  }

  /** Device training steps done, from the latest GOODNESS. */
  get step(): number {
    return this.deviceStep;
  }

  /** Samples the device trained in this session (exactly once each). */
  get trained(): number {
    return this.samplesTrained;
  }

  /** The fatal error that ended the session, if any. */
  get failure(): Error | undefined {
    return this.failureError;
  }

  get linkStats(): LinkStats {
    const s = this.deframer.stats;
    const b = this.hostBaseline;
    const d = this.deviceCounters;
    const db = this.deviceBaseline ?? { framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
    return {
      host: { frames: s.frames - b.frames, badCrc: s.badCrc - b.badCrc, malformed: s.malformed - b.malformed, tooLarge: s.tooLarge - b.tooLarge },
      device: d && {
        framesOk: d.framesOk - db.framesOk, badCrc: d.badCrc - db.badCrc, malformed: d.malformed - db.malformed, tooLarge: d.tooLarge - db.tooLarge,
      },
      retransmits: this.window?.retransmissions ?? 0,
      duplicates: this.window?.duplicateReplies ?? 0,
      repliesLost: this.repliesLost,
      undecodable: this.undecodable,
      pingsSent: this.pingsSent,
      probedLosses: this.window?.probedLosses ?? 0,
      timeouts: this.congestionEvents,
      congestionWindow: Math.floor(this.congestionWindow),
    };
  }

  // ---- connect ----

  private async start(): Promise<void> {
    const o = this.options;
    const helloInterval = checkPositive('helloIntervalMs', o.helloIntervalMs, 500);
    const handshakeTimeout = checkPositive('handshakeTimeoutMs', o.handshakeTimeoutMs, 10000);
    checkPositive('heartbeatIdleMs', o.heartbeatIdleMs, 1000);
    this.transport.on('data', this.onData);
    this.transport.on('close', this.onClose);
    if (!this.transport.isOpen) {
      try {
        await this.transport.open();
      } catch (err) {
        this.detach();
        throw err;
      }
    }
    const started = now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const hello = await new Promise<MessageOf<'HELLO'>>((resolve, reject) => {
        this.helloWaiter = resolve;
        this.waiters.push(() => { if (this.failureError) reject(this.failureError); });
        // One 0x00 ends any partial frame the device holds (docs/protocol.md §2).
        this.writeBytes(new Uint8Array([0]));
        const ask = (): void => {
          if (now() - started >= handshakeTimeout) {
            reject(new DeviceTimeoutError(
              `no HELLO from the device within ${handshakeTimeout} ms on ${this.transport.description}: check that it runs the ff-edge device program, that the port and baud rate are right, and that nothing else uses the port`,
              'handshake', now() - this.lastHeard));
            return;
          }
          const tag = this.tag();
          this.helloTags.add(tag);
          this.writeBytes(encodeMessage({ type: 'HELLO_REQUEST' }, tag));
          timer = setTimeout(ask, helloInterval);
        };
        ask();
      });
      this.accept(hello);
    } catch (err) {
      clearTimeout(timer);
      this.fail(err as Error);
      throw err;
    }
    clearTimeout(timer);
    this.helloWaiter = undefined;
    this.startHeartbeat();
    // Baseline of the device's drop counters, so link records count this session only.
    await this.ping();
    this.deviceBaseline = this.deviceCounters;
  }

  private accept(hello: MessageOf<'HELLO'>): void {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      throw new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, {
        detail: hello.protocolVersion, context: `HELLO from ${hello.runtime} announces protocol v${hello.protocolVersion}`,
      });
    }
    if (hello.window < 1) throw new ProtocolError(ErrorCode.MALFORMED, undefined, { context: 'HELLO window is 0' });
    this.hello = {
      protocolVersion: hello.protocolVersion, window: hello.window, maxPayload: Math.min(hello.maxPayload, MAX_PAYLOAD),
      arenaFree: hello.arenaFree, buildId: hello.buildId, runtime: hello.runtime,
    };
    const o = this.options;
    this.window = new SendWindow<Pending>({
      window: hello.window,
      firstSeq: hello.nextExpected,
      ...(o.rtoInitialMs !== undefined ? { rtoInitialMs: o.rtoInitialMs } : {}),
      ...(o.rtoMinMs !== undefined ? { rtoMinMs: o.rtoMinMs } : {}),
      ...(o.rtoMaxMs !== undefined ? { rtoMaxMs: o.rtoMaxMs } : {}),
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
      ...(o.maxLosses !== undefined ? { maxLosses: o.maxLosses } : {}),
    });
    this.hostBaseline = { ...this.deframer.stats };
    this.congestionWindow = hello.window;
  }

  private tag(): number {
    const tag = this.nextTag;
    this.nextTag = tag >= 0xffff ? 1 : tag + 1; // never 0: the boot HELLO carries seq 0
    return tag;
  }

  // ---- receive ----

  private onFrame(frame: Frame): void {
    if (this.failureError) return;
    this.lastHeard = now();
    this.missedPings = 0;
    let message: Message;
    try {
      message = decodeMessage(frame);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.VERSION_MISMATCH) {
        this.fail(new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, {
          detail: frame.version, seq: frame.seq, context: `the device sent a v${frame.version} frame (type 0x${frame.type.toString(16)})`,
        }));
      } else {
        this.undecodable++;
      }
      return;
    }
    if ((frame.type & 0x80) === 0) {
      this.undecodable++; // our own request came back: a port with echo on
      return;
    }
    switch (message.type) {
      case 'HELLO':
        if (this.helloWaiter) {
          if (this.helloTags.has(frame.seq)) this.helloWaiter(message);
          return; // a boot HELLO before our reply: ours follows
        }
        if (this.helloTags.has(frame.seq)) return; // a late reply to a repeated HELLO_REQUEST
        this.fail(new ProtocolError(ErrorCode.LINK_DESYNC, undefined, {
          detail: message.nextExpected, context: `unprompted HELLO from ${message.runtime} mid-session`,
        }));
        return;
      case 'PONG': {
        this.deviceCounters = {
          framesOk: message.framesOk, badCrc: message.badCrc, malformed: message.malformed, tooLarge: message.tooLarge,
        };
        const waiter = this.pongWaiters.get(frame.seq);
        this.pongWaiters.delete(frame.seq);
        waiter?.(message);
        break;
      }
      case 'ERROR':
        // Fatal for the session: the device did not consume the request (§6.2), or it
        // halted (DEVICE_TRAP, an unprompted ERROR with seq 0: check it before sequencing, §7).
        if (FATAL_DEVICE_ERRORS.has(message.code)) {
          this.fail(errorFromMessage(message, frame.seq));
          return;
        }
        break;
      default:
        break;
    }
    const window = this.window;
    if (!window || this.helloWaiter) return; // stale replies from before this session
    let outcome: ReturnType<SendWindow<Pending>['receive']>;
    try {
      outcome = window.receive(message, frame.seq, now());
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of outcome.retransmit) this.writeBytes(f);
    if (message.type === 'PONG' && !this.onProbeAnswered(window, frame.seq)) return;
    if (outcome.retransmit.length > 0) this.sendProbe();
    for (const c of outcome.completed) {
      this.inFlight.delete(c.tag);
      this.congestionWindow = Math.min(this.hello!.window, this.congestionWindow + 1 / this.congestionWindow);
      c.tag.resolve(c);
    }
    this.pump();
  }

  // ---- send ----

  /** Sends a sequenced request once a window slot is free; resolves with its completion. */
  private request(message: RequestMessage): Promise<Completion<Pending>> {
    if (this.failureError) return Promise.reject(this.failureError);
    if (this.closed) return Promise.reject(new SessionClosedError());
    return new Promise<Completion<Pending>>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const window = this.window;
    if (window && !this.failureError) {
      while (this.queue.length > 0 && this.canSendNow(window)) {
        const pending = this.queue.shift()!;
        let frame: Uint8Array;
        try {
          frame = window.send(pending.message, pending, now()).frame;
        } catch (err) {
          pending.reject(err as Error); // a bad field (TypeError): only this request fails
          continue;
        }
        this.inFlight.add(pending);
        this.writeBytes(frame);
      }
      this.armRetransmit();
    }
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }

  private canSendNow(window: SendWindow<Pending>): boolean {
    return window.canSend() && this.inFlight.size < Math.floor(this.congestionWindow);
  }

  /** Resolves when a new request would be sent at once (nothing queued, a window slot free). */
  private whenSendable(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failureError) reject(this.failureError);
        else if (this.queue.length === 0 && this.canSendNow(this.window!)) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  /** Resolves when every request sent so far is answered. */
  async drain(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failureError) reject(this.failureError);
        else if (this.queue.length === 0 && this.inFlight.size === 0) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  /**
   * Queues bytes for the device. Frames queued in one turn of the event loop
   * go out in one write (fewer syscalls and wake-ups on both sides), in order.
   */
  private writeBytes(bytes: Uint8Array): void {
    this.outgoing.push(bytes);
    if (this.outgoing.length === 1) queueMicrotask(this.flushOutgoing);
  }

  private readonly flushOutgoing = (): void => {
    const parts = this.outgoing.splice(0);
    if (parts.length === 0 || this.closed) return;
    let bytes = parts[0]!;
    if (parts.length > 1) {
      bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
    }
    this.transport.write(bytes).catch((err: Error) => {
      if (this.closed) return;
      // A failed write usually means the link is going away; its `close` event
      // says why (exit code, unplugged), so give it a moment to arrive first.
      setTimeout(() => {
        this.fail(new DeviceDisconnectedError(`cannot write to ${this.transport.description}: ${err.message}`, { cause: err }));
      }, 300);
    });
  };

  private armRetransmit(): void {
    const window = this.window!;
    const t = now();
    const wait = window.nextDeadline(t);
    if (wait === Infinity) return;
    const at = t + wait;
    if (this.retransmitTimer !== undefined && this.retransmitAt <= at) return; // fires early and re-arms
    clearTimeout(this.retransmitTimer);
    this.retransmitAt = at;
    this.retransmitTimer = setTimeout(() => this.onRetransmitTimer(), Math.max(1, Math.ceil(wait)));
  }

  private onRetransmitTimer(): void {
    this.retransmitTimer = undefined;
    this.retransmitAt = Infinity;
    if (this.failureError || !this.window) return;
    try {
      const resent = this.window.poll(now());
      if (resent.length > 0) {
        this.congestionEvents++;
        this.congestionWindow = Math.max(1, Math.min(this.congestionWindow, this.inFlight.size) / 2);
      }
      for (const frame of resent) this.writeBytes(frame);
      if (resent.length > 0) {
        this.probeTag = undefined; // a timer ran out: the last probe (or its PONG) was lost too
        this.sendProbe();
      }
    } catch (err) {
      const silent = now() - this.lastHeard;
      this.fail(err instanceof ProtocolError && err.code === ErrorCode.TIMEOUT
        ? new DeviceTimeoutError(`the device stopped answering on ${this.transport.description}: ${err.message}`, 'request', silent, { cause: err })
        : err as Error);
      return;
    }
    this.armRetransmit();
  }

  private startHeartbeat(): void {
    const idle = checkPositive('heartbeatIdleMs', this.options.heartbeatIdleMs, 1000);
    const misses = this.options.heartbeatMisses ?? 3;
    if (!Number.isInteger(misses) || misses < 1) throw new TypeError(`options.heartbeatMisses must be a positive integer, got ${misses}`);
    const tick = Math.max(5, Math.min(250, idle / 4));
    this.heartbeatTimer = setInterval(() => {
      if (this.failureError || this.closed) return;
      const t = now();
      if (t - this.lastHeard < idle || t - this.lastPingAt < idle) return;
      if (this.missedPings >= misses) {
        this.fail(new DeviceTimeoutError(
          `the device stopped answering on ${this.transport.description}: nothing received for ${Math.round(t - this.lastHeard)} ms and ${misses} PINGs unanswered. Check that it is powered and connected, and whether it crashed`,
          'heartbeat', t - this.lastHeard));
        return;
      }
      this.missedPings++;
      this.sendPing();
    }, tick);
  }

  private sendPing(): number {
    const tag = this.tag();
    this.lastPingAt = now();
    this.pingsSent++;
    if (this.window) {
      this.probeMarks.set(tag, this.window.probeMark());
      if (this.probeMarks.size > 64) this.probeMarks.delete(this.probeMarks.keys().next().value!); // PONGs lost long ago
    }
    this.writeBytes(encodeMessage({ type: 'PING' }, tag));
    return tag;
  }

  /**
   * A PING right behind retransmitted frames: its PONG (the device's next expected
   * seq, after everything before it) tells within one round trip whether they got
   * through, instead of a retransmission timeout (SendWindow.probed). One at a time;
   * a lost probe leaves the timers to recover.
   */
  private sendProbe(): void {
    if (this.failureError || this.closed) return;
    if (this.probeTag !== undefined) {
      this.probeWanted = true; // its PONG cannot speak for frames written after it
      return;
    }
    this.probeWanted = false;
    this.probeTag = this.sendPing();
  }

  /**
   * Resend what a PONG proves lost; a proven loss halves the requests let into
   * flight, as a timeout does (a real UART overruns its RX ring on bursts), but
   * without the timeout's backoff. False when that ended the session.
   */
  private onProbeAnswered(window: SendWindow<Pending>, tag: number): boolean {
    const mark = this.probeMarks.get(tag);
    this.probeMarks.delete(tag);
    const wasProbe = tag === this.probeTag;
    if (wasProbe) this.probeTag = undefined;
    if (mark === undefined) return true;
    let resent: Uint8Array[];
    try {
      resent = window.probed(mark, now());
    } catch (err) {
      this.fail(err instanceof ProtocolError && err.code === ErrorCode.TIMEOUT
        ? new LinkTooLossyError(`the link to ${this.transport.description} loses too many frames: ${err.message}. `
          + 'The device answers, so it is the link: check the cable and baud rate, or send smaller frames (--encoding int8)',
          err.seq ?? -1, err.detail, { cause: err })
        : err as Error);
      return false;
    }
    for (const f of resent) this.writeBytes(f);
    if (resent.length > 0) {
      this.congestionWindow = Math.max(1, Math.min(this.congestionWindow, this.inFlight.size) / 2);
    }
    if (resent.length > 0 || (wasProbe && this.probeWanted)) this.sendProbe();
    this.armRetransmit();
    return true;
  }

  // ---- failure and close ----

  private fail(error: Error): void {
    if (this.failureError) return;
    this.failureError = error;
    this.stopTimers();
    const pending = [...this.queue.splice(0), ...this.inFlight];
    this.inFlight.clear();
    for (const p of pending) p.reject(error);
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
    this.pongWaiters.clear();
    if (!this.closed) {
      this.closed = true;
      this.detach();
      void this.transport.close().catch(() => undefined);
    }
  }

  private stopTimers(): void {
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private detach(): void {
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
  }

  /**
   * Ends the session and closes the transport. Pending calls reject with
   * SessionClosedError; call drain() first to let them finish. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    const error = new SessionClosedError('the session was closed while this request was pending');
    if (!this.failureError) {
      this.failureError = error;
      const pending = [...this.queue.splice(0), ...this.inFlight];
      this.inFlight.clear();
      for (const p of pending) p.reject(error);
      const waiters = this.waiters.splice(0);
      for (const w of waiters) w();
    }
    this.detach();
    await this.transport.close();
  }

  // ---- replies to errors ----

  /** The typed error for a device ERROR reply: learner codes -> LearnerError, others -> ProtocolError. */
  private replyError(reply: MessageOf<'ERROR'>, seq: number): Error {
    if (reply.code >= LEARNER_CODE_MIN && reply.code <= LEARNER_CODE_MAX) {
      const error = learnerError(reply.code, reply.detail);
      if (error instanceof ArenaTooSmallError && this.hello) {
        return new ArenaTooSmallError(
          `${error.message} (device ${this.hello.runtime} reported ${this.hello.arenaFree} bytes of arena free in HELLO; the model needs ${reply.detail})`,
          error.code, error.detail, error.bytesNeeded);
      }
      return error;
    }
    return errorFromMessage(reply, seq);
  }

  private expectReply<T extends Message['type']>(c: Completion<Pending>, type: T): MessageOf<T> | null {
    if (c.outcome === 'reply-lost') {
      this.repliesLost++;
      return null;
    }
    const reply = c.reply!;
    if (reply.type === 'ERROR') throw this.replyError(reply, c.seq);
    if (reply.type !== type) {
      throw new ProtocolError(ErrorCode.MALFORMED, undefined, {
        seq: c.seq, context: `expected ${type} in reply to ${c.tag.message.type}, got ${reply.type}`,
      });
    }
    return reply as MessageOf<T>;
  }

  // ---- public operations ----

  /**
   * Configures the learner on the device. Refuses on the host (ArenaTooSmallError)
   * a model whose parameters and optimizer state alone exceed HELLO.arenaFree;
   * the device refuses anything else that does not fit, with the numbers.
   * A raw blob (e.g. from a checkpoint file) skips the host-side checks.
   */
  async configure(config: LearnerConfig | Uint8Array): Promise<ConfigureResult> {
    let blob: Uint8Array;
    let resolved: ResolvedConfig | null = null;
    if (config instanceof Uint8Array) {
      blob = config;
    } else {
      blob = encodeConfig(config);
      resolved = resolveConfig(config);
      const need = arenaLowerBound(config);
      const free = this.hello!.arenaFree;
      if (need.bytes > free) {
        throw new ArenaTooSmallError(
          `the model needs at least ${need.bytes} bytes for its ${need.params} parameters and ${resolved.optimizer} state, but the device (${this.hello!.runtime}) has ${free} bytes of arena free (HELLO): use fewer or narrower layers, or optimizer "sgd"`,
          LearnerStatus.ARENA_TOO_SMALL, need.bytes, need.bytes);
      }
    }
    await this.drain();
    const c = await this.request({ type: 'CONFIGURE', config: blob });
    this.resolved = null;
    const ok = this.expectReply(c, 'CONFIG_OK');
    this.resolved = resolved;
    this.rawConfig = resolved ? { ...resolved } : { blobBytes: blob.length };
    this.deviceStep = 0;
    await this.record({
      type: 'meta', t: Date.now(), config: this.rawConfig, device: { ...this.hello!, transport: this.transport.description },
      arenaUsed: ok?.arenaUsed ?? null,
    });
    return { arenaUsed: ok?.arenaUsed ?? null, arenaFree: ok?.arenaFree ?? null };
  }

  private sampleMessage<T extends 'SAMPLE' | 'INFER'>(type: T, inputs: Float32Array, label: number, kind: 'positive' | 'negative' | 'unlabelled'): RequestMessage {
    if (!(inputs instanceof Float32Array)) throw new TypeError('sample.inputs must be a Float32Array');
    const width = this.encoding === 'f32' ? 4 : this.encoding === 'int16' ? 2 : 1;
    const bytes = 12 + inputs.length * width;
    const max = this.hello!.maxPayload;
    if (bytes > max) {
      // The device would drop the frame unanswered (FRAME_TOO_LARGE): refuse it here, with the numbers.
      throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, undefined, {
        detail: max, context: `a ${type} of ${inputs.length} ${this.encoding} values is ${bytes} bytes${width > 1 ? '; try encoding int8 or int16' : ''}`,
      });
    }
    if (this.encoding === 'f32') return { type, kind, label, encoding: 'f32', values: inputs };
    return { type, kind, label, ...quantize(inputs, this.encoding) };
  }

  /** Trains one sample; resolves with its goodness record. Prefer trainStream() for throughput. */
  async train(sample: Sample): Promise<TrainResult> {
    return this.submitTrain(sample, this.samplesSubmitted++);
  }

  private async submitTrain(sample: Sample, index: number): Promise<TrainResult> {
    const label = Number.isInteger(sample.label) && sample.label >= 0 ? sample.label : -1;
    const message = this.sampleMessage('SAMPLE', sample.inputs, label, label >= 0 ? 'positive' : 'unlabelled');
    const c = await this.request(message);
    const goodness = this.expectReply(c, 'GOODNESS');
    this.samplesTrained++;
    if (goodness) this.deviceStep = Math.max(this.deviceStep, goodness.step);
    return { index, seq: c.seq, label, step: goodness?.step ?? null, layers: goodness?.layers ?? null };
  }

  private async logTrain(result: TrainResult): Promise<void> {
    if (!this.log || !result.layers) return;
    const record: TrainRecord & { sample: number } = {
      type: 'train', t: Date.now(), seq: result.seq, step: result.step!, label: result.label,
      layers: result.layers.map(layerRecord), sample: result.index,
    };
    await this.record(record);
  }

  private async record(record: LogRecord): Promise<void> {
    if (this.log) await this.log.append(record);
  }

  /**
   * Streams samples to the device, up to W in flight. Results are reported
   * (onResult) and logged in submission order. Resolves once every sample
   * sent is answered. A refused sample rejects the stream (after the samples
   * in flight are answered) unless onRefused is 'skip'.
   */
  async trainStream(samples: Iterable<Sample> | AsyncIterable<Sample>, options: StreamOptions = {}): Promise<StreamSummary> {
    const limit = options.limit ?? Infinity;
    if (!(limit >= 0)) throw new TypeError(`options.limit must be >= 0, got ${options.limit}`);
    const onRefused = options.onRefused ?? 'throw';
    const started = now();
    const done = new Map<number, TrainResult | Error>();
    const first = this.samplesSubmitted;
    let next = first;
    let submitted = 0;
    let trained = 0;
    let refused = 0;
    let lost = 0;
    let firstRefusal: Error | undefined;
    let logError: Error | undefined;
    const flush = (): void => {
      for (let r = done.get(next); r !== undefined; r = done.get(next)) {
        done.delete(next);
        next++;
        if (r instanceof Error) continue;
        options.onResult?.(r);
        this.logTrain(r).catch((err: Error) => { logError ??= err; });
      }
    };
    const inflight = new Set<Promise<void>>();
    const iterator = (Symbol.asyncIterator in samples
      ? (samples as AsyncIterable<Sample>)[Symbol.asyncIterator]()
      : (samples as Iterable<Sample>)[Symbol.iterator]()) as AsyncIterator<Sample> | Iterator<Sample>;
    try {
      while (submitted < limit && !options.signal?.aborted && firstRefusal === undefined && !logError) {
        await this.whenSendable();
        const step = await iterator.next();
        if (step.done) break;
        const index = this.samplesSubmitted++;
        submitted++;
        const p = this.submitTrain(step.value, index).then((result) => {
          trained++;
          if (result.layers === null) lost++;
          done.set(index, result);
        }, (err: Error) => {
          if (this.failureError) throw err;
          refused++;
          if (onRefused === 'throw') firstRefusal ??= err;
          done.set(index, err);
        }).finally(() => {
          inflight.delete(p);
          flush();
        });
        inflight.add(p);
        p.catch(() => undefined);
      }
    } finally {
      await iterator.return?.();
    }
    await Promise.all(inflight);
    if (firstRefusal) throw firstRefusal;
    if (logError) throw logError;
    return {
      submitted, trained, refused, repliesLost: lost, step: this.deviceStep, seconds: (now() - started) / 1000,
    };
  }

  /** Predicts one input: by goodness over candidate labels, or by the softmax head. */
  async infer(inputs: Float32Array, mode: PredictMode = 'goodness'): Promise<PredictionResult> {
    if (mode !== 'goodness' && mode !== 'head') throw new TypeError(`mode must be 'goodness' or 'head', got ${JSON.stringify(mode)}`);
    for (;;) {
      // INFER kind: 0 (positive) = by goodness, 1 (negative) = by the head (docs/protocol.md §5.3).
      const c = await this.request(this.sampleMessage('INFER', inputs, -1, mode === 'goodness' ? 'positive' : 'negative'));
      const p = this.expectReply(c, 'PREDICTION');
      if (p) return { label: p.label, scores: Float32Array.from(p.scores) };
      // Reply lost after the device answered: INFER changes nothing, ask again.
    }
  }

  /**
   * Accuracy over labelled samples (INFER, pipelined; unlabelled ones are
   * skipped). Waits for training in flight first, so the result belongs to
   * step `step`. Writes an `eval` record unless `log: false`.
   */
  async evaluate(samples: Iterable<Sample> | AsyncIterable<Sample>, options: {
    mode?: PredictMode; limit?: number; onProgress?: (done: number) => void; log?: boolean;
  } = {}): Promise<EvalResult> {
    const mode = options.mode ?? 'goodness';
    const limit = options.limit ?? Infinity;
    await this.drain();
    const classes = this.resolved?.classes ?? 0;
    const seen = new Array<number>(classes).fill(0);
    const right = new Array<number>(classes).fill(0);
    let n = 0;
    let correct = 0;
    let firstError: Error | undefined;
    const inflight = new Set<Promise<void>>();
    for await (const sample of samples as AsyncIterable<Sample>) {
      if (n >= limit || firstError) break;
      const label = sample.label;
      if (!(Number.isInteger(label) && label >= 0)) continue; // accuracy needs a label
      await this.whenSendable();
      n++;
      const p = this.infer(sample.inputs, mode).then((prediction) => {
        if (label >= 0 && label < classes) seen[label]!++;
        if (prediction.label === label) {
          correct++;
          if (label >= 0 && label < classes) right[label]!++;
        }
      }, (err: Error) => { firstError ??= err; }).finally(() => {
        inflight.delete(p);
        options.onProgress?.(n - inflight.size);
      });
      inflight.add(p);
    }
    await Promise.all(inflight);
    if (firstError) throw firstError;
    const result: EvalResult = {
      step: this.deviceStep, accuracy: n > 0 ? correct / n : 0, n, correct, mode,
      perClass: seen.map((s, i) => (s > 0 ? right[i]! / s : null)),
    };
    if (options.log !== false) {
      await this.record({ type: 'eval', t: Date.now(), step: result.step, accuracy: result.accuracy, n, perClass: result.perClass, mode } as LogRecord);
    }
    return result;
  }

  /** Downloads the weights in chunks and checks their CRC-32. */
  async getCheckpoint(onProgress?: (bytes: number, total: number) => void): Promise<Checkpoint> {
    await this.drain();
    const fetch = async (offset: number, maxLength: number): Promise<MessageOf<'CHECKPOINT_DATA'>> => {
      for (;;) {
        const c = await this.request({ type: 'CHECKPOINT_GET', offset, maxLength });
        const d = this.expectReply(c, 'CHECKPOINT_DATA');
        if (d) return d; // a lost reply: CHECKPOINT_GET is idempotent, ask again
      }
    };
    const head = await fetch(0, 0xffff);
    const { total, blobCrc } = head;
    const weights = new Uint8Array(total);
    weights.set(head.data, 0);
    const chunk = head.data.length;
    if (chunk === 0 && total > 0) throw new ProtocolError(ErrorCode.MALFORMED, undefined, { context: 'CHECKPOINT_DATA with an empty chunk' });
    let received = chunk;
    onProgress?.(received, total);
    let firstError: Error | undefined;
    const inflight = new Set<Promise<void>>();
    for (let offset = chunk; offset < total && !firstError; offset += chunk) {
      await this.whenSendable();
      const want = Math.min(chunk, total - offset);
      const p = fetch(offset, want).then((d) => {
        if (d.total !== total || d.blobCrc !== blobCrc || d.offset !== offset || d.data.length !== want) {
          throw new ProtocolError(ErrorCode.CHECKPOINT_CRC, undefined, {
            context: `chunk at ${offset} does not belong to the same weights (did training run during the download?)`,
          });
        }
        weights.set(d.data, offset);
        received += d.data.length;
        onProgress?.(received, total);
      }).catch((err: Error) => { firstError ??= err; }).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    if (firstError) throw firstError;
    const crc = crc32(weights);
    if (crc !== blobCrc) {
      throw new ProtocolError(ErrorCode.CHECKPOINT_CRC, undefined, {
        context: `downloaded weights have CRC-32 ${crc.toString(16)}, the device says ${blobCrc.toString(16)}`,
      });
    }
    return { weights, crc };
  }

  /** Uploads weights (from getCheckpoint) for the configured model; applied whole or not at all. */
  async putCheckpoint(weights: Uint8Array, onProgress?: (bytes: number, total: number) => void): Promise<void> {
    if (!(weights instanceof Uint8Array)) throw new TypeError('weights must be a Uint8Array');
    await this.drain();
    const total = weights.length;
    const blobCrc = crc32(weights);
    const chunk = this.hello!.maxPayload - 12;
    let firstError: Error | undefined;
    let sent = 0;
    const inflight = new Set<Promise<void>>();
    for (let offset = 0; offset < total || (total === 0 && offset === 0); offset += chunk) {
      if (firstError) break;
      await this.whenSendable();
      const data = weights.subarray(offset, Math.min(total, offset + chunk));
      const p = this.request({ type: 'CHECKPOINT_PUT', offset, total, blobCrc, data }).then((c) => {
        this.expectReply(c, 'ACK');
        sent += data.length;
        onProgress?.(sent, total);
      }).catch((err: Error) => { firstError ??= err; }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (total === 0) break;
    }
    await Promise.all(inflight);
    if (firstError) throw firstError;
  }

  /** Returns the device's learner to "not configured". */
  async reset(): Promise<void> {
    await this.drain();
    const c = await this.request({ type: 'RESET' });
    this.expectReply(c, 'ACK');
    this.resolved = null;
    this.deviceStep = 0;
  }

  /**
   * PING until a PONG arrives (re-sent every heartbeat interval); resolves with
   * the device's frame counters. Rejects with DeviceTimeoutError after
   * heartbeatMisses + 1 tries.
   */
  async ping(): Promise<DeviceCounters> {
    if (this.failureError) throw this.failureError;
    const idle = this.options.heartbeatIdleMs ?? 1000;
    const tries = (this.options.heartbeatMisses ?? 3) + 1;
    for (let i = 0; i < tries; i++) {
      const tag = this.sendPing();
      const pong = await new Promise<MessageOf<'PONG'> | null>((resolve, reject) => {
        let settled = false;
        const settle = (value: MessageOf<'PONG'> | null, error?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.pongWaiters.delete(tag);
          if (error) reject(error);
          else resolve(value);
        };
        const timer = setTimeout(() => settle(null), idle);
        this.pongWaiters.set(tag, (m) => settle(m));
        const onFail = (): void => {
          if (settled) return;
          if (this.failureError) settle(null, this.failureError);
          else this.waiters.push(onFail);
        };
        this.waiters.push(onFail);
      });
      if (pong) return this.deviceCounters!;
    }
    const error = new DeviceTimeoutError(`the device did not answer ${tries} PINGs on ${this.transport.description}`, 'ping', now() - this.lastHeard);
    this.fail(error);
    throw error;
  }

  /** The link counters as a `link` log record (cumulative since connect). */
  linkRecord(): LinkRecord {
    const s = this.linkStats;
    const d = s.device ?? { badCrc: 0, malformed: 0, tooLarge: 0 };
    return {
      type: 'link', t: Date.now(),
      framesDropped: s.host.badCrc + s.host.malformed + s.host.tooLarge + d.badCrc + d.malformed + d.tooLarge,
      crcErrors: s.host.badCrc + d.badCrc,
      retransmits: s.retransmits,
      duplicates: s.duplicates,
    };
  }

  /** Refreshes the device's counters (PING) and writes a `link` record; returns it. */
  async logLinkStats(): Promise<LinkRecord> {
    await this.ping();
    const record = this.linkRecord();
    const s = this.linkStats;
    await this.record({ ...record, repliesLost: s.repliesLost, hostDropped: s.host, deviceDropped: s.device } as LogRecord);
    return record;
  }
}
