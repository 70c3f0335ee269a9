// Surviving device resets (issue 16): a layer above the Session. It trains a
// stream in stretches, takes a full-state snapshot of the device after each
// (every `snapshotEvery` samples or `snapshotSeconds`, whichever comes
// first; docs/protocol.md §5.13) and keeps in memory the samples sent since.
// When the link ends with a sign that the device reset, it opens a new
// transport from the factory (the same port path again; a fresh virtual
// device), shakes hands, configures, restores the snapshot and sends again
// every sample after it. A snapshot restore is exact, so the final weights
// are byte-identical to a run without the reset.
//
// Reset signs: LINK_DESYNC (the device said HELLO unprompted: it booted; a
// fresh device also answers HELLO to requests out of its sequence, §6.6),
// NOT_CONFIGURED for a sample mid-run (a device that booted and whose HELLO was
// lost), and a disconnect after which the factory opens the port again (USB
// re-enumeration). A device that stays silent (DeviceTimeoutError) is not a
// reset: that error ends the run as before.
//
// Non-goals: incremental snapshots (each is the whole state); persisting the
// snapshot across host restarts (the CLI's --save-checkpoint does weights).

import type { LearnerConfig } from '../learner/config.js';
import { LearnerError, LearnerStatus } from '../learner/errors.js';
import type { ResetRecord } from '../logs/records.js';
import { ErrorCode, ProtocolError } from '../protocol/index.js';
import type { Sample } from '../sources/sample.js';
import { TransportError, type TransportErrorCode } from '../transport/errors.js';
import type { Transport } from '../transport/transport.js';
import { DeviceDisconnectedError } from './errors.js';
import { Session } from './session.js';
import type { LinkRecord } from '../logs/records.js';
import type { Checkpoint, EvalResult, PredictMode, SessionOptions, StreamSummary, TrainResult } from './types.js';

export interface RecoveryOptions {
  /** A new transport to the device (not yet opened), called at start and after each reset. */
  connect: () => Transport | Promise<Transport>;
  config: LearnerConfig | Uint8Array;
  /** Options of every session (its log gets the `reset` records too). */
  session?: SessionOptions;
  /** Snapshot after this many samples (default 1000). */
  snapshotEvery?: number;
  /** ... or after this many seconds of training, whichever comes first (default: off). */
  snapshotSeconds?: number;
  /** Resets survived before DeviceResetLimitError (default 3). */
  maxResets?: number;
  /**
   * After a reset, keep trying to open the port this long while it is not
   * there yet (a USB device re-enumerating; default 10000 ms).
   */
  reopenTimeoutMs?: number;
  /** Called after each recovery, with the record also written to the log. */
  onReset?: (record: ResetRecord) => void;
}

export interface RecoveryStreamOptions {
  /** Take at most this many new samples from the source (samples to send again after a reset do not count). */
  limit?: number;
  /** Stop taking new samples when aborted; samples to send again after a reset are still sent. */
  signal?: AbortSignal;
  /** Each sample's result in order; after a reset, the replayed samples are reported again. */
  onResult?: (result: TrainResult) => void;
}

/**
 * As Session.trainStream's, for the new samples this call took from the
 * source (a refusal ends the stream with its error, so none are refused),
 * plus the recovery counters since start.
 */
export interface RecoverySummary extends StreamSummary {
  /** Samples trained into the device's state since start (snapshot + those after it). */
  total: number;
  resets: number;
  /** Samples trained a second time from a snapshot after a reset. */
  replayed: number;
  snapshots: number;
  /** Bytes of the last snapshot (0 if none was taken). */
  snapshotBytes: number;
  /** Time spent downloading snapshots. */
  snapshotSeconds: number;
  step: number;
  seconds: number;
}

/** The device reset more often than allowed. */
export class DeviceResetLimitError extends Error {
  override readonly name = 'DeviceResetLimitError';
  constructor(
    readonly resets: number,
    readonly limit: number,
    options?: { cause?: unknown },
  ) {
    super(`the device reset ${resets} times, more than the limit of ${limit}: check its power supply and watchdog, or raise the limit (--max-resets)`, options);
  }
}

/** Why `err` means the device reset (a short reason), or null if it does not. */
export function resetSign(err: unknown): string | null {
  if (err instanceof ProtocolError && err.code === ErrorCode.LINK_DESYNC) return `LINK_DESYNC: ${err.message}`;
  if (err instanceof LearnerError && err.code === LearnerStatus.NOT_CONFIGURED) return 'NOT_CONFIGURED: the device forgot its config';
  if (err instanceof DeviceDisconnectedError) return `disconnected: ${err.message}`;
  return null;
}

const now = (): number => performance.now();

/** Open failures of a port that is coming back (USB re-enumeration): try again. */
const NOT_BACK_YET: ReadonlySet<TransportErrorCode> = new Set(['not-found', 'open-failed', 'busy', 'permission']);
const REOPEN_PAUSE_MS = 250;

function checkCount(name: string, value: number, min: number): number {
  if (!(Number.isSafeInteger(value) && value >= min)) throw new TypeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

export class RecoveringSession {
  private current: Session;
  private snapshot: Uint8Array | null = null;
  /** Samples in `snapshot`. */
  private snapshotAt = 0;
  /** Samples sent since the snapshot, in order. */
  private sinceSnapshot: Sample[] = [];
  /** Samples to send again before new ones. */
  private replayQueue: Sample[] = [];
  private resetCount = 0;
  private replayedCount = 0;
  private snapshotCount = 0;
  private snapshotTime = 0;
  private readonly every: number;
  private readonly seconds: number;
  private readonly limit: number;
  private readonly reopenMs: number;

  private constructor(
    private readonly options: RecoveryOptions,
    session: Session,
  ) {
    this.current = session;
    this.every = checkCount('snapshotEvery', options.snapshotEvery ?? 1000, 1);
    this.seconds = options.snapshotSeconds ?? 0;
    if (!(this.seconds >= 0)) throw new TypeError(`snapshotSeconds must be >= 0, got ${options.snapshotSeconds}`);
    this.limit = checkCount('maxResets', options.maxResets ?? 3, 0);
    this.reopenMs = checkCount('reopenTimeoutMs', options.reopenTimeoutMs ?? 10_000, 0);
  }

  /** Connects and configures; a reset during this is not recovered (nothing is trained yet). */
  static async start(options: RecoveryOptions): Promise<RecoveringSession> {
    if (typeof options?.connect !== 'function') throw new TypeError('options.connect must be a function returning a new Transport');
    const session = await Session.connect(await options.connect(), options.session);
    try {
      await session.configure(options.config);
      return new RecoveringSession(options, session);
    } catch (err) {
      await session.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Takes over a session already configured with options.config and perhaps
   * given weights (putCheckpoint): its state now is the first snapshot, so a
   * reset before the next one comes back to it.
   */
  static async adopt(session: Session, options: RecoveryOptions): Promise<RecoveringSession> {
    if (typeof options?.connect !== 'function') throw new TypeError('options.connect must be a function returning a new Transport');
    const recovering = new RecoveringSession(options, session);
    await recovering.takeSnapshot();
    return recovering;
  }

  /** The session in use now (a new one after each reset). */
  get session(): Session {
    return this.current;
  }
  get resets(): number {
    return this.resetCount;
  }
  get replayed(): number {
    return this.replayedCount;
  }

  /** Trains every sample exactly into the final state, recovering from resets. */
  async trainStream(samples: Iterable<Sample> | AsyncIterable<Sample>, options: RecoveryStreamOptions = {}): Promise<RecoverySummary> {
    const limit = options.limit ?? Infinity;
    if (!(limit >= 0)) throw new TypeError(`options.limit must be >= 0, got ${options.limit}`);
    const started = now();
    const source = (
      Symbol.asyncIterator in samples ? (samples as AsyncIterable<Sample>)[Symbol.asyncIterator]() : (samples as Iterable<Sample>)[Symbol.iterator]()
    ) as AsyncIterator<Sample> | Iterator<Sample>;
    let taken = 0;
    try {
      taken = await this.run(source, { ...options, limit });
    } finally {
      await source.return?.();
    }
    return {
      submitted: taken,
      trained: taken,
      refused: 0,
      repliesLost: 0,
      total: this.snapshotAt + this.sinceSnapshot.length,
      resets: this.resetCount,
      replayed: this.replayedCount,
      snapshots: this.snapshotCount,
      snapshotBytes: this.snapshot?.length ?? 0,
      snapshotSeconds: this.snapshotTime,
      step: this.current.step,
      seconds: (now() - started) / 1000,
    };
  }

  /** Downloads the weights; a reset during the download is recovered and the download tried again. */
  async getCheckpoint(onProgress?: (bytes: number, total: number) => void): Promise<Checkpoint> {
    return this.retrying(() => this.current.getCheckpoint(onProgress));
  }

  /**
   * Session.evaluate on the device in use; after a reset, the samples since
   * the snapshot are trained again first and the evaluation starts over (give
   * an iterable that can be iterated again, e.g. an array).
   */
  async evaluate(samples: Iterable<Sample> | AsyncIterable<Sample>, options: { mode?: PredictMode; limit?: number; log?: boolean } = {}): Promise<EvalResult> {
    return this.retrying(() => this.current.evaluate(samples, options));
  }

  /** The device's step, from the session in use. */
  get step(): number {
    return this.current.step;
  }

  linkRecord(): LinkRecord {
    return this.current.linkRecord();
  }

  /**
   * The `end` record, counting every sample in the device's state: the
   * snapshot's, and those sent since that the session in use confirmed.
   */
  async logEnd(error?: Error, reason?: string): Promise<void> {
    const sent = this.sinceSnapshot.length - this.replayQueue.length;
    await this.current.logEnd(error, reason, this.snapshotAt + Math.max(0, sent - this.current.inDoubt));
  }

  async logLinkStats(): Promise<LinkRecord> {
    return this.retrying(() => this.current.logLinkStats());
  }

  /** Runs `work` on the device in use, once it has trained everything sent; after a reset, recovers and runs it again. */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        if (this.replayQueue.length > 0) await this.run(undefined, { limit: 0 });
        return await work();
      } catch (err) {
        await this.recover(err);
      }
    }
  }

  async close(): Promise<void> {
    await this.current.close();
  }

  /**
   * Stretches of training, each ending in a snapshot once `snapshotEvery`
   * samples or `snapshotSeconds` have passed, until the replay queue is empty
   * and no new sample is to be taken (source ended, `limit` new ones taken,
   * aborted). Returns the new samples taken.
   */
  private async run(source: AsyncIterator<Sample> | Iterator<Sample> | undefined, options: RecoveryStreamOptions & { limit: number }): Promise<number> {
    let exhausted = source === undefined;
    let taken = 0;
    const noMore = (): boolean => exhausted || taken >= options.limit || options.signal?.aborted === true;
    for (;;) {
      if (noMore() && this.replayQueue.length === 0) return taken;
      const room = Math.max(1, this.every - this.sinceSnapshot.length);
      let pulled = 0;
      let due = false;
      const timeout =
        this.seconds > 0
          ? setTimeout(() => {
              due = true;
            }, this.seconds * 1000)
          : undefined;
      const self = this;
      async function* feed(): AsyncGenerator<Sample> {
        while (pulled < room && !due) {
          let sample = self.replayQueue.shift();
          if (sample === undefined) {
            if (noMore()) return;
            const next = await source!.next();
            if (next.done) {
              exhausted = true;
              return;
            }
            sample = next.value;
            taken++;
          }
          self.sinceSnapshot.push(sample);
          pulled++;
          yield sample;
        }
      }
      try {
        this.current.continueAt(this.snapshotAt + this.sinceSnapshot.length);
        await this.current.trainStream(feed(), options.onResult ? { onResult: options.onResult } : {});
        if (this.sinceSnapshot.length >= this.every || due) await this.takeSnapshot();
      } catch (err) {
        await this.recover(err);
      } finally {
        clearTimeout(timeout);
      }
    }
  }

  private async takeSnapshot(): Promise<void> {
    const t0 = now();
    const { weights: state } = await this.current.getSnapshot();
    this.snapshotTime += (now() - t0) / 1000;
    this.snapshot = state;
    this.snapshotAt += this.sinceSnapshot.length;
    this.sinceSnapshot = [];
    this.snapshotCount++;
  }

  /** A new transport and a session on it, waiting up to reopenTimeoutMs for a port that is not back yet. */
  private async reopen(): Promise<Session> {
    const deadline = now() + this.reopenMs;
    for (;;) {
      try {
        return await Session.connect(await this.options.connect(), this.options.session);
      } catch (err) {
        if (!(err instanceof TransportError && NOT_BACK_YET.has(err.code)) || now() >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, REOPEN_PAUSE_MS));
      }
    }
  }

  /** A new transport and session, configured and restored to the snapshot. */
  private async reconnect(): Promise<void> {
    const session = await this.reopen();
    this.current = session;
    await session.configure(this.options.config);
    if (this.snapshot) await session.putSnapshot(this.snapshot);
  }

  /** Rethrows `err` unless it is a reset sign; else reconnects, restores and queues the samples to send again. */
  private async recover(err: unknown): Promise<void> {
    let reason = resetSign(err);
    if (reason === null) throw err;
    for (let failure = err; ;) {
      await this.current.close().catch(() => undefined);
      if (this.resetCount >= this.limit) throw new DeviceResetLimitError(this.resetCount + 1, this.limit, { cause: failure });
      this.resetCount++;
      try {
        await this.reconnect();
        break;
      } catch (again) {
        // The device reset again while being restored: this reset replayed
        // nothing; count it, log it and start over.
        const next = resetSign(again);
        if (next === null) throw again;
        await this.logReset(reason, 0);
        reason = next;
        failure = again;
      }
    }
    // Everything sent since the snapshot, in order, before anything new.
    const replayed = this.sinceSnapshot.length;
    this.replayQueue = [...this.sinceSnapshot, ...this.replayQueue];
    this.replayedCount += replayed;
    this.sinceSnapshot = [];
    await this.logReset(reason, replayed);
  }

  private async logReset(reason: string, replayed: number): Promise<void> {
    const record: ResetRecord = {
      type: 'reset',
      t: Date.now(),
      reset: this.resetCount,
      reason,
      fromSample: this.snapshotAt,
      replayed,
    };
    await this.options.session?.log?.append(record);
    this.options.onReset?.(record);
  }
}
