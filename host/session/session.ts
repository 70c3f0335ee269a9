// The streaming session: the operations a user asks of a device, between a
// Transport (a byte link) and the user's samples. Spec: docs/protocol.md §6
// (reliable delivery) and §6.4 (host timeouts).
//
//   connect   open the link and shake hands (link.ts)
//   configure encode the LearnerConfig; refuse on the host a model that cannot
//             fit HELLO.arenaFree; a device ERROR becomes the learner's error
//   train     SAMPLE -> GOODNESS, up to W in flight (pipeline.ts); the link
//             retransmits and deduplicates, so every sample is trained
//             exactly once and the host knows which were
//   evaluate  INFER -> PREDICTION over a held-out set (accuracy, per class)
//   checkpoint CHECKPOINT_GET / PUT in chunks, CRC-32 checked (checkpoint.ts)
//
// Every trained sample becomes one `train` record in the log (timestamp,
// sample seq, device step, per-layer goodness; a sample whose reply was lost
// too, marked replyLost), every evaluation an `eval` record, logLinkStats() a
// `link` record and logEnd() the `end` record that closes a run
// (log-records.ts, host/logs/records.ts). After a failure, `trained` is what
// the device trained for certain and `inDoubt` how many more samples were on
// the wire and may have been trained too (at most the window W).
//
// The session is typed only against host/transport/transport.ts. A fatal
// problem (timeout, disconnect, version mismatch, desync) fails the session:
// every pending and later call rejects with that error and the transport is
// closed (link.ts). Refusals of one request (a sample of the wrong length, a
// bad config) reject only that call (replies.ts).
//
// Non-goals: reconnecting by itself (a fatal error ends the session; connect
// a new one and configure again), several sessions on one transport.

import { encodeConfig, resolveConfig, type LearnerConfig, type ResolvedConfig } from '../learner/config.js';
import { ArenaTooSmallError, LearnerStatus } from '../learner/errors.js';
import type { LinkRecord, LogRecord } from '../logs/records.js';
import { encodePayload, ENCODING_WIDTH, ErrorCode, ProtocolError, quantize, type SampleEncoding } from '../protocol/index.js';
import type { Sample } from '../sources/sample.js';
import type { Transport } from '../transport/transport.js';
import { arenaLowerBound } from './arena.js';
import { downloadCheckpoint, uploadCheckpoint } from './checkpoint.js';
import { PartSizer, sampleWireBytes, splitSample, type WholeSample } from './fragments.js';
import { Link, type RequestCompletion } from './link.js';
import { endRecord, evalRecord, linkLogRecord, linkRecord, metaRecord, trainRecord } from './log-records.js';
import { pipeline } from './pipeline.js';
import { expectReply } from './replies.js';
import type {
  Checkpoint,
  ConfigureResult,
  DeviceCounters,
  DeviceInfo,
  EvalResult,
  FragmentStats,
  LinkStats,
  PredictionResult,
  PredictMode,
  RecordSink,
  SessionOptions,
  StreamOptions,
  StreamSummary,
  TrainResult,
} from './types.js';

const now = (): number => performance.now();

/** SAMPLE / INFER fixed fields before the values (docs/protocol.md §5.3), as the encoder writes them. */
const SAMPLE_FIXED_BYTES = encodePayload({ type: 'SAMPLE', kind: 'unlabelled', label: -1, encoding: 'f32', values: [] }).length;

type Samples = Iterable<Sample> | AsyncIterable<Sample>;

/** The labelled samples of a source (accuracy needs a label). */
async function* labelled(samples: Samples): AsyncGenerator<Sample> {
  for await (const sample of samples) {
    if (Number.isInteger(sample.label) && sample.label >= 0) yield sample;
  }
}

export class Session {
  readonly transport: Transport;
  private readonly link: Link;
  private readonly log: RecordSink | undefined;
  private readonly encoding: SampleEncoding;
  private readonly parts: PartSizer;
  private resolved: ResolvedConfig | null = null;
  private rawConfig: Record<string, unknown> | null = null;
  private deviceStep = 0;
  private samplesSubmitted = 0;
  private samplesTrained = 0;

  private constructor(transport: Transport, options: SessionOptions) {
    this.transport = transport;
    this.log = options.log;
    this.encoding = options.encoding ?? 'f32';
    if (!['f32', 'int8', 'int16'].includes(this.encoding)) {
      throw new TypeError(`options.encoding must be 'f32', 'int8' or 'int16', got ${JSON.stringify(this.encoding)}`);
    }
    this.parts = new PartSizer(options.fragments ?? 'auto');
    this.link = new Link(transport, options);
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
    await session.link.open();
    return session;
  }

  /** What the device reported in HELLO. */
  get device(): DeviceInfo {
    return this.link.device!;
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

  /**
   * Samples sent when the session failed whose fate is unknown: the device may
   * have trained them (at most HELLO.window; 0 while the session is alive).
   */
  get inDoubt(): number {
    return this.link.inDoubt.filter((m) => m.type === 'SAMPLE').length;
  }

  /** Writes the `end` record closing a run: trained for certain, in doubt, and why it ended (`error`, or `reason`). */
  async logEnd(error?: Error, reason?: string, trained = this.samplesTrained): Promise<void> {
    await this.record(endRecord(trained, this.inDoubt, error, reason));
  }

  /** The fatal error that ended the session, if any. */
  get failure(): Error | undefined {
    return this.link.failure;
  }

  get linkStats(): LinkStats {
    return this.link.stats;
  }

  /** Samples sent in parts, the part size in force and the damage estimate behind it (fragments.ts). */
  get fragments(): FragmentStats {
    return { ...this.parts.stats };
  }

  /** Resolves when every request sent so far is answered. */
  async drain(): Promise<void> {
    await this.link.drain();
  }

  /**
   * Ends the session and closes the transport. Pending calls reject with
   * SessionClosedError; call drain() first to let them finish. Safe to call twice.
   */
  async close(): Promise<void> {
    await this.link.close();
  }

  private async record(record: LogRecord): Promise<void> {
    if (this.log) await this.log.append(record);
  }

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
      const free = this.device.arenaFree;
      if (need.bytes > free) {
        throw new ArenaTooSmallError(
          `the model needs at least ${need.bytes} bytes for its ${need.params} parameters and ${resolved.optimizer} state, but the device (${this.device.runtime}) has ${free} bytes of arena free (HELLO): use fewer or narrower layers, or optimizer "sgd"`,
          LearnerStatus.ARENA_TOO_SMALL,
          need.bytes,
          need.bytes,
        );
      }
    }
    await this.drain();
    const c = await this.link.request({ type: 'CONFIGURE', config: blob });
    this.resolved = null;
    const ok = expectReply(c, 'CONFIG_OK', this.link.device);
    this.resolved = resolved;
    this.rawConfig = resolved ? { ...resolved } : { blobBytes: blob.length };
    this.deviceStep = 0;
    await this.record(metaRecord(this.rawConfig, this.device, this.transport.description, ok?.arenaUsed ?? null));
    return { arenaUsed: ok?.arenaUsed ?? null, arenaFree: ok?.arenaFree ?? null };
  }

  private sampleMessage<T extends 'SAMPLE' | 'INFER'>(type: T, inputs: Float32Array, label: number, kind: 'positive' | 'negative' | 'unlabelled'): WholeSample {
    if (!(inputs instanceof Float32Array)) throw new TypeError('sample.inputs must be a Float32Array');
    const width = ENCODING_WIDTH[this.encoding];
    const bytes = SAMPLE_FIXED_BYTES + inputs.length * width;
    const max = this.device.maxPayload;
    if (bytes > max) {
      // The device would drop the frame unanswered (FRAME_TOO_LARGE): refuse it here, with the numbers.
      throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, undefined, {
        detail: max,
        context: `a ${type} of ${inputs.length} ${this.encoding} values is ${bytes} bytes${width > 1 ? '; try encoding int8 or int16' : ''}`,
      });
    }
    if (this.encoding === 'f32') return { type, kind, label, encoding: 'f32', values: inputs };
    return { type, kind, label, ...quantize(inputs, this.encoding) };
  }

  /**
   * Sends a SAMPLE / INFER whole, or in parts when the link is noisy
   * (fragments.ts); resolves with the whole's completion: the last part's,
   * which carries GOODNESS / PREDICTION. The parts are requested in one go, so
   * they take consecutive sequence numbers as the device requires (§5.3a).
   * A part the device refuses rejects with its error (the parts after it are
   * refused too, PART_ORDER).
   */
  private requestSample(message: WholeSample): Promise<RequestCompletion> {
    const width = ENCODING_WIDTH[message.encoding];
    this.parts.observe(this.link.stats);
    const perPart = this.parts.valuesPerPart(message.values.length, message.encoding);
    if (perPart === 0) {
      this.parts.sent(sampleWireBytes(message.values.length, width));
      return this.link.request(message);
    }
    const parts = splitSample(message, perPart);
    this.parts.stats.samplesSplit++;
    this.parts.stats.partsSent += parts.length;
    const replies = parts.map((part) => {
      this.parts.sent(sampleWireBytes(part.values.length, width));
      return this.link.request(part);
    });
    const last = replies.pop()!;
    return (async () => {
      let refused: Error | undefined;
      for (const reply of replies) {
        try {
          expectReply(await reply, 'ACK', this.link.device);
        } catch (err) {
          refused ??= err as Error;
        }
      }
      const completion = await last;
      if (refused) throw refused;
      return completion;
    })();
  }

  /** Trains one sample; resolves with its goodness record. Prefer trainStream() for throughput. */
  async train(sample: Sample): Promise<TrainResult> {
    return this.submitTrain(sample, this.samplesSubmitted++);
  }

  private async submitTrain(sample: Sample, index: number): Promise<TrainResult> {
    const label = Number.isInteger(sample.label) && sample.label >= 0 ? sample.label : -1;
    const message = this.sampleMessage('SAMPLE', sample.inputs, label, label >= 0 ? 'positive' : 'unlabelled');
    const c = await this.requestSample(message);
    const goodness = expectReply(c, 'GOODNESS', this.link.device);
    this.samplesTrained++;
    if (goodness) this.deviceStep = Math.max(this.deviceStep, goodness.step);
    return {
      index,
      seq: c.seq,
      label,
      step: goodness?.step ?? null,
      layers: goodness?.layers ?? null,
      prediction: goodness?.prediction ?? null,
      drift: goodness?.drift ?? false,
    };
  }

  private async logTrain(result: TrainResult): Promise<void> {
    await this.record(trainRecord(result));
  }

  /**
   * Streams samples to the device, up to W in flight. Results are reported
   * (onResult) and logged in submission order. Resolves once every sample
   * sent is answered. A refused sample rejects the stream (after the samples
   * in flight are answered) unless onRefused is 'skip'.
   */
  async trainStream(samples: Samples, options: StreamOptions = {}): Promise<StreamSummary> {
    const limit = options.limit ?? Infinity;
    if (!(limit >= 0)) throw new TypeError(`options.limit must be >= 0, got ${options.limit}`);
    const onRefused = options.onRefused ?? 'throw';
    const started = now();
    const done = new Map<number, TrainResult | Error>();
    let next = this.samplesSubmitted;
    let submitted = 0;
    let trained = 0;
    let refused = 0;
    let lost = 0;
    let firstRefusal: Error | undefined;
    let logError: Error | undefined;
    // Results arrive in any order; report and log them in submission order.
    const flush = (): void => {
      for (let r = done.get(next); r !== undefined; r = done.get(next)) {
        done.delete(next);
        next++;
        if (r instanceof Error) continue;
        options.onResult?.(r);
        this.logTrain(r).catch((err: Error) => {
          logError ??= err;
        });
      }
    };
    await pipeline(
      this.link,
      samples,
      async (sample) => {
        const index = this.samplesSubmitted++;
        submitted++;
        await this.submitTrain(sample, index)
          .then(
            (result) => {
              trained++;
              if (result.layers === null) lost++;
              done.set(index, result);
            },
            (err: Error) => {
              if (this.link.failure) throw err;
              refused++;
              if (onRefused === 'throw') firstRefusal ??= err;
              done.set(index, err);
            },
          )
          .finally(flush);
      },
      () => submitted >= limit || options.signal?.aborted === true || firstRefusal !== undefined || logError !== undefined,
    );
    if (firstRefusal) throw firstRefusal;
    if (logError) throw logError;
    return {
      submitted,
      trained,
      refused,
      repliesLost: lost,
      step: this.deviceStep,
      seconds: (now() - started) / 1000,
    };
  }

  /** Predicts one input: by goodness over candidate labels, or by the softmax head. */
  async infer(inputs: Float32Array, mode: PredictMode = 'goodness'): Promise<PredictionResult> {
    if (mode !== 'goodness' && mode !== 'head') throw new TypeError(`mode must be 'goodness' or 'head', got ${JSON.stringify(mode)}`);
    for (;;) {
      // INFER kind: 0 (positive) = by goodness, 1 (negative) = by the head (docs/protocol.md §5.3).
      const c = await this.requestSample(this.sampleMessage('INFER', inputs, -1, mode === 'goodness' ? 'positive' : 'negative'));
      const p = expectReply(c, 'PREDICTION', this.link.device);
      if (p) return { label: p.label, scores: Float32Array.from(p.scores) };
      // Reply lost after the device answered: INFER changes nothing, ask again.
    }
  }

  /**
   * Accuracy over labelled samples (INFER, pipelined; unlabelled ones are
   * skipped). Waits for training in flight first, so the result belongs to
   * step `step`. Writes an `eval` record unless `log: false`.
   */
  async evaluate(
    samples: Samples,
    options: {
      mode?: PredictMode;
      limit?: number;
      onProgress?: (done: number) => void;
      log?: boolean;
    } = {},
  ): Promise<EvalResult> {
    const mode = options.mode ?? 'goodness';
    const limit = options.limit ?? Infinity;
    await this.drain();
    const classes = this.resolved?.classes ?? 0;
    const seen = new Array<number>(classes).fill(0);
    const right = new Array<number>(classes).fill(0);
    let n = 0;
    let finished = 0;
    let correct = 0;
    let firstError: Error | undefined;
    await pipeline(
      this.link,
      labelled(samples),
      async (sample) => {
        const label = sample.label;
        n++;
        await this.infer(sample.inputs, mode)
          .then(
            (prediction) => {
              if (label >= 0 && label < classes) seen[label]!++;
              if (prediction.label === label) {
                correct++;
                if (label >= 0 && label < classes) right[label]!++;
              }
            },
            (err: Error) => {
              firstError ??= err;
            },
          )
          .finally(() => {
            finished++;
            options.onProgress?.(finished);
          });
      },
      () => n >= limit || firstError !== undefined,
    );
    if (firstError) throw firstError;
    const result: EvalResult = {
      step: this.deviceStep,
      accuracy: n > 0 ? correct / n : 0,
      n,
      correct,
      mode,
      perClass: seen.map((s, i) => (s > 0 ? right[i]! / s : null)),
    };
    if (options.log !== false) await this.record(evalRecord(result));
    return result;
  }

  /** Downloads the weights in chunks and checks their CRC-32. */
  async getCheckpoint(onProgress?: (bytes: number, total: number) => void): Promise<Checkpoint> {
    await this.drain();
    return downloadCheckpoint(this.link, onProgress);
  }

  /** Uploads weights (from getCheckpoint) for the configured model; applied whole or not at all. */
  async putCheckpoint(weights: Uint8Array, onProgress?: (bytes: number, total: number) => void): Promise<void> {
    if (!(weights instanceof Uint8Array)) throw new TypeError('weights must be a Uint8Array');
    await this.drain();
    await uploadCheckpoint(this.link, weights, onProgress);
  }

  /**
   * Downloads the device's full-state snapshot (docs/protocol.md §5.13): a device
   * configured alike and restored from it continues exactly as this one would.
   */
  async getSnapshot(onProgress?: (bytes: number, total: number) => void): Promise<Checkpoint> {
    await this.drain();
    return downloadCheckpoint(this.link, onProgress, 'state');
  }

  /** Restores a snapshot from getSnapshot() made under the same config; the device is unconfigured until it is whole. */
  async putSnapshot(state: Uint8Array, onProgress?: (bytes: number, total: number) => void): Promise<void> {
    if (!(state instanceof Uint8Array)) throw new TypeError('state must be a Uint8Array');
    await this.drain();
    await uploadCheckpoint(this.link, state, onProgress, 'state');
  }

  /**
   * Numbers the next sample `index` (TrainResult.index, the log's `sample`): a
   * session that continues a run after a device reset (recovery.ts) goes on counting.
   */
  continueAt(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`index must be a non-negative integer, got ${index}`);
    this.samplesSubmitted = index;
  }

  /** Returns the device's learner to "not configured". */
  async reset(): Promise<void> {
    await this.drain();
    const c = await this.link.request({ type: 'RESET' });
    expectReply(c, 'ACK', this.link.device);
    this.resolved = null;
    this.deviceStep = 0;
  }

  /**
   * PING until a PONG arrives (re-sent every heartbeat interval); resolves with
   * the device's frame counters. Rejects with DeviceTimeoutError after
   * heartbeatMisses + 1 tries.
   */
  async ping(): Promise<DeviceCounters> {
    return this.link.ping();
  }

  /** The link counters as a `link` log record (cumulative since connect). */
  linkRecord(): LinkRecord {
    return linkRecord(this.linkStats);
  }

  /** Refreshes the device's counters (PING) and writes a `link` record; returns it. */
  async logLinkStats(): Promise<LinkRecord> {
    await this.ping();
    const record = this.linkRecord();
    await this.record(linkLogRecord(record, this.linkStats));
    return record;
  }
}
