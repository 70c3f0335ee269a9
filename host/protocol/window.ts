// Host side of reliable delivery (docs/protocol.md §6): a send window over the
// device's in-order sequence filter (assembly/protocol/link.ts). Pure state
// machine: no timers, no I/O — the caller passes `now` (ms) and writes the frames
// it returns. Non-goal: deciding what to send; that is the session's job.
//
// Guarantees, given a device that follows §6: every request is applied exactly
// once and in order; every reply is delivered once (or reported lost as
// 'reply-lost' when the device no longer holds it); the caller learns which
// requests were applied.

import { ErrorCode, ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';
import { encodePayload, isSequenced, MessageType, type Message } from './messages.js';

/** Signed distance a - b between wrapping u16 sequence numbers (RFC 1982). */
export function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

export function seqAdd(seq: number, n: number): number {
  return (seq + n) & 0xffff;
}

export interface SendWindowOptions {
  /** Requests in flight at most: HELLO.window of the device. */
  window: number;
  /** First sequence number: HELLO.nextExpected of the device. */
  firstSeq: number;
  /** Retransmission timeout before any RTT sample (default 1000 ms). */
  rtoInitialMs?: number;
  /** Lower bound of the adaptive timeout (default 200 ms; raise it for slow baud rates). */
  rtoMinMs?: number;
  /** Upper bound, also for the doubled timeout after retries (default 10000 ms). */
  rtoMaxMs?: number;
  /** Timeouts of one request before ProtocolError TIMEOUT (default 8). */
  maxRetries?: number;
  /**
   * Losses of one request in a row, each proven by a probe the device answered
   * (probed()), before ProtocolError TIMEOUT (default 100): the device is alive
   * but the link delivers too few frames of that size.
   */
  maxLosses?: number;
}

export type RequestMessage = Extract<
  Message,
  {
    type: 'CONFIGURE' | 'SAMPLE' | 'INFER' | 'CHECKPOINT_GET' | 'CHECKPOINT_PUT' | 'RESET' | 'SAMPLE_PART' | 'INFER_PART';
  }
>;

export interface Completion<T> {
  seq: number;
  tag: T;
  /**
   * 'replied': `reply` is the device's answer (an ERROR reply means the request
   * was consumed but not applied). 'reply-lost': the device applied it but no
   * longer holds the reply (ACK duplicate-uncached).
   */
  outcome: 'replied' | 'reply-lost';
  reply: Message | null;
}

interface Entry<T> {
  seq: number;
  tag: T;
  frame: Uint8Array;
  firstSentAt: number;
  lastSentAt: number;
  /** Order of its last write among everything this window wrote (probed() compares it). */
  lastSentSerial: number;
  /** Timer expiries in a row without word from the device: backoff and maxRetries. */
  timeouts: number;
  /** Losses proven by probes in a row (the device answered, this never arrived). */
  losses: number;
  retransmitted: boolean;
}

export class SendWindow<T = unknown> {
  private readonly window: number;
  private readonly rtoMin: number;
  private readonly rtoMax: number;
  private readonly maxRetries: number;
  private readonly maxLosses: number;
  private sendSerial = 0;
  private readonly entries: Entry<T>[] = []; // unanswered, ascending seq
  private next: number;
  private acked: number; // device's next expected, as far as we know
  private srtt = 0;
  private rttvar = 0;
  private rto: number;
  /** Replies for requests already completed (harmless duplicates), for diagnostics. */
  duplicateReplies = 0;
  retransmissions = 0;
  /** Requests a probe proved lost (probed()). */
  probedLosses = 0;

  constructor(options: SendWindowOptions) {
    if (!Number.isInteger(options.window) || options.window < 1 || options.window > 255) {
      throw new TypeError(`window must be an integer in 1..255 (HELLO.window), got ${options.window}`);
    }
    if (!Number.isInteger(options.firstSeq) || options.firstSeq < 0 || options.firstSeq > 0xffff) {
      throw new TypeError(`firstSeq must be a u16 (HELLO.nextExpected), got ${options.firstSeq}`);
    }
    this.window = options.window;
    this.next = options.firstSeq;
    this.acked = options.firstSeq;
    this.rto = options.rtoInitialMs ?? 1000;
    this.rtoMin = options.rtoMinMs ?? 200;
    this.rtoMax = options.rtoMaxMs ?? 10000;
    this.maxRetries = options.maxRetries ?? 8;
    this.maxLosses = options.maxLosses ?? 100;
  }

  /** Sequence number the next send() gets. */
  get nextSeq(): number {
    return this.next;
  }
  /** The device's next expected sequence number, as acknowledged so far. */
  get deviceNextExpected(): number {
    return this.acked;
  }
  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.entries.length;
  }
  /**
   * Requests the device has applied (they lie before its nextExpected) whose
   * replies have not arrived yet, oldest first.
   */
  appliedUnanswered(): { seq: number; tag: T }[] {
    return this.entries.filter((e) => seqDiff(e.seq, this.acked) < 0).map((e) => ({ seq: e.seq, tag: e.tag }));
  }

  /** Current retransmission timeout (before backoff). */
  get rtoMs(): number {
    return this.rto;
  }

  /** True when a new request fits: its seq is within `window` of the oldest unanswered one. */
  canSend(): boolean {
    const oldest = this.entries[0];
    return oldest === undefined || seqDiff(this.next, oldest.seq) < this.window;
  }

  /** Number and encode a request; write the returned frame to the link. */
  send(message: RequestMessage, tag: T, now: number): { seq: number; frame: Uint8Array } {
    if (!this.canSend()) throw new RangeError('send window is full: wait for replies (canSend() is false)');
    const seq = this.next;
    const frame = encodeFrame(MessageType[message.type], seq, encodePayload(message));
    this.entries.push({
      seq,
      tag,
      frame,
      firstSentAt: now,
      lastSentAt: now,
      lastSentSerial: ++this.sendSerial,
      timeouts: 0,
      losses: 0,
      retransmitted: false,
    });
    this.next = seqAdd(seq, 1);
    return { seq, frame };
  }

  /**
   * Feed every decoded device frame (header seq + message). Returns requests now
   * complete and frames to retransmit at once. HELLO is ignored here. Throws
   * ProtocolError LINK_DESYNC if the device acknowledges something never sent.
   */
  receive(message: Message, seq: number, now: number): { completed: Completion<T>[]; retransmit: Uint8Array[] } {
    const completed: Completion<T>[] = [];
    const retransmit: Uint8Array[] = [];
    switch (message.type) {
      case 'HELLO':
        break;
      case 'PONG':
        this.cumulative(message.nextExpected);
        break;
      case 'ACK':
        if (message.reason === 'gap') {
          this.cumulative(message.nextExpected);
          this.goBack(message.nextExpected, now, retransmit);
        } else if (message.reason === 'duplicate-uncached') {
          this.checkNotRebooted(seq, message.nextExpected);
          this.cumulative(message.nextExpected);
          this.complete(seq, 'reply-lost', null, now, completed, retransmit);
        } else {
          this.complete(seq, 'replied', message, now, completed, retransmit);
        }
        break;
      case 'ERROR':
        // VERSION_MISMATCH / UNKNOWN_TYPE are answered without consuming the seq: fatal, not an ack.
        if (message.code === ErrorCode.VERSION_MISMATCH || message.code === ErrorCode.UNKNOWN_TYPE) {
          const entry = this.entries.find((e) => e.seq === seq);
          if (entry) completed.push({ seq, tag: entry.tag, outcome: 'replied', reply: message });
          break;
        }
        this.complete(seq, 'replied', message, now, completed, retransmit);
        break;
      default:
        if (isSequenced(MessageType[message.type])) {
          throw new ProtocolError(ErrorCode.UNKNOWN_TYPE, undefined, {
            detail: MessageType[message.type],
            seq,
            context: `${message.type} is a request, not a reply`,
          });
        }
        this.complete(seq, 'replied', message, now, completed, retransmit);
    }
    return { completed, retransmit };
  }

  /**
   * Mark for a probe: a PING written now follows every frame this window has
   * written so far. Pass it to probed() with the PING's PONG.
   */
  probeMark(): number {
    return this.sendSerial;
  }

  /**
   * The PONG to a PING written at `mark` (probeMark()) arrived. The device answers
   * in order, so every request written before that PING and still unanswered was
   * lost, or its reply was: resend those now, with every later request if one of
   * them was not applied (the device dropped what followed it: go-back-N). Loss
   * with a device that answers is the link's, not slowness: no backoff, and the
   * silent-timeout count restarts. Feed the PONG to receive() first. Throws
   * ProtocolError TIMEOUT (detail: the losses) when one request was lost
   * maxLosses times in a row.
   */
  probed(mark: number, now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const lost = this.entries.findIndex((e) => e.lastSentSerial <= mark);
    if (lost < 0) return out;
    const goBack = this.entries.findIndex((e) => seqDiff(e.seq, this.acked) >= 0 && e.lastSentSerial <= mark);
    for (let i = lost; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const wasLost = entry.lastSentSerial <= mark;
      if (!wasLost && (goBack < 0 || i < goBack)) continue; // in flight after the probe, nothing lost before it
      if (wasLost) this.probedLosses++;
      if (wasLost && ++entry.losses >= this.maxLosses) {
        throw new ProtocolError(ErrorCode.TIMEOUT, undefined, {
          seq: entry.seq,
          detail: entry.losses,
          context: `request ${entry.seq} (${entry.frame.length} bytes on the wire) was lost ${entry.losses} times in a row while the device kept answering: the link delivers too few frames of this size`,
        });
      }
      entry.timeouts = 0;
      this.resend(entry, now, out);
    }
    return out;
  }

  /**
   * Frames whose timer expired, to write now (oldest first). A request whose
   * timer expires maxRetries times throws ProtocolError TIMEOUT.
   */
  poll(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (now - entry.lastSentAt < this.timeoutOf(entry)) continue;
      if (entry.timeouts >= this.maxRetries) {
        throw new ProtocolError(ErrorCode.TIMEOUT, undefined, {
          seq: entry.seq,
          context: `request ${entry.seq} unanswered after ${entry.timeouts} retransmissions`,
        });
      }
      entry.timeouts++;
      if (seqDiff(entry.seq, this.acked) >= 0) {
        // Not known to be applied: it was lost, so the device dropped everything after it too.
        for (let j = i; j < this.entries.length; j++) this.resend(this.entries[j]!, now, out);
        break;
      }
      this.resend(entry, now, out); // applied, only its reply was lost: ask again
    }
    return out;
  }

  /** Milliseconds until poll() has something to do (Infinity when nothing is in flight). */
  nextDeadline(now: number): number {
    let soonest = Infinity;
    for (const entry of this.entries) {
      soonest = Math.min(soonest, entry.lastSentAt + this.timeoutOf(entry) - now);
    }
    return Math.max(0, soonest);
  }

  private timeoutOf(entry: Entry<T>): number {
    return Math.min(this.rtoMax, this.rto * 2 ** entry.timeouts);
  }

  private resend(entry: Entry<T>, now: number, out: Uint8Array[]): void {
    entry.lastSentAt = now;
    entry.lastSentSerial = ++this.sendSerial;
    entry.retransmitted = true;
    this.retransmissions++;
    out.push(entry.frame);
  }

  /**
   * A device that boots expects seq 0 and takes any seq "before" 0 for an old
   * duplicate it no longer holds: while the host's window straddles the wrap
   * (65528..65535, 0, ...), such a device answers requests it never saw with
   * ACK(0, duplicate-uncached), which the cumulative check alone accepts. So a
   * duplicate-uncached ACK with nextExpected 0 for a request before 0 that has
   * had no reply at all is taken as a reset (LINK_DESYNC), never as "applied":
   * the host must not count samples no device trained. The one honest case it
   * also refuses (the reply to exactly such a request was lost and was too big
   * for the device's cache) ends the session safely instead of wrongly.
   */
  private checkNotRebooted(seq: number, nextExpected: number): void {
    if (nextExpected !== 0 || seqDiff(seq, 0) >= 0) return;
    if (!this.entries.some((e) => e.seq === seq)) return; // answered before: a harmless late duplicate
    throw new ProtocolError(ErrorCode.LINK_DESYNC, undefined, {
      seq,
      detail: nextExpected,
      context: `suspected device reset: ACK(0, duplicate-uncached) for seq ${seq}, which was never answered, while the host's sequence numbers wrap; a freshly booted device expects seq 0 and takes ${seq} for an old duplicate, so it was probably never trained`,
    });
  }

  private cumulative(nextExpected: number): void {
    if (seqDiff(nextExpected, this.acked) < 0 || seqDiff(this.next, nextExpected) < 0) {
      throw new ProtocolError(ErrorCode.LINK_DESYNC, undefined, {
        detail: nextExpected,
        context: `device expects seq ${nextExpected}, host has acknowledged ${this.acked} and sent up to ${seqAdd(this.next, -1)}`,
      });
    }
    this.acked = nextExpected;
  }

  private complete(
    seq: number,
    outcome: Completion<T>['outcome'],
    reply: Message | null,
    now: number,
    completed: Completion<T>[],
    retransmit: Uint8Array[],
  ): void {
    const index = this.entries.findIndex((e) => e.seq === seq);
    if (index < 0) {
      if (seqDiff(seq, this.next) >= 0) {
        throw new ProtocolError(ErrorCode.LINK_DESYNC, undefined, {
          seq,
          context: `reply for seq ${seq}, which the host has not sent yet (next is ${this.next})`,
        });
      }
      this.duplicateReplies++;
      return;
    }
    const entry = this.entries[index]!;
    if (seqDiff(seqAdd(seq, 1), this.acked) > 0) this.cumulative(seqAdd(seq, 1));
    if (!entry.retransmitted) this.sampleRtt(now - entry.firstSentAt); // Karn: clean samples only
    this.entries.splice(index, 1);
    completed.push({ seq, tag: entry.tag, outcome, reply });
    // Older requests are applied (the device goes in order) but their replies were
    // lost if they were last sent before this one: ask for the cached replies now.
    for (let i = 0; i < index; i++) {
      const older = this.entries[i]!;
      if (older.lastSentAt <= entry.lastSentAt) this.resend(older, now, retransmit);
    }
  }

  /**
   * ACK gap: the device still expects `nextExpected` and dropped everything after
   * it; resend it and every later request in flight, in order (go-back-N). The
   * device sends one gap ACK per expected value, so this runs once per loss.
   */
  private goBack(nextExpected: number, now: number, out: Uint8Array[]): void {
    const start = this.entries.findIndex((e) => e.seq === nextExpected);
    if (start < 0) return;
    for (let i = start; i < this.entries.length; i++) this.resend(this.entries[i]!, now, out);
  }

  // RFC 6298 §2: SRTT/RTTVAR smoothing, RTO = SRTT + 4 RTTVAR, clamped.
  private sampleRtt(rtt: number): void {
    if (this.srtt === 0) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.rto = Math.min(this.rtoMax, Math.max(this.rtoMin, this.srtt + 4 * this.rttvar));
  }
}
