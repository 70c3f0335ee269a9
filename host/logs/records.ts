// Goodness log records: the JSONL the host writes while the device trains,
// one JSON object per line, and a validating parser for them.
//
//   {"type":"meta",  "t":..., "config":{...}, "device":{...hello...}, "arenaUsed"?:b, ...}
//   {"type":"train", "t":..., "seq":s, "step":n, "label":l, "predicted"?:p, "sample"?:i,
//                    "layers":[{"gpos":f,"gneg":f,"loss":f,"active":f,"hoyer":f}, ...]}
//   {"type":"eval",  "t":..., "step":n, "accuracy":a, "n":count, "perClass"?:[a0, a1, ...],
//                    "mode"?:"goodness"|"head"}
//   {"type":"link",  "t":..., "framesDropped":k, "crcErrors":k, "retransmits":k, "duplicates":k,
//                    "repliesLost"?:k, "hostDropped"?:{...}, "deviceDropped"?:{...}|null}
//   {"type":"end",   "t":..., "ok":bool, "reason":"...", "trained":k, "inDoubt":k}
//
// A sample the device trained whose GOODNESS reply was lost still has its
// `train` record, with "replyLost":true and "step" and "layers" null (the
// device's numbers for it never arrived), so the log counts every trained
// sample. `end` closes a run: how many samples were trained for certain, and
// how many more were on the wire when it stopped and may have been trained too.
//
// Continual-learning records (host/continual; metrics after Lopez-Paz & Ranzato 2017, GEM):
//   {"type":"boundary",   "t":..., "sample":i, "step":n, "task":k, "from":k0|null, "kind":"abrupt"|"gradual", "name"?:s, "until"?:i}
//   {"type":"drift",      "t":..., "sample":i, "step":n, "task":k}          a drift alarm the device raised
//   {"type":"prequential","t":..., "sample":i, "step":n, "task":k, "accuracy":a, "n":c, "window":w, "windowAccuracy":a}
//   {"type":"task-eval",  "t":..., "step":n, "afterTask":i|-1, "task":j, "accuracy":a, "n":c}   R[i][j]; -1 = untrained (b_j)
//   {"type":"continual-summary", "t":..., "tasks":T, "R":[[...]], "baseline":[...]|null, "acc":a, "bwt":x|null, "fwt":x|null,
//                        "prequential":a|null, "prequentialN":c}
//
// `t` is wall-clock ms since the Unix epoch. Layer metrics follow DESIGN.md:
// gpos/gneg = goodness of the positive/negative pass, loss = the layer's
// local loss, active = fraction of active units, hoyer = Hoyer sparseness
// (sqrt(n) - |x|_1/|x|_2) / (sqrt(n) - 1), both in [0, 1]. A metric a rule
// does not have (e.g. gneg for ED without negatives) or a non-finite value is
// written as null. Link counters are cumulative since the session started.
// Unknown extra fields are kept (forward compatible); an unknown `type` is an
// error.

import { createReadStream } from 'node:fs';
import type { PredictMode } from '../learner/learner.js';

export const RECORD_TYPES = ['meta', 'train', 'eval', 'link', 'boundary', 'drift', 'prequential', 'task-eval', 'continual-summary', 'end', 'reset'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Per-layer metrics of one training step; null = not measured by this rule / not finite. */
export interface LayerGoodness {
  gpos: number | null;
  gneg: number | null;
  loss: number | null;
  active: number | null;
  hoyer: number | null;
}

export const LAYER_METRICS = ['gpos', 'gneg', 'loss', 'active', 'hoyer'] as const;
export type LayerMetric = (typeof LAYER_METRICS)[number];

export interface MetaRecord {
  type: 'meta';
  t: number;
  /** The learner configuration sent with CONFIGURE. */
  config?: Record<string, unknown>;
  /** The device's HELLO (runtime, arena bytes, versions) and the transport's description. */
  device?: Record<string, unknown>;
  /** Arena bytes the device reported in CONFIG_OK; null when it did not say. */
  arenaUsed?: number | null;
  [extra: string]: unknown;
}

export interface TrainRecord {
  type: 'train';
  t: number;
  /** Sequence number of the sample on the link. */
  seq: number;
  /** Training step (samples or batches applied so far). */
  step: number;
  /** Class of the sample, -1 if unlabelled. */
  label: number;
  layers: LayerGoodness[];
  /** The model's prediction before this step, when the device computed one. */
  predicted?: number;
  /** Index of the sample in the stream the session trained (0-based, in submission order). */
  sample?: number;
}

export interface EvalRecord {
  type: 'eval';
  t: number;
  step: number;
  /** Fraction correct in [0, 1]. */
  accuracy: number;
  /** Samples evaluated. */
  n: number;
  /** Accuracy per class; null for a class with no samples. */
  perClass?: (number | null)[];
  /** How the predictions were made: summed goodness over labels, or the softmax head. */
  mode?: PredictMode;
}

/** Frames the host dropped since the session started, by cause. */
export interface HostDropped {
  frames: number;
  badCrc: number;
  malformed: number;
  tooLarge: number;
}

/** The device's frame counters from its latest PONG, since the session started. */
export interface DeviceDropped {
  framesOk: number;
  badCrc: number;
  malformed: number;
  tooLarge: number;
}

export interface LinkRecord {
  type: 'link';
  t: number;
  framesDropped: number;
  crcErrors: number;
  retransmits: number;
  duplicates: number;
  /** Requests the device applied but whose reply it no longer held. */
  repliesLost?: number;
  hostDropped?: HostDropped;
  /** null: the device has not answered a PING yet. */
  deviceDropped?: DeviceDropped | null;
}

/** A task (or segment) starts at sample `sample`; `kind` gradual means the mix reaches it at `until`. */
export interface BoundaryRecord {
  type: 'boundary';
  t: number;
  /** 0-based index of the first sample of the new task in the stream. */
  sample: number;
  step: number;
  task: number;
  /** The task before it; null at the start of the stream. */
  from: number | null;
  kind: 'abrupt' | 'gradual';
  name?: string;
  /** Gradual: the sample from which the new task has fully replaced the old. */
  until?: number;
}

/** The device raised a drift alarm while training on sample `sample`. */
export interface DriftRecord {
  type: 'drift';
  t: number;
  sample: number;
  step: number;
  task: number;
}

/** Prequential (test-then-train) accuracy so far, overall and over the last `window` predictions. */
export interface PrequentialRecord {
  type: 'prequential';
  t: number;
  sample: number;
  step: number;
  task: number;
  accuracy: number;
  n: number;
  window: number;
  windowAccuracy: number;
}

/** R[afterTask][task]: accuracy on task `task`'s held-out set after training task `afterTask` (-1: untrained). */
export interface TaskEvalRecord {
  type: 'task-eval';
  t: number;
  step: number;
  afterTask: number;
  task: number;
  accuracy: number;
  n: number;
}

/** The accuracy matrix and its metrics (Lopez-Paz & Ranzato 2017) at the end of a scenario. */
export interface ContinualSummaryRecord {
  type: 'continual-summary';
  t: number;
  tasks: number;
  R: number[][];
  baseline: number[] | null;
  acc: number;
  bwt: number | null;
  fwt: number | null;
  prequential: number | null;
  prequentialN: number;
  [extra: string]: unknown;
}

export type ContinualRecord = BoundaryRecord | DriftRecord | PrequentialRecord | TaskEvalRecord | ContinualSummaryRecord;
/** The last record of a run, written however it ended. */
export interface EndRecord {
  type: 'end';
  t: number;
  /** True when the run finished; false when an error stopped it. */
  ok: boolean;
  /** 'completed', or the error that stopped the run (its name and message). */
  reason: string;
  /** Samples the device trained for certain in the session; each has a `train` record. */
  trained: number;
  /**
   * Samples sent when the run stopped whose fate is unknown (at most the
   * device's window W): the device may have trained them, past the last record.
   */
  inDoubt: number;
}

/**
 * A sample the device trained whose GOODNESS reply was lost (the link dropped
 * it and the device no longer held it): a `train` record without the device's
 * numbers, so the log still counts every trained sample.
 */
export interface LostReplyTrainRecord {
  type: 'train';
  t: number;
  seq: number;
  /** Unknown: the reply that said it was lost. */
  step: null;
  label: number;
  layers: null;
  replyLost: true;
  sample?: number;
}

/**
 * The device reset mid-run and the host recovered (host/session/recovery.ts):
 * it restored the full-state snapshot taken after `fromSample` samples and
 * trains samples fromSample.. again, so the `train` records that follow for
 * those samples replace the ones written before this record.
 */
export interface ResetRecord {
  type: 'reset';
  t: number;
  /** 1 for the first reset of the run. */
  reset: number;
  /** What gave the reset away, e.g. "LINK_DESYNC: unprompted HELLO ...". */
  reason: string;
  /** Samples in the restored snapshot (0: none yet, the device starts from its configured state). */
  fromSample: number;
  /** Samples sent since that snapshot, trained again now. */
  replayed: number;
}

export type LogRecord = MetaRecord | TrainRecord | LostReplyTrainRecord | EvalRecord | LinkRecord | EndRecord | ContinualRecord | ResetRecord;

/** A record that does not follow the schema; `path` names the offending field. */
export class LogRecordError extends Error {
  override name = 'LogRecordError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path} ${reason}` : reason);
  }
}

/** A line of a log file that is not a valid record. */
export class LogParseError extends Error {
  override name = 'LogParseError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function finite(o: Record<string, unknown>, key: string, path = key): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new LogRecordError(path, `must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function integer(o: Record<string, unknown>, key: string, min: number): number {
  const v = finite(o, key);
  if (!Number.isInteger(v) || v < min) throw new LogRecordError(key, `must be an integer >= ${min}, got ${v}`);
  return v;
}

function fraction(v: unknown, path: string, nullable: boolean): void {
  if (v === null && nullable) return;
  // Non-finite numbers are accepted for writing; JSON turns them into null.
  if (typeof v === 'number' && (Number.isNaN(v) || !Number.isFinite(v)) && nullable) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new LogRecordError(path, `must be a number${nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`);
  }
  // Small tolerance for float rounding on the device.
  if (v < -1e-6 || v > 1 + 1e-6) throw new LogRecordError(path, `must be in [0, 1], got ${v}`);
}

function metric(v: unknown, path: string): void {
  if (v === null || typeof v === 'number') return;
  throw new LogRecordError(path, `must be a number or null, got ${JSON.stringify(v)}`);
}

/** An optional object of counters (integers >= 0), e.g. hostDropped; `nullable`: null allowed. */
function counters(o: Record<string, unknown>, key: string, fields: readonly string[], nullable: boolean): void {
  const v = o[key];
  if (v === undefined || (v === null && nullable)) return;
  if (!isObject(v)) throw new LogRecordError(key, `must be an object${nullable ? ' or null' : ''} when present, got ${JSON.stringify(v)}`);
  for (const field of fields) {
    const n = v[field];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new LogRecordError(`${key}.${field}`, `must be an integer >= 0, got ${JSON.stringify(n)}`);
  }
}

const PREDICT_MODES: readonly PredictMode[] = ['goodness', 'head'];

/**
 * Checks that `value` is a well-formed record and returns it typed. Throws
 * LogRecordError naming the first bad field.
 */
export function validateRecord(value: unknown): LogRecord {
  if (!isObject(value)) throw new LogRecordError('', 'a record must be a JSON object');
  const type = value.type;
  if (typeof type !== 'string' || !(RECORD_TYPES as readonly string[]).includes(type)) {
    throw new LogRecordError('type', `must be one of ${RECORD_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  finite(value, 't');
  switch (type as RecordType) {
    case 'meta':
      for (const key of ['config', 'device']) {
        if (value[key] !== undefined && !isObject(value[key])) throw new LogRecordError(key, 'must be an object when present');
      }
      break;
    case 'train': {
      integer(value, 'seq', 0);
      integer(value, 'label', -1);
      if (value.predicted !== undefined) integer(value, 'predicted', -1);
      if (value.sample !== undefined) integer(value, 'sample', 0);
      if (value.replyLost !== undefined) {
        if (value.replyLost !== true) throw new LogRecordError('replyLost', `must be true when present, got ${JSON.stringify(value.replyLost)}`);
        if (value.step !== null) throw new LogRecordError('step', `must be null when replyLost, got ${JSON.stringify(value.step)}`);
        if (value.layers !== null) throw new LogRecordError('layers', 'must be null when replyLost');
        break;
      }
      integer(value, 'step', 0);
      const layers = value.layers;
      if (!Array.isArray(layers) || layers.length === 0) throw new LogRecordError('layers', 'must be a non-empty array');
      layers.forEach((layer, i) => {
        if (!isObject(layer)) throw new LogRecordError(`layers[${i}]`, 'must be an object');
        metric(layer.gpos, `layers[${i}].gpos`);
        metric(layer.gneg, `layers[${i}].gneg`);
        metric(layer.loss, `layers[${i}].loss`);
        fraction(layer.active, `layers[${i}].active`, true);
        fraction(layer.hoyer, `layers[${i}].hoyer`, true);
      });
      break;
    }
    case 'eval': {
      integer(value, 'step', 0);
      fraction(value.accuracy, 'accuracy', false);
      integer(value, 'n', 0);
      const perClass = value.perClass;
      if (perClass !== undefined) {
        if (!Array.isArray(perClass)) throw new LogRecordError('perClass', 'must be an array when present');
        perClass.forEach((a, i) => fraction(a, `perClass[${i}]`, true));
      }
      if (value.mode !== undefined && !(PREDICT_MODES as readonly unknown[]).includes(value.mode)) {
        throw new LogRecordError('mode', `must be one of ${PREDICT_MODES.join(', ')} when present, got ${JSON.stringify(value.mode)}`);
      }
      break;
    }
    case 'link':
      for (const key of ['framesDropped', 'crcErrors', 'retransmits', 'duplicates']) integer(value, key, 0);
      if (value.repliesLost !== undefined) integer(value, 'repliesLost', 0);
      counters(value, 'hostDropped', ['frames', 'badCrc', 'malformed', 'tooLarge'], false);
      counters(value, 'deviceDropped', ['framesOk', 'badCrc', 'malformed', 'tooLarge'], true);
      break;
    case 'reset':
      integer(value, 'reset', 1);
      for (const key of ['fromSample', 'replayed']) integer(value, key, 0);
      if (typeof value.reason !== 'string') throw new LogRecordError('reason', 'must be a string');
      break;
    case 'boundary':
      for (const key of ['sample', 'step', 'task']) integer(value, key, 0);
      if (value.from !== null) integer(value, 'from', 0);
      if (value.kind !== 'abrupt' && value.kind !== 'gradual')
        throw new LogRecordError('kind', `must be "abrupt" or "gradual", got ${JSON.stringify(value.kind)}`);
      if (value.until !== undefined) integer(value, 'until', 0);
      break;
    case 'drift':
      for (const key of ['sample', 'step', 'task']) integer(value, key, 0);
      break;
    case 'prequential':
      for (const key of ['sample', 'step', 'task', 'n', 'window']) integer(value, key, 0);
      fraction(value.accuracy, 'accuracy', false);
      fraction(value.windowAccuracy, 'windowAccuracy', false);
      break;
    case 'task-eval':
      integer(value, 'step', 0);
      integer(value, 'afterTask', -1);
      integer(value, 'task', 0);
      integer(value, 'n', 0);
      fraction(value.accuracy, 'accuracy', false);
      break;
    case 'continual-summary': {
      const tasks = integer(value, 'tasks', 1);
      const R = value.R;
      if (!Array.isArray(R) || R.length !== tasks) throw new LogRecordError('R', `must be an array of ${tasks} rows`);
      R.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== tasks) throw new LogRecordError(`R[${i}]`, `must be an array of ${tasks} accuracies`);
        row.forEach((a, j) => fraction(a, `R[${i}][${j}]`, false));
      });
      if (value.baseline !== null) {
        if (!Array.isArray(value.baseline) || value.baseline.length !== tasks) throw new LogRecordError('baseline', `must be null or ${tasks} accuracies`);
        value.baseline.forEach((a, j) => fraction(a, `baseline[${j}]`, false));
      }
      finite(value, 'acc');
      for (const key of ['bwt', 'fwt']) if (value[key] !== null) finite(value, key);
      if (value.prequential !== null) fraction(value.prequential, 'prequential', false);
      integer(value, 'prequentialN', 0);
      break;
    }
    case 'end':
      if (typeof value.ok !== 'boolean') throw new LogRecordError('ok', `must be true or false, got ${JSON.stringify(value.ok)}`);
      if (typeof value.reason !== 'string') throw new LogRecordError('reason', `must be a string, got ${JSON.stringify(value.reason)}`);
      integer(value, 'trained', 0);
      integer(value, 'inDoubt', 0);
      break;
    default:
      throw new LogRecordError('type', `has no validator: ${type}`);
  }
  return value as unknown as LogRecord;
}

/** Parses one line (1-based `line` for the message). Blank lines are not records: the caller skips them. */
export function parseRecordLine(text: string, line: number, source = '<log>'): LogRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LogParseError(source, line, `not valid JSON (${(err as Error).message})`);
  }
  try {
    return validateRecord(value);
  } catch (err) {
    if (err instanceof LogRecordError) throw new LogParseError(source, line, err.message);
    throw err;
  }
}

export interface ParseLogOptions {
  /** Name for error messages. */
  source?: string;
  /**
   * A last line with no newline that does not parse is what a crash mid-write
   * leaves: skip it (default) and tell `onTruncatedTail`, or throw (strict).
   */
  strict?: boolean;
  onTruncatedTail?: (line: number, text: string) => void;
}

/** Parses a whole log held in memory. */
export function parseLog(text: string, options: ParseLogOptions = {}): LogRecord[] {
  const records: LogRecord[] = [];
  const parser = new LogLineParser(options);
  parser.feed(text, (r) => records.push(r));
  parser.end((r) => records.push(r));
  return records;
}

/**
 * Incremental parser for text arriving in arbitrary chunks (file reads, a
 * tail): splits lines, validates, keeps an unterminated tail for the next chunk.
 */
export class LogLineParser {
  private pending = '';
  /** Lines consumed so far (1-based number of the last complete line). */
  line = 0;
  private readonly source: string;

  constructor(private readonly options: ParseLogOptions = {}) {
    this.source = options.source ?? '<log>';
  }

  /** Bytes of text not yet terminated by a newline. */
  get pendingText(): string {
    return this.pending;
  }

  feed(chunk: string, emit: (record: LogRecord) => void): void {
    let text = this.pending + chunk;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const lineText = text.slice(0, nl);
      text = text.slice(nl + 1);
      this.line++;
      if (lineText.trim() !== '') emit(parseRecordLine(lineText, this.line, this.source));
    }
    this.pending = text;
  }

  /** End of input: parse or (unless strict) drop a truncated last line. */
  end(emit: (record: LogRecord) => void): void {
    const tail = this.pending;
    this.pending = '';
    if (tail.trim() === '') return;
    this.line++;
    try {
      emit(parseRecordLine(tail, this.line, this.source));
    } catch (err) {
      if (this.options.strict || !(err instanceof LogParseError)) throw err;
      this.options.onTruncatedTail?.(this.line, tail);
    }
  }
}

/** Streams the records of a log file. */
export async function* readLog(path: string, options: ParseLogOptions = {}): AsyncGenerator<LogRecord> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  const parser = new LogLineParser({ source: path, ...options });
  const batch: LogRecord[] = [];
  const push = (r: LogRecord) => batch.push(r);
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    parser.feed(chunk as string, push);
    yield* batch.splice(0);
  }
  parser.end(push);
  yield* batch.splice(0);
}

/** Reads a whole log file into memory. */
export async function loadLog(path: string, options: ParseLogOptions = {}): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readLog(path, options)) out.push(r);
  return out;
}

/** Type guards for filtering. */
/** A train record with the device's numbers (its reply arrived). */
export const isTrain = (r: LogRecord): r is TrainRecord => r.type === 'train' && r.layers !== null;
/** Any train record: one per sample trained, its reply lost or not. */
export const isTrained = (r: LogRecord): r is TrainRecord | LostReplyTrainRecord => r.type === 'train';
export const isEval = (r: LogRecord): r is EvalRecord => r.type === 'eval';
export const isLink = (r: LogRecord): r is LinkRecord => r.type === 'link';
export const isMeta = (r: LogRecord): r is MetaRecord => r.type === 'meta';
export const isTaskEval = (r: LogRecord): r is TaskEvalRecord => r.type === 'task-eval';
export const isBoundary = (r: LogRecord): r is BoundaryRecord => r.type === 'boundary';
export const isDrift = (r: LogRecord): r is DriftRecord => r.type === 'drift';
export const isEnd = (r: LogRecord): r is EndRecord => r.type === 'end';
