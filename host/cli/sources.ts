// `--source` for `ffedge stream`: turns the user's words into a training pass
// per epoch and a held-out set, using host/sources.
//
//   imu                 synthetic 6-axis IMU gestures (5 classes), seeded
//   mnist               MNIST 80/20 split of the `mnist` package (train / test)
//   csv:FILE            a CSV file (label column by --label-column, default the last)
//   jsonl:FILE          a JSONL file ({"inputs":[...],"label":k} per line)
//   serial-sensor:PORT  a sensor board printing CSV readings (live, one pass)

import {
  IMU_BOARD_NORMALIZE,
  IMU_CHANNELS,
  IMU_DEFAULT_STEPS,
  GESTURES,
  imuGestureDataset,
  loadCsv,
  loadJsonl,
  mixSeed,
  mnistSource,
  MNIST_CLASSES,
  MNIST_CLASS_NAMES,
  MNIST_INPUT_SIZE,
  packedSource,
  SerialSensorError,
  SerialSensorSource,
  shuffledIndices,
  detectSensorFormat,
  windowRows,
  type BadLine,
  type FileDataset,
  type PackedSamples,
  type Sample,
} from '../sources/index.js';
import type { DataKind } from './defaults.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';

type Samples = Iterable<Sample> | AsyncIterable<Sample>;

/** IMU windows per epoch when not given: what `npm start` trains on (host/demo.ts). */
export const IMU_TRAIN_SIZE = 6000;

export interface CliSource {
  name: string;
  /** Image, a window of readings or one reading per row: picks the label overlay (cli/defaults.ts). */
  kind: DataKind;
  inputSize: number;
  classes: number;
  classNames?: readonly string[];
  /** csv/jsonl: the loaded file (class names from its label words, dropped columns, windows). */
  file?: FileDataset;
  /** Samples in one pass, null for a live source. */
  samplesPerEpoch: number | null;
  train: (epoch: number) => Samples;
  /** Held-out samples, iterated afresh per evaluation; null when there are none. */
  evalSet: (() => Samples) | null;
  evalCount: number;
  close?: () => Promise<void>;
}

export interface SourceOptions {
  seed: number;
  /** imu: samples generated per epoch. */
  trainSize?: number;
  /** Held-out samples to evaluate on (imu/mnist: how many; files: cap). */
  evalSamples?: number;
  /** files: fraction held out for evaluation when there is no --eval-file (default 0.2). */
  holdout?: number;
  evalFile?: string;
  /** csv: label column name or index (default: last column; 'none' for unlabelled). */
  labelColumn?: string;
  /** csv: cell separator (default: detected). */
  delimiter?: string;
  /** csv: input columns to keep, or to drop (names or indices). */
  columns?: (string | number)[];
  drop?: (string | number)[];
  /** imu: readings per window (default 32). */
  imuSteps?: number;
  /** serial-sensor; csv/jsonl: readings (rows) per sample and the step between windows. */
  sensorBaud?: number;
  channels?: number;
  window?: number;
  hop?: number;
  classes?: number;
  classNames?: readonly string[];
  /** serial-sensor: a quiet sensor ends the run after this long (ms; default 10 s, 0 = wait forever). */
  sensorTimeoutMs?: number;
  /** serial-sensor: readings as the board prints them, not scaled like the IMU generator's (ffedge record). */
  raw?: boolean;
  /** Live sources stop waiting for data when this aborts (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
  /** Tells the user something about the source while it runs (stderr). */
  notice?: (text: string) => void;
}

/** How long a serial sensor may stay quiet before the run ends (--sensor-timeout). */
export const SENSOR_TIMEOUT_MS = 10_000;

/**
 * A sensor that stops sending ends the run like the end of a file: what was
 * trained is evaluated, saved and plotted. A sensor that never sent a reading
 * is an error (wrong port or baud), not an empty run.
 */
async function* untilQuiet(sensor: SerialSensorSource, at: SensorAt): AsyncGenerator<Sample> {
  try {
    yield* sensor.samples();
  } catch (err) {
    if (!(err instanceof SerialSensorError && err.timedOut && sensor.stats.goodLines > 0)) throw sensorProblem(err, at, sensor.stats.badLines);
    at.notice?.(
      `the sensor on ${at.port} sent nothing for ${at.timeoutMs / 1000} s: ending the run and saving what was trained ` +
        '(--sensor-timeout SECONDS waits longer; 0 waits forever)',
    );
  }
}

interface SensorAt {
  port: string;
  baudRate: number;
  channels?: number;
  timeoutMs: number;
  notice?: (text: string) => void;
}

/** A serial-sensor failure in the user's words, naming the flag that fixes it. */
function sensorProblem(err: unknown, at: SensorAt, badLines = 0): unknown {
  if (!(err instanceof SerialSensorError)) return err;
  const { port, baudRate } = at;
  if (err.wrongChannels) {
    const { expected, seen } = err.wrongChannels;
    return new SerialSensorError(
      `${port} sends lines of ${seen} numbers but --channels is ${expected}: pass --channels ${seen}` +
        `${seen > 1 ? ` (or --channels ${seen - 1} if the last number is the class label)` : ''}, or leave --channels out to detect it`,
      port,
      { wrongChannels: err.wrongChannels },
    );
  }
  if (err.unreadable) {
    return new SerialSensorError(
      `${err.message.replace(/; is the board printing at \d+ baud\?$/, '')}: check --sensor-baud (now ${baudRate}) against the baud rate the board prints at`,
      port,
      { unreadable: true },
    );
  }
  if (err.timedOut) {
    return new SerialSensorError(
      `nothing readable from ${port} in ${at.timeoutMs / 1000} s${badLines > 0 ? ` (${badLines} unreadable lines)` : ''}: ` +
        `is the board running, and printing at --sensor-baud ${baudRate}? (--sensor-timeout SECONDS waits longer)`,
      port,
      { timedOut: true },
    );
  }
  return err;
}

/** Bad lines told as they come: the first at once, then a running count at most every 5 s. */
function badLineReporter(port: string, notice?: (text: string) => void): ((bad: BadLine) => void) | undefined {
  if (!notice) return undefined;
  let count = 0;
  let told = -Infinity;
  return (bad) => {
    count++;
    const now = performance.now();
    if (now - told < 5000) return;
    told = now;
    notice(`${port}: ${count} bad line${count === 1 ? '' : 's'} so far (line ${bad.line}: ${bad.reason})`);
  };
}

/** --channels left out: read the sensor's first lines and take their shape. */
async function detectChannels(port: string, baudRate: number, timeoutMs: number, notice?: (text: string) => void): Promise<number> {
  let format;
  try {
    format = await detectSensorFormat({ path: port, baudRate, timeoutMs: timeoutMs > 0 ? timeoutMs : SENSOR_TIMEOUT_MS });
  } catch (err) {
    throw sensorProblem(err, { port, baudRate, timeoutMs: timeoutMs > 0 ? timeoutMs : SENSOR_TIMEOUT_MS });
  }
  const rate = format.readingsPerSecond === null ? '' : `, ~${format.readingsPerSecond.toFixed(format.readingsPerSecond < 10 ? 1 : 0)} readings/s`;
  notice?.(
    `detected on ${port}: ${format.channels} channels${format.labelled ? ' and a class label' : ''}${rate} ` +
      `(from ${format.lines} lines; --channels N skips the detection)`,
  );
  return format.channels;
}

function* take(samples: Iterable<Sample>, n: number): Generator<Sample> {
  let i = 0;
  for (const s of samples) {
    if (i++ >= n) return;
    yield s;
  }
}

/** A packed dataset's rows in a seeded order per epoch. */
function shuffledPasses(packed: PackedSamples, seed: number, name: string, classes: number, classNames?: readonly string[]) {
  return (epoch: number): Samples =>
    packedSource(packed, {
      name,
      classes,
      ...(classNames ? { classNames } : {}),
      order: shuffledIndices(packed.count, mixSeed(seed, epoch)),
    });
}

/** Rows [from, to) of a packed dataset as a new packed dataset. */
function rows(p: PackedSamples, from: number, to: number): PackedSamples {
  const d = p.inputSize;
  return { count: to - from, inputSize: d, inputs: p.inputs.slice(from * d, to * d), labels: p.labels.slice(from, to) };
}

/** A column list of --columns/--drop: names, or 0-based indices. */
export function parseColumns(flag: string, text: string): (string | number)[] {
  const items = text.split(',').map((c) => c.trim());
  if (items.some((c) => c === '')) throw new UsageError(`${flag} must be column names or 0-based indices separated by commas; got ${JSON.stringify(text)}`);
  return items.map((c) => (/^-?\d+$/.test(c) ? Number(c) : c));
}

async function loadFile(kind: 'csv' | 'jsonl', file: string, o: SourceOptions, flag: string, classNames?: readonly string[]): Promise<FileDataset> {
  checkInputFile(flag, file);
  const names = classNames ?? o.classNames;
  const common = { ...(names ? { classNames: names } : {}), ...(o.classes !== undefined && !names ? { classes: o.classes } : {}) };
  let data: FileDataset;
  if (kind === 'jsonl') {
    data = await loadJsonl(file, common);
  } else {
    const raw = o.labelColumn;
    const label = raw === undefined ? -1 : raw === 'none' ? null : /^-?\d+$/.test(raw) ? Number(raw) : raw;
    data = await loadCsv(file, {
      label,
      ...common,
      ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
      ...(o.columns !== undefined ? { columns: o.columns } : {}),
      ...(o.drop !== undefined ? { drop: o.drop } : {}),
    });
  }
  // Labels the device would refuse (label >= classes), reported here with their line.
  const classes = o.classes ?? data.classes;
  const bad = data.packed.labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new UsageError(`${file}:${data.lines[bad]}: label ${data.packed.labels[bad]} is not below --classes ${classes}`);
  }
  return o.window !== undefined ? windowRows(data, o.window, o.hop ?? o.window) : data;
}

export async function openSource(spec: string, o: SourceOptions): Promise<CliSource> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'imu': {
      const steps = o.imuSteps ?? IMU_DEFAULT_STEPS;
      const trainSize = o.trainSize ?? IMU_TRAIN_SIZE;
      const evalCount = o.evalSamples ?? 500;
      const train = imuGestureDataset(trainSize, { seed: o.seed, steps });
      const held = imuGestureDataset(evalCount, { seed: mixSeed(o.seed, 0x4e1d), steps });
      return {
        name: `imu gestures (seed ${o.seed}, ${steps} readings x ${IMU_CHANNELS} axes)`,
        kind: 'window',
        inputSize: steps * IMU_CHANNELS,
        classes: GESTURES.length,
        classNames: GESTURES,
        samplesPerEpoch: trainSize,
        train: shuffledPasses(train.packed, o.seed, 'imu', GESTURES.length, GESTURES),
        evalSet: evalCount > 0 ? () => held : null,
        evalCount,
      };
    }
    case 'mnist': {
      const first = mnistSource({ split: 'train', seed: o.seed });
      const evalCount = Math.min(o.evalSamples ?? 1000, mnistSource({ split: 'test' }).packed.count);
      const test = mnistSource({ split: 'test', seed: mixSeed(o.seed, 0x7e57) });
      return {
        name: 'MNIST (train split; held-out test split)',
        kind: 'image',
        inputSize: MNIST_INPUT_SIZE,
        classes: MNIST_CLASSES,
        classNames: MNIST_CLASS_NAMES,
        samplesPerEpoch: first.packed.count,
        train: (epoch) => (epoch === 0 ? first : mnistSource({ split: 'train', seed: o.seed, epoch })),
        evalSet: evalCount > 0 ? () => take(test, evalCount) : null,
        evalCount,
      };
    }
    case 'csv':
    case 'jsonl': {
      if (!arg) throw new UsageError(`--source ${kind}:FILE needs a file, e.g. --source ${kind}:data.${kind}`);
      const data = await loadFile(kind, arg, o, `--source ${kind}:FILE`);
      const classes = o.classes ?? data.classes;
      let train: PackedSamples = data.packed;
      let held: PackedSamples | null = null;
      if (o.evalFile) {
        held = (await loadFile(o.evalFile.endsWith('.jsonl') ? 'jsonl' : 'csv', o.evalFile, o, '--eval-file', data.classNames)).packed;
        if (held.inputSize !== train.inputSize) {
          throw new UsageError(`--eval-file ${o.evalFile} has ${held.inputSize} inputs per sample, ${arg} has ${train.inputSize}`);
        }
      } else {
        const fraction = o.holdout ?? 0.2;
        if (!(fraction >= 0 && fraction < 1)) throw new UsageError(`--holdout must be in [0, 1), got ${fraction}`);
        const cut = data.packed.count - Math.round(data.packed.count * fraction);
        // Held-out rows come from a seeded shuffle, so a file sorted by class still splits fairly.
        const order = shuffledIndices(data.packed.count, mixSeed(o.seed, 0x5911));
        const shuffled = packedSource(data.packed, { name: arg, classes: data.classes, order });
        const all = Array.from(shuffled);
        const pack = (list: Sample[]): PackedSamples => ({
          count: list.length,
          inputSize: data.inputSize,
          inputs: (() => {
            const a = new Float32Array(list.length * data.inputSize);
            list.forEach((s, i) => a.set(s.inputs, i * data.inputSize));
            return a;
          })(),
          labels: Int32Array.from(list.map((s) => s.label)),
        });
        train = pack(all.slice(0, cut));
        held = cut < data.packed.count ? pack(all.slice(cut)) : null;
      }
      if (train.count === 0) throw new UsageError(`${arg} has no training samples left after holding out ${held?.count ?? 0}`);
      const evalRows = held && o.evalSamples !== undefined ? rows(held, 0, Math.min(held.count, o.evalSamples)) : held;
      const heldSource = evalRows && evalRows.count > 0 ? packedSource(evalRows, { name: 'held-out', classes }) : null;
      return {
        name: `${arg} (${data.packed.count} samples, ${data.inputSize} inputs)`,
        kind: data.windowed ? 'window' : 'row',
        inputSize: data.inputSize,
        classes,
        ...(data.classNames ? { classNames: data.classNames } : {}),
        file: data,
        samplesPerEpoch: train.count,
        train: shuffledPasses(train, o.seed, arg, classes, data.classNames),
        evalSet: heldSource ? () => heldSource : null,
        evalCount: heldSource?.packed.count ?? 0,
      };
    }
    case 'serial-sensor': {
      if (!arg) throw new UsageError("--source serial-sensor:PORT needs the sensor board's port, e.g. serial-sensor:/dev/ttyUSB0");
      const timeoutMs = o.sensorTimeoutMs ?? SENSOR_TIMEOUT_MS;
      const baudRate = o.sensorBaud ?? 115200;
      const channels = o.channels ?? (await detectChannels(arg, baudRate, timeoutMs, o.notice));
      const imuLike = channels === IMU_CHANNELS && !o.raw;
      const classNames = o.classNames ?? (imuLike && o.classes === undefined ? GESTURES : undefined);
      const sensor = new SerialSensorSource({
        path: arg,
        baudRate,
        channels,
        window: o.window ?? IMU_DEFAULT_STEPS,
        idleTimeoutMs: timeoutMs,
        onBadLine: badLineReporter(arg, o.notice),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.hop !== undefined ? { hop: o.hop } : {}),
        ...(imuLike ? { normalize: IMU_BOARD_NORMALIZE } : {}),
        ...(classNames ? { classNames } : {}),
        ...(o.classes !== undefined ? { classes: o.classes } : {}),
      });
      return {
        name: sensor.name,
        kind: 'window',
        inputSize: sensor.inputSize,
        classes: sensor.classes,
        ...(sensor.classNames ? { classNames: sensor.classNames } : {}),
        samplesPerEpoch: null,
        train: () => untilQuiet(sensor, { port: arg, baudRate, channels, timeoutMs, ...(o.notice ? { notice: o.notice } : {}) }),
        evalSet: null,
        evalCount: 0,
        close: () => sensor.close(),
      };
    }
    default:
      throw new UsageError(`unknown --source ${JSON.stringify(spec)}: use imu, mnist, csv:FILE, jsonl:FILE or serial-sensor:PORT`);
  }
}
