// The session's public types, in one place: what a caller passes in
// (SessionOptions, StreamOptions), what comes back (DeviceInfo, TrainResult,
// EvalResult, Checkpoint, StreamSummary, LinkStats) and where records go
// (RecordSink). Types only; the code is in session.ts and link.ts.

import type { LogRecord } from '../logs/records.js';
import type { GoodnessLayer, SampleEncoding } from '../protocol/index.js';

/** Where records go; a JsonlWriter (host/logs) fits. */
export interface RecordSink {
  append(record: LogRecord): Promise<void> | void;
}

export interface SessionOptions {
  /** Goodness log: one `train` record per trained sample, `eval`, `link` and `meta` records. */
  log?: RecordSink;
  /** How samples travel: f32 (default, exact) or int8/int16 (quantised, 4x/2x smaller for slow links). */
  encoding?: SampleEncoding;
  /**
   * Samples in parts (SAMPLE_PART, docs/protocol.md §5.3a): 'auto' (default) splits them
   * when the device reports damaged frames, into the part size the damage rate favours;
   * 'off' always sends whole frames; a number sends parts of that many values.
   */
  fragments?: FragmentMode;
  /** HELLO_REQUEST repeat interval during connect (default 500 ms). */
  helloIntervalMs?: number;
  /** Give up connecting after this long without a HELLO (default 10000 ms). */
  handshakeTimeoutMs?: number;
  /** Send a PING after this long with nothing received from the device, and again every as long (default 1000 ms). */
  heartbeatIdleMs?: number;
  /**
   * The device is gone (DeviceTimeoutError) after heartbeatIdleMs x heartbeatMisses
   * with nothing received from it (default 3 x 1000 ms = 3 s), counted from when
   * the host's own queued bytes have crossed the link (see bytesPerSecond).
   */
  heartbeatMisses?: number;
  /**
   * Bytes per second the link carries (default: the transport's
   * bytesPerSecond, e.g. baud / 10 for a serial port; none = fast). Lengthens
   * the heartbeat deadline by the time the host's queued bytes and one
   * largest reply take to cross, so 3 KB frames at 9600 baud are not a dead device.
   */
  bytesPerSecond?: number;
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
  /**
   * The label the device predicted before training on this sample (config
   * `prequential`, test-then-train); null when prequential is off, the sample is
   * unlabelled, or the reply was lost.
   */
  prediction: number | null;
  /** The device's drift detector raised an alarm at this sample (config `drift`). */
  drift: boolean;
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

/** The device's frame counters from its latest PONG (docs/protocol.md §5.12). */
export type DeviceCounters = NonNullable<LinkStats['device']>;

/** Samples in parts (fragments.ts; docs/protocol.md §5.3a). */
export interface FragmentStats {
  /** Samples (and INFERs) sent in parts. */
  samplesSplit: number;
  /** Parts sent (first transmissions). */
  partsSent: number;
  /** Values per part in force (0: whole frames). */
  valuesPerPart: number;
  /** Estimated probability that a byte toward the device is damaged. */
  byteDamage: number;
}

/** Values per part: 'auto' (adapt to the link), 'off' (whole frames) or a fixed count. */
export type FragmentMode = 'auto' | 'off' | number;
