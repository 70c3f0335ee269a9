// A sensor board on a serial port, printing one CSV reading per line
// (e.g. `ax,ay,az,gx,gy,gz[,label]`), turned into fixed-size samples.
//
// Windowing: `window` consecutive good lines make one sample, flattened
// time-major (inputs[t * channels + c]); the next window starts `hop` lines
// later (hop < window overlaps, hop > window skips lines). Readings can be
// scaled per channel, (x - offset) / scale, optionally clipped, so a board
// printing g and deg/s matches the synthetic IMU generator's range.
//
// Bad lines (wrong channel count, a cell that is not a number, a bad label)
// are counted and reported through `onBadLine`, never fatal. A bad line breaks
// the time series, so by default the window restarts after it
// (`resetOnBadLine`). The first line after opening is often a fragment; it is
// simply counted as bad.
//
// Lifetime: `samples()` opens the port (if `open()` was not called), yields
// windows until the caller breaks out, `close()` is called or the signal
// aborts (the iteration then ends normally), or the board disconnects (the
// iteration throws a SerialSensorError with `disconnected: true`), or no line
// arrives for `idleTimeoutMs` (throws with `timedOut: true`). The port is
// closed when the iteration ends either way.
//
// Why the idle timeout: a dead board is often silent rather than an error.
// When the far end of a pty goes away, the slave reads EOF and the serialport
// binding retries the read forever without reporting anything; a USB adapter
// with a crashed MCU behind it just stops sending. Sensors stream steadily, so
// silence is the signal.
//
// Non-goals: binary sensor protocols, timestamps, resampling.

import { SerialPort, ReadlineParser } from 'serialport';
import { parseNumberCell } from './cells.js';
import { UNLABELLED, type Sample, type SampleSource } from './sample.js';

/** The part of a serialport stream this module uses (SerialPort and SerialPortMock both fit). */
export interface SensorPort {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  close(callback?: (err: Error | null) => void): void;
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  unpipe(destination?: NodeJS.WritableStream): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export type LabelColumn = 'none' | 'optional' | 'required';
export type MixedLabels = 'majority' | 'unlabelled' | 'drop';

export interface WindowOptions {
  /** Numbers per reading (6 for accel + gyro). */
  channels: number;
  /** Readings per sample; inputSize = window * channels. */
  window: number;
  /** Readings between the starts of consecutive windows; default = window (no overlap). */
  hop?: number;
  /** Is there a trailing label cell? Default 'optional' (channels or channels+1 cells). */
  labelColumn?: LabelColumn;
  /** Label of a window whose readings disagree; default 'majority' (ties: the latest reading's). */
  mixedLabels?: MixedLabels;
  /** Restart the window after a bad line (default true: a window is consecutive readings). */
  resetOnBadLine?: boolean;
  /** Per-channel (x - offset) / scale, then clipped to [-clip, clip] when clip is given. */
  normalize?: { offset?: ArrayLike<number>; scale?: ArrayLike<number>; clip?: number };
  /** Label cells may name classes instead of giving the index. */
  classNames?: readonly string[];
  /** Labels must be below this; default classNames.length, else unchecked. */
  classes?: number;
  /** Called once per bad line, in order. */
  onBadLine?: (bad: BadLine) => void;
}

export interface BadLine {
  /** 1-based count of non-blank lines received (this one included). */
  line: number;
  text: string;
  reason: string;
}

export interface WindowStats {
  /** Non-blank lines received. */
  lines: number;
  goodLines: number;
  badLines: number;
  /** Samples produced. */
  windows: number;
  /** Windows dropped because their readings' labels disagreed (mixedLabels 'drop'). */
  mixedDropped: number;
  lastBadLine?: BadLine;
}

function checkWindowOptions(o: WindowOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  const positive = (v: unknown, name: string) => {
    if (!Number.isInteger(v) || (v as number) < 1) throw new TypeError(`options.${name} must be a positive integer, got ${v}`);
  };
  positive(o.channels, 'channels');
  positive(o.window, 'window');
  if (o.hop !== undefined) positive(o.hop, 'hop');
  if (o.labelColumn !== undefined && !['none', 'optional', 'required'].includes(o.labelColumn)) {
    throw new TypeError(`options.labelColumn must be 'none', 'optional' or 'required', got ${JSON.stringify(o.labelColumn)}`);
  }
  if (o.mixedLabels !== undefined && !['majority', 'unlabelled', 'drop'].includes(o.mixedLabels)) {
    throw new TypeError(`options.mixedLabels must be 'majority', 'unlabelled' or 'drop', got ${JSON.stringify(o.mixedLabels)}`);
  }
  const n = o.normalize;
  if (n !== undefined) {
    for (const key of ['offset', 'scale'] as const) {
      const v = n[key];
      if (v !== undefined && v.length !== o.channels) {
        throw new TypeError(`options.normalize.${key} has ${v.length} values, expected one per channel (${o.channels})`);
      }
    }
    if (n.scale !== undefined && Array.from(n.scale).some((s) => !Number.isFinite(s) || s === 0)) {
      throw new TypeError('options.normalize.scale values must be finite and non-zero');
    }
    if (n.clip !== undefined && !(n.clip > 0)) throw new TypeError(`options.normalize.clip must be > 0, got ${n.clip}`);
  }
  if (o.classes !== undefined) positive(o.classes, 'classes');
  if (o.classNames !== undefined && o.classes !== undefined && o.classNames.length !== o.classes) {
    throw new TypeError(`options.classes (${o.classes}) disagrees with options.classNames (${o.classNames.length})`);
  }
  if (o.onBadLine !== undefined && typeof o.onBadLine !== 'function') throw new TypeError('options.onBadLine must be a function');
}

/**
 * Turns sensor lines into windows. Pure and synchronous: the serial source
 * feeds it, and so can a recorded log or a test.
 */
export class SensorWindower {
  readonly inputSize: number;
  private readonly channels: number;
  private readonly window: number;
  private readonly hop: number;
  private readonly labelColumn: LabelColumn;
  private readonly mixedLabels: MixedLabels;
  private readonly resetOnBadLine: boolean;
  private readonly offset: Float64Array;
  private readonly scale: Float64Array;
  private readonly clip: number;
  private readonly classes: number | undefined;
  private readonly classNames: readonly string[] | undefined;
  private readonly onBadLine: ((bad: BadLine) => void) | undefined;
  /** Ring of the last `window` readings and their labels. */
  private readonly ring: Float32Array;
  private readonly ringLabels: Int32Array;
  private next = 0;
  private filled = 0;
  private untilEmit: number;
  private readonly counts: WindowStats = { lines: 0, goodLines: 0, badLines: 0, windows: 0, mixedDropped: 0 };

  constructor(options: WindowOptions) {
    checkWindowOptions(options);
    this.channels = options.channels;
    this.window = options.window;
    this.hop = options.hop ?? options.window;
    this.inputSize = this.window * this.channels;
    this.labelColumn = options.labelColumn ?? 'optional';
    this.mixedLabels = options.mixedLabels ?? 'majority';
    this.resetOnBadLine = options.resetOnBadLine ?? true;
    this.offset = Float64Array.from(options.normalize?.offset ?? new Array(this.channels).fill(0));
    this.scale = Float64Array.from(options.normalize?.scale ?? new Array(this.channels).fill(1));
    this.clip = options.normalize?.clip ?? Infinity;
    this.classNames = options.classNames;
    this.classes = options.classes ?? options.classNames?.length;
    this.onBadLine = options.onBadLine;
    this.ring = new Float32Array(this.inputSize);
    this.ringLabels = new Int32Array(this.window);
    this.untilEmit = this.window;
  }

  /** Counters so far (a copy). */
  get stats(): WindowStats {
    return { ...this.counts };
  }

  /** Forget the readings of the window being filled (e.g. after a gap). */
  reset(): void {
    this.filled = 0;
    this.next = 0;
    this.untilEmit = this.window;
  }

  /** Feeds one text line; returns a sample when this line completes a window. */
  push(text: string): Sample | null {
    const line = text.trim();
    if (line === '') return null;
    this.counts.lines++;
    const cells = line.split(',');
    const c = this.channels;
    const allowed = this.labelColumn === 'none' ? [c] : this.labelColumn === 'required' ? [c + 1] : [c, c + 1];
    if (!allowed.includes(cells.length)) {
      const want = allowed.length === 2 ? `${c} or ${c + 1} (with label)` : `${allowed[0]}`;
      return this.bad(line, `expected ${want} values, got ${cells.length}`);
    }
    const base = this.next * c;
    for (let k = 0; k < c; k++) {
      const v = parseNumberCell(cells[k]);
      if (v === undefined) return this.bad(line, `value ${k + 1} is not a number: ${JSON.stringify(cells[k])}`);
      const x = (v - this.offset[k]) / this.scale[k];
      this.ring[base + k] = Math.min(this.clip, Math.max(-this.clip, x));
    }
    let label = UNLABELLED;
    if (cells.length === c + 1) {
      const cell = cells[c].trim();
      const named = this.classNames?.indexOf(cell) ?? -1;
      const n = named >= 0 ? named : parseNumberCell(cell);
      if (n === undefined || !Number.isInteger(n) || n < UNLABELLED) {
        return this.bad(line, `label ${JSON.stringify(cell)} is not an integer >= -1${this.classNames ? ' or a class name' : ''}`);
      }
      if (this.classes !== undefined && n >= this.classes) return this.bad(line, `label ${n} is not below classes = ${this.classes}`);
      label = n;
    }
    return this.accept(label);
  }

  /** Feeds already-parsed readings (channels values, unscaled). */
  pushValues(values: ArrayLike<number>, label = UNLABELLED): Sample | null {
    if (values.length !== this.channels) throw new TypeError(`values must have ${this.channels} entries, got ${values.length}`);
    this.counts.lines++;
    const base = this.next * this.channels;
    for (let k = 0; k < this.channels; k++) {
      const x = (values[k] - this.offset[k]) / this.scale[k];
      this.ring[base + k] = Math.min(this.clip, Math.max(-this.clip, x));
    }
    return this.accept(label);
  }

  private bad(text: string, reason: string): null {
    this.counts.badLines++;
    const bad: BadLine = { line: this.counts.lines, text: text.length > 120 ? text.slice(0, 117) + '...' : text, reason };
    this.counts.lastBadLine = bad;
    if (this.resetOnBadLine) this.reset();
    this.onBadLine?.(bad);
    return null;
  }

  private accept(label: number): Sample | null {
    this.counts.goodLines++;
    this.ringLabels[this.next] = label;
    this.next = (this.next + 1) % this.window;
    if (this.filled < this.window) this.filled++;
    if (--this.untilEmit > 0) return null;
    this.untilEmit = this.hop;
    // Oldest reading sits at `next` once the ring is full.
    const inputs = new Float32Array(this.inputSize);
    const labels: number[] = [];
    for (let t = 0; t < this.window; t++) {
      const slot = (this.next + t) % this.window;
      inputs.set(this.ring.subarray(slot * this.channels, (slot + 1) * this.channels), t * this.channels);
      labels.push(this.ringLabels[slot]);
    }
    const windowLabel = this.windowLabel(labels);
    if (windowLabel === null) {
      this.counts.mixedDropped++;
      return null;
    }
    this.counts.windows++;
    return { inputs, label: windowLabel };
  }

  /** labels[] oldest first; null = drop the window. */
  private windowLabel(labels: number[]): number | null {
    if (labels.every((l) => l === labels[0])) return labels[0];
    if (this.mixedLabels === 'drop') return null;
    if (this.mixedLabels === 'unlabelled') return UNLABELLED;
    const votes = new Map<number, number>();
    for (const l of labels) votes.set(l, (votes.get(l) ?? 0) + 1);
    const top = Math.max(...votes.values());
    for (let t = labels.length - 1; t >= 0; t--) if (votes.get(labels[t]) === top) return labels[t];
    return UNLABELLED;
  }
}

/** Windows a finite list of lines (recordings, tests). */
export function windowLines(lines: Iterable<string>, options: WindowOptions): { samples: Sample[]; stats: WindowStats } {
  const w = new SensorWindower(options);
  const samples: Sample[] = [];
  for (const l of lines) {
    const s = w.push(l);
    if (s) samples.push(s);
  }
  return { samples, stats: w.stats };
}

/**
 * The serial link failed. `disconnected`: the OS reported the port gone;
 * `timedOut`: no line for `idleTimeoutMs`; neither: opening or I/O failed.
 */
export class SerialSensorError extends Error {
  override name = 'SerialSensorError';
  readonly disconnected: boolean;
  readonly timedOut: boolean;
  /** Lines arrive, all numbers, but with another count than `channels` (the most common count seen). */
  readonly wrongChannels: { expected: number; seen: number } | undefined;
  /** Lines arrive but none is readable (garbage: typically a wrong baud rate). */
  readonly unreadable: boolean;
  constructor(
    message: string,
    readonly path: string,
    flags: { disconnected?: boolean; timedOut?: boolean; wrongChannels?: { expected: number; seen: number }; unreadable?: boolean } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.disconnected = flags.disconnected ?? false;
    this.timedOut = flags.timedOut ?? false;
    this.wrongChannels = flags.wrongChannels;
    this.unreadable = flags.unreadable ?? false;
  }
}

/** Numbers per line when every cell is a number, else null. */
function numericCells(line: string): number | null {
  const cells = line.trim().split(',');
  return cells.every((c) => parseNumberCell(c) !== undefined) ? cells.length : null;
}

/**
 * Notices a sensor that sends lines none of which is a reading: with `badLimit`
 * bad lines and not one good one, the format is wrong. All-number lines of
 * another length mean a wrong channel count; anything else (garbage) a wrong
 * baud rate. Once one good line arrived, bad lines are only counted.
 */
export class FormatCheck {
  private readonly lengths = new Map<number, number>();
  private garbage = 0;
  private settled = false;

  constructor(
    private readonly channels: number,
    private readonly badLimit = 20,
  ) {}

  /** Call after each line with the windower's stats; returns the error to end with, if any. */
  check(line: string, stats: WindowStats, path: string, baudRate: number): SerialSensorError | undefined {
    if (this.settled || stats.goodLines > 0) {
      this.settled = true;
      return undefined;
    }
    if (line.trim() === '') return undefined;
    const n = numericCells(line);
    if (n === null) this.garbage++;
    else this.lengths.set(n, (this.lengths.get(n) ?? 0) + 1);
    if (stats.badLines < this.badLimit) return undefined;
    const [seen, count] = [...this.lengths].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
    if (count > this.garbage) {
      return new SerialSensorError(
        `${path} sends ${seen} numbers per line, not ${this.channels} (or ${this.channels + 1} with a label): ` + `${stats.badLines} lines and no reading`,
        path,
        { wrongChannels: { expected: this.channels, seen } },
      );
    }
    return new SerialSensorError(
      `${path}: ${stats.badLines} lines and none readable (e.g. ${JSON.stringify(stats.lastBadLine?.text ?? '')}); ` +
        `is the board printing at ${baudRate} baud?`,
      path,
      { unreadable: true },
    );
  }
}

/** What a sensor's first lines say about it (detectSensorFormat). */
export interface SensorFormat {
  /** Numbers per reading, without the label. */
  channels: number;
  /** Does each line end with a class label? */
  labelled: boolean;
  /** Lines per second while detecting; null when fewer than 2 lines were timed. */
  readingsPerSecond: number | null;
  /** Lines looked at. */
  lines: number;
}

/**
 * Channels and label column from sample lines: the most common count of
 * all-number cells; the last cell is a label when it holds few distinct
 * integers (<= 32) and fewer distinct values than every other cell.
 */
export function guessFormat(lines: readonly string[]): { channels: number; labelled: boolean } | null {
  const byLength = new Map<number, string[][]>();
  for (const line of lines) {
    if (numericCells(line) === null) continue;
    const cells = line
      .trim()
      .split(',')
      .map((c) => c.trim());
    byLength.set(cells.length, [...(byLength.get(cells.length) ?? []), cells]);
  }
  const rows = [...byLength.values()].sort((a, b) => b.length - a.length)[0];
  if (!rows) return null;
  const n = rows[0].length;
  const distinct = (k: number) => new Set(rows.map((r) => r[k])).size;
  const last = rows.map((r) => Number(r[n - 1]));
  const labelled =
    n >= 2 &&
    rows.length >= 4 &&
    last.every((v) => Number.isInteger(v) && v >= -1) &&
    distinct(n - 1) <= 32 &&
    Array.from({ length: n - 1 }, (_, k) => distinct(k)).every((d) => d > distinct(n - 1));
  return { channels: labelled ? n - 1 : n, labelled };
}

/**
 * Opens the port, reads up to `lines` lines (or for `timeoutMs`), closes it
 * and guesses the format. The first line is skipped (often a fragment).
 */
export async function detectSensorFormat(options: {
  path: string;
  baudRate: number;
  lines?: number;
  timeoutMs?: number;
  openPort?: (path: string, baudRate: number) => SensorPort;
}): Promise<SensorFormat> {
  const { path, baudRate, lines: wanted = 40, timeoutMs = 5000 } = options;
  const probe = new SerialSensorSource({ path, baudRate, channels: 1, window: 1, ...(options.openPort ? { openPort: options.openPort } : {}) });
  const port = await probe.open();
  const parser = new ReadlineParser({ delimiter: '\n' });
  const seen: { text: string; at: number }[] = [];
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      parser.on('data', (text: string) => {
        if (text.trim() !== '') seen.push({ text, at: performance.now() });
        if (seen.length > wanted) {
          clearTimeout(timer);
          resolve();
        }
      });
      port.pipe(parser);
    });
  } finally {
    port.unpipe(parser);
    parser.destroy();
    await probe.close();
  }
  const body = seen.slice(1);
  const guess = guessFormat(body.map((l) => l.text));
  if (!guess) {
    throw new SerialSensorError(
      body.length === 0
        ? `no line from ${path} in ${timeoutMs / 1000} s; is the board running and printing at ${baudRate} baud?`
        : `${path}: ${body.length} lines and none readable (e.g. ${JSON.stringify(body[0]!.text.slice(0, 60))}); is the board printing at ${baudRate} baud?`,
      path,
      body.length === 0 ? { timedOut: true } : { unreadable: true },
    );
  }
  const span = body.length >= 2 ? (body[body.length - 1]!.at - body[0]!.at) / 1000 : 0;
  return { ...guess, readingsPerSecond: span > 0 ? (body.length - 1) / span : null, lines: body.length };
}

export interface SerialSensorOptions extends WindowOptions {
  /** Device path, e.g. /dev/ttyACM0 or a pty link. */
  path: string;
  baudRate: number;
  name?: string;
  /** Stop (iteration ends normally) when this aborts. */
  signal?: AbortSignal;
  /** Makes the port; default `new SerialPort({ path, baudRate, autoOpen: false })`. Tests pass a SerialPortMock. */
  openPort?: (path: string, baudRate: number) => SensorPort;
  /** Lines buffered before the port is paused (backpressure); default 1024. */
  highWaterLines?: number;
  /** Fail when waiting this long for a line (ms); default 10000, 0 = wait forever. */
  idleTimeoutMs?: number;
}

/** Lines from the parser, as an awaitable queue that pauses the parser when full. */
class LineQueue {
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  failure: Error | undefined;

  constructor(
    private readonly parser: ReadlineParser,
    private readonly highWater: number,
  ) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= this.highWater) this.parser.pause();
    this.notify();
  }

  end(failure?: Error): void {
    this.ended = true;
    if (failure && !this.failure) this.failure = failure;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Next line, or undefined once ended and drained. `onIdle` runs if the
   * caller waited `idleMs` (> 0) with nothing queued; it is expected to end().
   */
  async next(idleMs: number, onIdle: () => void): Promise<string | undefined> {
    for (;;) {
      if (this.lines.length > 0) {
        const line = this.lines.shift() as string;
        if (this.lines.length === 0 && this.parser.isPaused()) this.parser.resume();
        return line;
      }
      if (this.ended) return undefined;
      const timer = idleMs > 0 ? setTimeout(onIdle, idleMs) : undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      clearTimeout(timer);
    }
  }
}

export class SerialSensorSource implements SampleSource {
  readonly name: string;
  readonly inputSize: number;
  readonly classes: number;
  readonly classNames?: readonly string[];
  private readonly options: SerialSensorOptions;
  private readonly windower: SensorWindower;
  private port: SensorPort | undefined;
  private opening: Promise<SensorPort> | undefined;
  private running = false;
  private stopRequested = false;

  constructor(options: SerialSensorOptions) {
    checkWindowOptions(options);
    if (typeof options.path !== 'string' || options.path === '') throw new TypeError('options.path must be a non-empty string');
    if (!Number.isInteger(options.baudRate) || options.baudRate < 1) {
      throw new TypeError(`options.baudRate must be a positive integer, got ${options.baudRate}`);
    }
    if (options.openPort !== undefined && typeof options.openPort !== 'function') {
      throw new TypeError('options.openPort must be a function');
    }
    const hw = options.highWaterLines;
    if (hw !== undefined && (!Number.isInteger(hw) || hw < 1)) {
      throw new TypeError(`options.highWaterLines must be a positive integer, got ${hw}`);
    }
    const idle = options.idleTimeoutMs;
    if (idle !== undefined && !(Number.isFinite(idle) && idle >= 0)) {
      throw new TypeError(`options.idleTimeoutMs must be a number of ms >= 0, got ${idle}`);
    }
    this.options = options;
    this.windower = new SensorWindower(options);
    this.name = options.name ?? `serial:${options.path}@${options.baudRate}`;
    this.inputSize = this.windower.inputSize;
    this.classes = options.classes ?? options.classNames?.length ?? 0;
    if (options.classNames !== undefined) this.classNames = options.classNames;
  }

  /** Line and window counters since construction. */
  get stats(): WindowStats {
    return this.windower.stats;
  }

  /** Opens the port (idempotent). Resolves once bytes can arrive. */
  open(): Promise<SensorPort> {
    if (this.port?.isOpen) return Promise.resolve(this.port);
    if (this.opening) return this.opening;
    const { path, baudRate } = this.options;
    this.stopRequested = false;
    this.opening = new Promise<SensorPort>((resolve, reject) => {
      let port: SensorPort;
      try {
        port = this.options.openPort ? this.options.openPort(path, baudRate) : new SerialPort({ path, baudRate, autoOpen: false });
      } catch (err) {
        reject(new SerialSensorError(`cannot create serial port ${path}: ${(err as Error).message}`, path, {}, { cause: err }));
        return;
      }
      port.open((err) => {
        if (err) {
          reject(
            new SerialSensorError(
              `cannot open serial port ${path} at ${baudRate} baud: ${err.message}. ` +
                'Check the path (ls /dev/serial/by-id), that no other program holds the port, ' +
                "and that your user may open it (the 'dialout' group on Linux).",
              path,
              {},
              { cause: err },
            ),
          );
          return;
        }
        this.port = port;
        resolve(port);
      });
    }).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Ends a running `samples()` iteration normally and closes the port. */
  async close(): Promise<void> {
    this.stopRequested = true;
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  samples(): AsyncIterable<Sample> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  private async *iterate(): AsyncGenerator<Sample> {
    if (this.running) throw new Error(`samples() is already running on ${this.options.path}; use one reader at a time`);
    this.running = true;
    const { signal, path } = this.options;
    let port: SensorPort | undefined;
    const parser = new ReadlineParser({ delimiter: '\n' });
    const queue = new LineQueue(parser, this.options.highWaterLines ?? 1024);
    const onData = (line: string) => queue.push(line);
    const onClose = (err?: Error | null) => {
      const disconnected = !!err && (err as { disconnected?: boolean }).disconnected === true;
      if (disconnected && !this.stopRequested) {
        queue.end(
          new SerialSensorError(
            `serial port ${path} disconnected after ${this.windower.stats.lines} lines; check the cable and the board, then start again`,
            path,
            { disconnected: true },
            { cause: err },
          ),
        );
      } else {
        queue.end();
      }
    };
    const onError = (err: Error) => queue.end(new SerialSensorError(`serial port ${path}: ${err.message}`, path, {}, { cause: err }));
    const idleMs = this.options.idleTimeoutMs ?? 10_000;
    const onIdle = () =>
      queue.end(
        new SerialSensorError(
          `no line from ${path} for ${idleMs} ms; is the board running and printing at ${this.options.baudRate} baud? ` +
            '(set idleTimeoutMs: 0 to wait forever)',
          path,
          { timedOut: true },
        ),
      );
    const onAbort = () => void this.close();
    try {
      if (signal?.aborted) return;
      port = await this.open();
      parser.on('data', onData);
      port.on('close', onClose);
      port.on('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      port.pipe(parser);
      const format = new FormatCheck(this.options.channels);
      for (;;) {
        const line = await queue.next(idleMs, onIdle);
        if (line === undefined) break;
        const sample = this.windower.push(line);
        if (sample) yield sample;
        const wrong = format.check(line, this.windower.stats, path, this.options.baudRate);
        if (wrong) throw wrong;
      }
      if (queue.failure) throw queue.failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (port) {
        port.off('close', onClose);
        port.off('error', onError);
        port.unpipe(parser);
        if (port.isOpen) {
          this.stopRequested = true;
          await new Promise<void>((resolve) => port!.close(() => resolve()));
        }
      }
      parser.off('data', onData);
      parser.destroy();
      this.running = false;
    }
  }
}
