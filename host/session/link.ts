// The reliable link under the session: handshake, windowed send, receive,
// retransmission, heartbeat, probes, and the one way it ends. It knows frames
// and sequence numbers, not what a request means (session.ts does).
// Spec: docs/protocol.md §6 (reliable delivery) and §6.4 (host timeouts).
//
//   open      open the transport, flush with 0x00, HELLO_REQUEST every 500 ms
//             until HELLO; check the protocol version; window W from HELLO
//   request   up to W in flight (SendWindow): retransmit on timeout, go-back-N
//             on a gap ACK, a probe PING behind every retransmission whose
//             PONG shows what was lost (no waiting out a timer while the
//             device answers), duplicates answered from the device's reply
//             cache, so every request is applied exactly once and the host
//             knows which were
//             while the link has shown loss recently, new transmissions get
//             a probe too: a lost first copy is then found within a round
//             trip, not by the retransmission timer
//   heartbeat driven only by what the device sends: a PING after
//             `heartbeatIdleMs` with no valid frame from it, and again every
//             as long; nothing received for heartbeatIdleMs x heartbeatMisses
//             (3 s by default) = the device is gone (DeviceTimeoutError),
//             counted from when the host's own queued bytes have crossed the
//             link (bytesPerSecond: 3 KB at 9600 baud is 3.2 s on the wire)
//
// A fatal problem (timeout, disconnect, version mismatch, desync) ends the
// link: every pending and later request rejects with that error and the
// transport is closed. end() is the one place that rejects what is pending,
// for a failure and for close() alike. Time and timers come from a Clock, so
// tests drive the link without waiting (link.test.ts).
//
// Non-goals: reconnecting by itself (a fatal error ends the link), several
// links on one transport.

import {
  CRC_BYTES,
  decodeMessage,
  Deframer,
  encodeMessage,
  ErrorCode,
  errorFromMessage,
  HEADER_BYTES,
  MAX_PAYLOAD,
  PROTOCOL_VERSION,
  ProtocolError,
  SendWindow,
  type Completion,
  type Frame,
  type Message,
  type MessageOf,
  type RequestMessage,
} from '../protocol/index.js';
import type { Transport, TransportCloseInfo } from '../transport/transport.js';
import { DeviceDisconnectedError, DeviceTimeoutError, LinkTooLossyError, SessionClosedError } from './errors.js';
import type { DeviceCounters, DeviceInfo, LinkStats, SessionOptions } from './types.js';

/** A timer handle of a Clock. */
export type Timer = object;

/** Time (ms, monotonic) and timers of the link; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
  setInterval(callback: () => void, ms: number): Timer;
  clearInterval(timer: Timer | undefined): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};

/** The link's share of SessionOptions: timeouts and retries. */
export type LinkOptions = Omit<SessionOptions, 'log' | 'encoding'>;

/** A request waiting for a window slot or for its reply. */
export interface PendingRequest {
  message: RequestMessage;
  resolve: (completion: RequestCompletion) => void;
  reject: (error: Error) => void;
}

/** How a request ended: its reply, or 'reply-lost' (applied, reply no longer cached). */
export type RequestCompletion = Completion<PendingRequest>;

/** ERRORs that end the session (docs/protocol.md §6.2, §7): the device did not consume the request, or it halted. */
const FATAL_DEVICE_ERRORS = new Set<number>([ErrorCode.UNKNOWN_TYPE, ErrorCode.VERSION_MISMATCH, ErrorCode.DEVICE_TRAP]);

/**
 * How long the link remembers a loss (a retransmission, a gap, a damaged
 * frame): within it every new transmission is followed by a probe PING, so a
 * lost first copy costs one round trip instead of a retransmission timeout.
 */
export const LOSS_MEMORY_MS = 2000;

/** Shortest wait for a probe's PONG before probing again (a pipe or pty answers in well under a ms). */
export const PROBE_MIN_MS = 5;

/** Bytes a frame of `payload` bytes takes on the wire: header, CRC, COBS overhead (1 per 254), the 0x00 (docs/protocol.md §2). */
export function wireBytes(payload: number): number {
  const body = HEADER_BYTES + payload + CRC_BYTES;
  return body + Math.ceil(body / 254) + 1;
}

/**
 * The heartbeat's deadline: how long nothing may be received from the device
 * before it is declared gone. `silenceMs` (heartbeatIdleMs x heartbeatMisses)
 * plus, on a slow link, the time one largest reply takes to arrive. The time
 * the host's own bytes keep the link busy meanwhile is added as it happens
 * (Link.wireBusyMs).
 */
export function heartbeatDeadlineMs(silenceMs: number, bytesPerSecond: number | undefined, maxReplyPayload: number): number {
  return silenceMs + (bytesPerSecond ? (1000 * wireBytes(maxReplyPayload)) / bytesPerSecond : 0);
}

/** Milliseconds `bytes` take to cross a link of `bytesPerSecond` (0 on a fast link). */
export function wireMs(bytes: number, bytesPerSecond: number | undefined): number {
  return bytesPerSecond ? (1000 * bytes) / bytesPerSecond : 0;
}

function checkPositive(name: string, v: number | undefined, fallback: number): number {
  const value = v ?? fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`options.${name} must be a positive number of ms, got ${v}`);
  return value;
}

export class Link {
  readonly transport: Transport;
  private readonly options: LinkOptions;
  private readonly clock: Clock;
  private readonly deframer = new Deframer();
  private readonly helloTags = new Set<number>();
  private nextTag = 1 + Math.floor(Math.random() * 0xfffe);
  private helloWaiter: ((hello: MessageOf<'HELLO'>) => void) | undefined;
  private readonly pongWaiters = new Map<number, (pong: MessageOf<'PONG'>) => void>();
  private window: SendWindow<PendingRequest> | undefined;
  private readonly queue: PendingRequest[] = [];
  private readonly outgoing: Uint8Array[] = [];
  private readonly inFlight = new Set<PendingRequest>();
  /**
   * Requests the link lets into flight, <= HELLO.window. A slow device
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
  private retransmitTimer: Timer | undefined;
  private retransmitAt = Infinity;
  private heartbeatTimer: Timer | undefined;
  /** Heartbeat PING interval and deadline (ms), set when the heartbeat starts. */
  private heartbeatIdle = 1000;
  private heartbeatDeadline = 3000;
  /** Of the link (options, else the transport's once open); undefined = fast. */
  private bytesPerSecond: number | undefined;
  /** Last valid frame from the device: the only thing that proves it alive. */
  private lastHeard: number;
  /** When the bytes the host has written so far will have crossed the link (bytesPerSecond). */
  private wireFreeAt = 0;
  /** Total time the host's bytes have kept the link busy (ms), and its value when the device was last heard. */
  private wireBusyMs = 0;
  private wireBusyAtHeard = 0;
  /** Host bytes still crossing when the device was last heard (ms). */
  private backlogAtHeard = 0;
  private lastPingAt = -Infinity;
  /** Since lastHeard: PINGs sent, bytes received that made no valid frame, and the counters then. */
  private pingsUnanswered = 0;
  private bytesUnframed = 0;
  private resentAtHeard = 0;
  private droppedAtHeard = 0;
  /** Last time the link showed loss: new transmissions are probed until LOSS_MEMORY_MS after it. */
  private lossSeenAt = -Infinity;
  /** Valid device messages received (what proves the device alive). */
  private framesHeard = 0;
  private deviceBadCrc = 0;
  /** PING tag -> SendWindow.probeMark() and the time it was written: its PONG proves what was lost. */
  private readonly probeMarks = new Map<number, { mark: number; at: number }>();
  /** PING -> PONG round trips (RFC 6298 smoothing; a PING's tag is unique, so no Karn ambiguity). */
  private pingSrtt = 0;
  private pingRttvar = 0;
  /** Re-probes in a row without a PONG (each doubles the wait), and the timer of the outstanding probe. */
  private probeMisses = 0;
  private probeTimer: Timer | undefined;
  /** Tag of the PING sent right after retransmissions, until its PONG (one at a time). */
  private probeTag: number | undefined;
  /** Frames were re-sent behind the outstanding probe: probe again when it is answered. */
  private probeWanted = false;
  private failureError: Error | undefined;
  private readonly unsettled: RequestMessage[] = [];
  private closed = false;
  private hello: DeviceInfo | undefined;
  private repliesLost = 0;
  private undecodable = 0;
  private pingsSent = 0;
  private deviceCounters: DeviceCounters | null = null;
  private deviceBaseline: DeviceCounters | null = null;
  private hostBaseline = { frames: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
  private readonly onData = (chunk: Uint8Array): void => {
    const heard = this.framesHeard;
    const dropped = this.droppedFrames();
    for (const frame of this.deframer.push(chunk)) this.onFrame(frame);
    if (this.framesHeard === heard) this.bytesUnframed += chunk.length; // garbage, or a frame still arriving
    if (this.droppedFrames() > dropped) this.lossSeen();
  };
  private readonly onClose = (info: TransportCloseInfo): void => {
    if (this.closed) return;
    const why = info.reason ?? info.error?.message ?? 'no reason given';
    this.fail(
      info.disconnected
        ? new DeviceDisconnectedError(
            `the link to the device went away (${this.transport.description}): ${why}. Check the device and the cable, then connect again`,
            { cause: info.error },
          )
        : new SessionClosedError(`the transport was closed under the session (${this.transport.description})`),
    );
  };

  constructor(transport: Transport, options: LinkOptions = {}, clock: Clock = realClock) {
    this.transport = transport;
    this.options = options;
    this.clock = clock;
    this.lastHeard = clock.now();
    const bps = options.bytesPerSecond;
    if (bps !== undefined && !(Number.isFinite(bps) && bps > 0)) throw new TypeError(`options.bytesPerSecond must be a positive number, got ${bps}`);
  }

  /** What the device reported in HELLO (undefined before open() resolves). */
  get device(): DeviceInfo | undefined {
    return this.hello;
  }

  /**
   * Requests that were on the wire when the link ended and that the device may
   * or may not have applied (rejected with the failure; at most W). Requests
   * it is known to have applied resolve as 'reply-lost' instead.
   */
  get inDoubt(): readonly RequestMessage[] {
    return this.unsettled;
  }

  /** The fatal error (or SessionClosedError) that ended the link, if any. */
  get failure(): Error | undefined {
    return this.failureError;
  }

  get stats(): LinkStats {
    const s = this.deframer.stats;
    const b = this.hostBaseline;
    const d = this.deviceCounters;
    const db = this.deviceBaseline ?? { framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
    return {
      host: { frames: s.frames - b.frames, badCrc: s.badCrc - b.badCrc, malformed: s.malformed - b.malformed, tooLarge: s.tooLarge - b.tooLarge },
      device: d && {
        framesOk: d.framesOk - db.framesOk,
        badCrc: d.badCrc - db.badCrc,
        malformed: d.malformed - db.malformed,
        tooLarge: d.tooLarge - db.tooLarge,
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

  // ---- handshake ----

  /**
   * Opens the transport (if it is not open yet) and shakes hands with the
   * device. Rejects with a TransportError (cannot open), DeviceTimeoutError
   * (no HELLO), ProtocolError VERSION_MISMATCH, or DeviceDisconnectedError.
   */
  async open(): Promise<void> {
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
    this.bytesPerSecond = this.options.bytesPerSecond ?? this.transport.bytesPerSecond;
    const started = this.clock.now();
    let timer: Timer | undefined;
    try {
      const hello = await new Promise<MessageOf<'HELLO'>>((resolve, reject) => {
        this.helloWaiter = resolve;
        this.waiters.push(() => {
          if (this.failureError) reject(this.failureError);
        });
        // One 0x00 ends any partial frame the device holds (docs/protocol.md §2).
        this.writeBytes(new Uint8Array([0]));
        const ask = (): void => {
          if (this.clock.now() - started >= handshakeTimeout) {
            reject(
              new DeviceTimeoutError(
                `no HELLO from the device within ${handshakeTimeout} ms on ${this.transport.description}: check that it runs the ff-edge device program, that the port and baud rate are right, and that nothing else uses the port`,
                'handshake',
                this.clock.now() - this.lastHeard,
              ),
            );
            return;
          }
          const tag = this.tag();
          this.helloTags.add(tag);
          this.writeBytes(encodeMessage({ type: 'HELLO_REQUEST' }, tag));
          timer = this.clock.setTimeout(ask, helloInterval);
        };
        ask();
      });
      this.accept(hello);
    } catch (err) {
      this.clock.clearTimeout(timer);
      this.fail(err as Error);
      throw err;
    }
    this.clock.clearTimeout(timer);
    this.helloWaiter = undefined;
    this.startHeartbeat();
    // Baseline of the device's drop counters, so link records count this session only.
    await this.ping();
    this.deviceBaseline = this.deviceCounters;
  }

  private accept(hello: MessageOf<'HELLO'>): void {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      throw new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, {
        detail: hello.protocolVersion,
        context: `HELLO from ${hello.runtime} announces protocol v${hello.protocolVersion}`,
      });
    }
    if (hello.window < 1) throw new ProtocolError(ErrorCode.MALFORMED, undefined, { context: 'HELLO window is 0' });
    this.hello = {
      protocolVersion: hello.protocolVersion,
      window: hello.window,
      maxPayload: Math.min(hello.maxPayload, MAX_PAYLOAD),
      arenaFree: hello.arenaFree,
      buildId: hello.buildId,
      runtime: hello.runtime,
    };
    const o = this.options;
    this.window = new SendWindow<PendingRequest>({
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
    let message: Message;
    try {
      message = decodeMessage(frame);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.VERSION_MISMATCH) {
        this.fail(
          new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, {
            detail: frame.version,
            seq: frame.seq,
            context: `the device sent a v${frame.version} frame (type 0x${frame.type.toString(16)})`,
          }),
        );
      } else {
        this.undecodable++;
      }
      return;
    }
    if ((frame.type & 0x80) === 0) {
      this.undecodable++; // our own request came back: a port with echo on
      return;
    }
    // A valid message from the device: the only thing the heartbeat counts as life.
    this.framesHeard++;
    this.lastHeard = this.clock.now();
    this.backlogAtHeard = Math.max(0, this.wireFreeAt - this.lastHeard);
    this.wireBusyAtHeard = this.wireBusyMs;
    this.pingsUnanswered = 0;
    this.bytesUnframed = 0;
    this.resentAtHeard = this.window?.retransmissions ?? 0;
    this.droppedAtHeard = this.droppedFrames();
    switch (message.type) {
      case 'HELLO':
        if (this.helloWaiter) {
          if (this.helloTags.has(frame.seq)) this.helloWaiter(message);
          return; // a boot HELLO before our reply: ours follows
        }
        if (this.helloTags.has(frame.seq)) return; // a late reply to a repeated HELLO_REQUEST
        this.fail(
          new ProtocolError(ErrorCode.LINK_DESYNC, undefined, {
            detail: message.nextExpected,
            context: `unprompted HELLO from ${message.runtime} mid-session`,
          }),
        );
        return;
      case 'PONG': {
        if (message.badCrc + message.malformed + message.tooLarge > this.deviceBadCrc) {
          if (this.deviceCounters) this.lossSeen(); // the device dropped damaged frames since the last PONG
          this.deviceBadCrc = message.badCrc + message.malformed + message.tooLarge;
        }
        this.deviceCounters = {
          framesOk: message.framesOk,
          badCrc: message.badCrc,
          malformed: message.malformed,
          tooLarge: message.tooLarge,
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
    let outcome: ReturnType<SendWindow<PendingRequest>['receive']>;
    try {
      outcome = window.receive(message, frame.seq, this.clock.now());
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of outcome.retransmit) this.writeBytes(f);
    if (outcome.retransmit.length > 0) this.lossSeen();
    if (message.type === 'PONG' && !this.onProbeAnswered(window, frame.seq)) return;
    if (outcome.retransmit.length > 0) this.sendProbe();
    for (const c of outcome.completed) {
      this.inFlight.delete(c.tag);
      this.congestionWindow = Math.min(this.hello!.window, this.congestionWindow + 1 / this.congestionWindow);
      if (c.outcome === 'reply-lost') this.repliesLost++;
      c.tag.resolve(c);
    }
    this.pump();
  }

  // ---- send ----

  /** Sends a sequenced request once a window slot is free; resolves with its completion. */
  request(message: RequestMessage): Promise<RequestCompletion> {
    if (this.failureError) return Promise.reject(this.failureError);
    if (this.closed) return Promise.reject(new SessionClosedError());
    return new Promise<RequestCompletion>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const window = this.window;
    if (window && !this.failureError) {
      let sent = 0;
      while (this.queue.length > 0 && this.canSendNow(window)) {
        const pending = this.queue.shift()!;
        let frame: Uint8Array;
        try {
          frame = window.send(pending.message, pending, this.clock.now()).frame;
        } catch (err) {
          pending.reject(err as Error); // a bad field (TypeError): only this request fails
          continue;
        }
        this.inFlight.add(pending);
        this.writeBytes(frame);
        sent++;
      }
      // On a link that lost something lately, a first copy is as likely lost as a
      // re-sent one: probe it too, so its loss shows within a round trip.
      if (sent > 0 && this.clock.now() - this.lossSeenAt < LOSS_MEMORY_MS) this.sendProbe();
      this.armRetransmit();
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
  }

  private canSendNow(window: SendWindow<PendingRequest>): boolean {
    return window.canSend() && this.inFlight.size < Math.floor(this.congestionWindow);
  }

  /** Resolves when a new request would be sent at once (nothing queued, a window slot free). */
  whenSendable(): Promise<void> {
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
    const crossing = wireMs(bytes.length, this.bytesPerSecond);
    this.wireFreeAt = Math.max(this.wireFreeAt, this.clock.now()) + crossing;
    this.wireBusyMs += crossing;
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
      this.clock.setTimeout(() => {
        this.fail(new DeviceDisconnectedError(`cannot write to ${this.transport.description}: ${err.message}`, { cause: err }));
      }, 300);
    });
  };

  // ---- retransmit ----

  private armRetransmit(): void {
    const window = this.window!;
    const t = this.clock.now();
    const wait = window.nextDeadline(t);
    if (wait === Infinity) return;
    const at = t + wait;
    if (this.retransmitTimer !== undefined && this.retransmitAt <= at) return; // fires early and re-arms
    this.clock.clearTimeout(this.retransmitTimer);
    this.retransmitAt = at;
    this.retransmitTimer = this.clock.setTimeout(() => this.onRetransmitTimer(), Math.max(1, Math.ceil(wait)));
  }

  private onRetransmitTimer(): void {
    this.retransmitTimer = undefined;
    this.retransmitAt = Infinity;
    if (this.failureError || !this.window) return;
    try {
      const resent = this.window.poll(this.clock.now());
      if (resent.length > 0) {
        this.lossSeen();
        this.congestionEvents++;
        this.congestionWindow = Math.max(1, Math.min(this.congestionWindow, this.inFlight.size) / 2);
      }
      for (const frame of resent) this.writeBytes(frame);
      if (resent.length > 0) {
        this.probeTag = undefined; // a timer ran out: the last probe (or its PONG) was lost too
        this.sendProbe();
      }
    } catch (err) {
      const t = this.clock.now();
      this.fail(
        err instanceof ProtocolError && err.code === ErrorCode.TIMEOUT
          ? new DeviceTimeoutError(
              `the device stopped answering on ${this.transport.description}: ${err.message}; ${this.silenceAccount(t)}`,
              'request',
              t - this.lastHeard,
              { cause: err },
            )
          : (err as Error),
      );
      return;
    }
    this.armRetransmit();
  }

  // ---- heartbeat and probes ----

  /**
   * The heartbeat listens, it does not count what the host sends: silence is
   * time since the last valid frame from the device, or since the host's own
   * queued bytes finished crossing the link if that is later (the device cannot
   * answer what it has not received). PING after heartbeatIdleMs of silence and
   * every heartbeatIdleMs after; silence of heartbeatIdleMs x heartbeatMisses
   * (plus one largest reply's time on the wire) ends the link. One timer, set
   * for the next thing due.
   */
  private startHeartbeat(): void {
    const idle = checkPositive('heartbeatIdleMs', this.options.heartbeatIdleMs, 1000);
    const misses = this.options.heartbeatMisses ?? 3;
    if (!Number.isInteger(misses) || misses < 1) throw new TypeError(`options.heartbeatMisses must be a positive integer, got ${misses}`);
    this.heartbeatIdle = idle;
    this.heartbeatDeadline = heartbeatDeadlineMs(idle * misses, this.bytesPerSecond, this.hello?.maxPayload ?? MAX_PAYLOAD);
    this.armHeartbeat(idle);
  }

  private armHeartbeat(ms: number): void {
    this.heartbeatTimer = this.clock.setTimeout(() => this.onHeartbeat(), Math.max(1, Math.ceil(ms)));
  }

  /**
   * Start of the current silence, as far as the device is to blame: the last
   * valid frame from it, moved on by the time the host's own bytes have kept
   * the link busy since (the device cannot answer what it has not received).
   * Nothing else the host does moves it.
   */
  private silentSince(): number {
    return this.lastHeard + this.hostWireMs();
  }

  /** Time the host's bytes have occupied the link since the device was last heard (0 on a fast link). */
  private hostWireMs(): number {
    return this.backlogAtHeard + this.wireBusyMs - this.wireBusyAtHeard;
  }

  private onHeartbeat(confirming = false): void {
    this.heartbeatTimer = undefined;
    if (this.failureError || this.closed) return;
    const t = this.clock.now();
    const since = this.silentSince();
    if (t - since >= this.heartbeatDeadline) {
      // Timers run before pending reads: when this process was busy (a loaded
      // machine), bytes may be waiting. Judge once more after they are read.
      if (!confirming) {
        setImmediate(() => this.onHeartbeat(true));
        return;
      }
      this.fail(
        new DeviceTimeoutError(
          `the device stopped answering on ${this.transport.description}: ${this.silenceAccount(t)}. Check that it is powered and connected, and whether it crashed or was reset`,
          'heartbeat',
          t - this.lastHeard,
        ),
      );
      return;
    }
    if (t - since >= this.heartbeatIdle && t - this.lastPingAt >= this.heartbeatIdle) this.sendPing();
    const nextPing = Math.max(since, this.lastPingAt) + this.heartbeatIdle;
    this.armHeartbeat(Math.min(nextPing, since + this.heartbeatDeadline) - t);
  }

  /** What went unanswered since the device was last heard, for DeviceTimeoutError messages. */
  private silenceAccount(t: number): string {
    const parts = [`nothing received from it for ${Math.round(t - this.lastHeard)} ms`];
    const wire = this.hostWireMs();
    if (wire > 0) parts[0] += ` (${Math.round(wire)} ms of it the host's bytes were still crossing at ${this.bytesPerSecond} B/s)`;
    const resent = (this.window?.retransmissions ?? 0) - this.resentAtHeard;
    parts.push(`${this.pingsUnanswered} PING${this.pingsUnanswered === 1 ? '' : 's'} and ${resent} re-sent request${resent === 1 ? '' : 's'} went unanswered`);
    const dropped = this.droppedFrames() - this.droppedAtHeard;
    if (this.bytesUnframed > 0) {
      parts.push(
        `${this.bytesUnframed} bytes arrived that made no valid frame${dropped > 0 ? ` (${dropped} damaged or undecodable frames)` : ''}: garbage on the line (wrong baud rate? a device printing text?)`,
      );
    } else {
      parts.push('no bytes at all arrived');
    }
    return parts.join('; ');
  }

  /** Frames the host's deframer dropped (bad CRC, malformed, too large) and CRC-valid ones it could not use. */
  private droppedFrames(): number {
    const s = this.deframer.stats;
    return s.badCrc + s.malformed + s.tooLarge + this.undecodable;
  }

  private lossSeen(): void {
    this.lossSeenAt = this.clock.now();
  }

  private sendPing(): number {
    const tag = this.tag();
    this.lastPingAt = this.clock.now();
    this.pingsSent++;
    this.pingsUnanswered++;
    if (this.window) {
      this.probeMarks.set(tag, { mark: this.window.probeMark(), at: this.clock.now() });
      if (this.probeMarks.size > 64) this.probeMarks.delete(this.probeMarks.keys().next().value!); // PONGs lost long ago
    }
    this.writeBytes(encodeMessage({ type: 'PING' }, tag));
    return tag;
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
          this.clock.clearTimeout(timer);
          this.pongWaiters.delete(tag);
          if (error) reject(error);
          else resolve(value);
        };
        const timer = this.clock.setTimeout(() => settle(null), idle);
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
    const error = new DeviceTimeoutError(
      `the device did not answer ${tries} PINGs on ${this.transport.description}: ${this.silenceAccount(this.clock.now())}`,
      'ping',
      this.clock.now() - this.lastHeard,
    );
    this.fail(error);
    throw error;
  }

  /**
   * A PING right behind retransmitted frames: its PONG (the device's next expected
   * seq, after everything before it) tells within one round trip whether they got
   * through, instead of a retransmission timeout (SendWindow.probed). One at a time.
   * A probe unanswered after a few PING round trips (probeWaitMs) was lost, or its
   * PONG was: probe again rather than sit out the retransmission timer (on a link
   * that damages 0.5% of bytes most of the time went there).
   */
  private sendProbe(): void {
    if (this.failureError || this.closed) return;
    if (this.probeTag !== undefined) {
      this.probeWanted = true; // its PONG cannot speak for frames written after it
      return;
    }
    this.probeWanted = false;
    const tag = this.sendPing();
    this.probeTag = tag;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = this.clock.setTimeout(
      () => {
        this.probeTimer = undefined;
        if (this.probeTag !== tag || this.failureError || this.closed || !this.window || this.window.inFlight === 0) return;
        this.probeMisses++;
        this.probeTag = undefined;
        this.sendProbe();
      },
      Math.max(1, Math.ceil(this.probeWaitMs())),
    );
  }

  /**
   * How long to wait for a probe's PONG: the PING round trip plus four deviations
   * (as RFC 6298 does for requests), doubled per probe lost in a row, plus the time
   * the host's queued bytes still take to cross; never longer than the request RTO,
   * which recovers anyway. Before any PONG was timed: the RTO.
   */
  private probeWaitMs(): number {
    const rto = this.window?.rtoMs ?? 1000;
    if (this.pingSrtt === 0) return rto;
    const wait = Math.max(PROBE_MIN_MS, this.pingSrtt + 4 * this.pingRttvar) * 2 ** this.probeMisses;
    return Math.min(rto, wait) + Math.max(0, this.wireFreeAt - this.clock.now());
  }

  private samplePingRtt(rtt: number): void {
    if (this.pingSrtt === 0) {
      this.pingSrtt = Math.max(rtt, 0.1);
      this.pingRttvar = rtt / 2;
    } else {
      this.pingRttvar = 0.75 * this.pingRttvar + 0.25 * Math.abs(this.pingSrtt - rtt);
      this.pingSrtt = 0.875 * this.pingSrtt + 0.125 * rtt;
    }
  }

  /**
   * Resend what a PONG proves lost; a proven loss halves the requests let into
   * flight, as a timeout does (a real UART overruns its RX ring on bursts), but
   * without the timeout's backoff. False when that ended the session.
   */
  private onProbeAnswered(window: SendWindow<PendingRequest>, tag: number): boolean {
    const sent = this.probeMarks.get(tag);
    this.probeMarks.delete(tag);
    const wasProbe = tag === this.probeTag;
    if (wasProbe) {
      this.probeTag = undefined;
      this.probeMisses = 0;
      this.clock.clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
    }
    if (sent === undefined) return true;
    this.samplePingRtt(this.clock.now() - sent.at);
    let resent: Uint8Array[];
    try {
      resent = window.probed(sent.mark, this.clock.now());
    } catch (err) {
      this.fail(
        err instanceof ProtocolError && err.code === ErrorCode.TIMEOUT
          ? new LinkTooLossyError(
              `the link to ${this.transport.description} loses too many frames: ${err.message}. ` +
                'The device answers, so it is the link: check the cable and baud rate, or send smaller frames (--encoding int8)',
              err.seq ?? -1,
              err.detail,
              { cause: err },
            )
          : (err as Error),
      );
      return false;
    }
    for (const f of resent) this.writeBytes(f);
    if (resent.length > 0) {
      this.lossSeen();
      this.congestionWindow = Math.max(1, Math.min(this.congestionWindow, this.inFlight.size) / 2);
    }
    if (resent.length > 0 || (wasProbe && this.probeWanted)) this.sendProbe();
    this.armRetransmit();
    return true;
  }

  // ---- failure and close ----

  /**
   * The one place the link ends: stops the timers, and every queued and
   * in-flight request, waiter and PING rejects with `error`. Later calls
   * reject with it too (failureError).
   */
  private end(error: Error): void {
    this.failureError = error;
    this.stopTimers();
    // In flight but before the device's nextExpected: applied for certain, only the
    // reply is missing. Not after a desync: a rebooted device's nextExpected says
    // nothing about what the old one applied (window.ts checkNotRebooted).
    const desync = error instanceof ProtocolError && error.code === ErrorCode.LINK_DESYNC;
    for (const { seq, tag } of desync ? [] : (this.window?.appliedUnanswered() ?? [])) {
      if (!this.inFlight.delete(tag)) continue;
      this.repliesLost++;
      tag.resolve({ seq, tag, outcome: 'reply-lost', reply: null });
    }
    for (const p of this.inFlight) this.unsettled.push(p.message);
    const pending = [...this.queue.splice(0), ...this.inFlight];
    this.inFlight.clear();
    for (const p of pending) p.reject(error);
    this.wake();
    this.pongWaiters.clear();
  }

  /** A fatal error: ends the link with it and closes the transport. */
  private fail(error: Error): void {
    if (this.failureError) return;
    this.end(error);
    if (!this.closed) {
      this.closed = true;
      this.detach();
      void this.transport.close().catch(() => undefined);
    }
  }

  private stopTimers(): void {
    this.clock.clearTimeout(this.retransmitTimer);
    this.retransmitTimer = undefined;
    this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private detach(): void {
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
  }

  /**
   * Ends the link and closes the transport. Pending requests reject with
   * SessionClosedError; call drain() first to let them finish. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Not closed yet means not failed yet either: fail() closes.
    this.end(new SessionClosedError('the session was closed while this request was pending'));
    this.detach();
    await this.transport.close();
  }
}
