// `ffedge stream`: train a model on the device from a sample source, evaluate
// it on held-out samples, log every goodness record, and print a summary.

import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../files/atomic-write.js';
import { confusionRecord, countConfusion, renderConfusion, type Confusion } from '../logs/confusion.js';
import { openJsonlWriter, renderSummary, summarizeFile, writeGoodnessPlot, type JsonlWriter } from '../logs/index.js';
import { packageRoot } from '../paths.js';
import { readCheckpointFile, writeCheckpointFile } from '../session/checkpoint-file.js';
import { runStream, type RunResult, type RunTarget } from '../session/run.js';
import type { PredictMode, RecordSink, Session } from '../session/index.js';
import { RecoveringSession } from '../session/recovery.js';
import { makeTransport, openSession, sessionOptions, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { checkCheckpointShape } from './checkpoint-shape.js';
import { resumedSink, type Resumed } from './resume.js';
import { checkInputFile } from './input-file.js';
import { checkOutputFile, writeFailure, writingTo } from './output-files.js';
import { tunedDefaults } from './defaults.js';
import { buildModel, type ModelFlags, type ModelNotes } from './model.js';
import { ProgressBar } from './progress.js';
import { openSource, parseColumns, type CliSource } from './sources.js';

export interface StreamFlags extends DeviceFlags, ModelFlags {
  source: string;
  log?: string;
  plot?: string;
  samples?: string;
  epochs?: string;
  evalEvery?: string;
  evalSamples?: string;
  evalFile?: string;
  holdout?: string;
  trainSize?: string;
  labelColumn?: string;
  predict?: string;
  seed?: string;
  sensorBaud?: string;
  channels?: string;
  sensorTimeout?: string;
  window?: string;
  hop?: string;
  delimiter?: string;
  columns?: string;
  drop?: string;
  classes?: string;
  saveCheckpoint?: string;
  snapshotEvery?: string;
  snapshotSeconds?: string;
  maxResets?: string;
  loadCheckpoint?: string;
  append?: boolean;
  quiet?: boolean;
}

/** The signals that end a run the way Ctrl-C does. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A duration flag in seconds (>= 0; fractions allowed). */
function seconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${flag} must be a number of seconds >= 0, got ${JSON.stringify(text)}`);
  return v;
}

function count(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

/**
 * The goodness writer appends, and a summary of two runs in one file mixes
 * them: an existing non-empty log is refused unless the user asks to append.
 */
export function checkLogTarget(logPath: string, append: boolean): void {
  let stats;
  try {
    stats = statSync(logPath);
  } catch {
    return; // does not exist yet
  }
  if (stats.isDirectory()) throw new UsageError(`--log ${logPath} is a directory; give a file such as ${join(logPath, 'run.jsonl')}`);
  if (stats.size > 0 && !append) {
    throw new UsageError(`--log ${logPath} already exists: pass --append to add this run to it, or choose another --log`);
  }
}

/** out/<name>-YYYYMMDD-HHMMSS.jsonl under the package root. */
export function defaultLogPath(name: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return join(packageRoot, 'out', `${name}-${stamp}.jsonl`);
}

/** The class-name mapping beside a log or checkpoint: run.jsonl -> run.classes.json. */
export function classesPathFor(path: string): string {
  return path.replace(/\.[^./\\]*$/, '') + '.classes.json';
}

/** What the file source decided on its own: class numbers, dropped columns, windows. */
function fileNotes(source: CliSource): string[] {
  const file = source.file;
  if (!file) return [];
  const notes: string[] = [];
  if (file.namesFromFile) notes.push(`classes from the labels in ${file.file}: ${source.classNames!.map((n, i) => `${i}=${n}`).join(' ')}`);
  if (file.droppedColumns) notes.push(`not inputs: ${file.droppedColumns.join(', ')} (a timestamp; --columns lists the inputs yourself)`);
  if (file.windowed) {
    const { window, hop } = file.windowed;
    notes.push(
      `samples: windows of ${window} rows every ${hop} rows, labelled by the most frequent label of their rows (a tie: the latest row's)` +
        (hop < window ? '; windows overlap, so held-out windows share rows with training windows (use --eval-file for a clean test)' : ''),
    );
  }
  return notes;
}

export function plotPathFor(logPath: string): string {
  return logPath.replace(/\.jsonl$/i, '') + '.svg';
}

export interface TrainingReport {
  run: RunResult;
  logPath: string;
  plotPath: string;
  summary: string;
}

/** Samples a run will train: all epochs, capped by --samples; null for a live source without --samples. */
export function plannedSamples(source: CliSource, epochs: number, samples: number | undefined): number | null {
  const perEpoch = source.samplesPerEpoch;
  return perEpoch === null ? (samples ?? null) : Math.min(samples ?? Infinity, perEpoch * epochs);
}

/** Streams with a progress bar; the demo and `ffedge stream` share it. */
export async function trainWithProgress(
  session: RunTarget,
  source: CliSource,
  options: {
    epochs: number;
    samples?: number;
    evalEvery: number;
    mode: PredictMode;
    quiet: boolean;
    signal?: AbortSignal;
  },
): Promise<RunResult> {
  const perEpoch = source.samplesPerEpoch;
  const planned = plannedSamples(source, options.epochs, options.samples);
  const bar = options.quiet ? null : new ProgressBar({ label: 'training', total: planned, unit: ' samples' });
  let lastNote = '';
  const run = await runStream(session, {
    train: source.train,
    samplesPerEpoch: perEpoch,
    epochs: options.epochs,
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    ...(source.evalSet ? { evalSet: source.evalSet } : {}),
    evalEvery: options.evalEvery,
    mode: options.mode,
    ...(options.signal ? { signal: options.signal } : {}),
    onTrained: (_r, done) => bar?.update(done),
    onEvalStart: () => bar?.annotate(`${lastNote ? `${lastNote}  ` : ''}evaluating ...`),
    onEval: (e) => {
      lastNote = `acc ${e.accuracy.toFixed(3)} @ ${e.step}`;
      bar?.annotate(lastNote);
    },
  }).catch((err: unknown) => {
    bar?.finish('stopped'); // the true count, also when stderr is not a terminal (which prints only every 10%)
    throw err;
  });
  bar?.finish(lastNote);
  return run;
}

/**
 * Which class the model predicts for each held-out sample, after training: one
 * more pass of INFERs over the held-out set (the run's evaluations report only
 * accuracy per class).
 */
export async function evalConfusion(session: Session, source: CliSource, mode: PredictMode, step: number): Promise<Confusion> {
  const pairs: { label: number; predicted: number }[] = [];
  for await (const sample of source.evalSet!()) {
    if (sample.label < 0) continue;
    pairs.push({ label: sample.label, predicted: (await session.infer(sample.inputs, mode)).label });
  }
  const classes = source.classNames?.length === source.classes ? [...source.classNames] : Array.from({ length: source.classes }, (_, i) => String(i));
  return { step, mode, classes, matrix: countConfusion(pairs, source.classes) };
}

/** After a failure: what the device trained for certain, and how many more it may have. */
export function trainedReport(session: Session, logPath: string): string {
  const doubt =
    session.inDoubt > 0
      ? `; up to ${session.inDoubt} more samples sent past the last record (the device's window is ${session.device.window}) may also have been trained`
      : '';
  return `ffedge: stopped after ${session.trained.toLocaleString('en-US')} samples trained for certain, each with a train record in ${logPath}${doubt}\n`;
}

/** Summary table and SVG plot of a finished log. */
export async function reportLog(logPath: string, plotPath: string, title: string): Promise<string> {
  await writeGoodnessPlot(logPath, plotPath, { title });
  return renderSummary(await summarizeFile(logPath), { title });
}

export type SourceFlags = Pick<
  StreamFlags,
  | 'source'
  | 'holdout'
  | 'evalSamples'
  | 'trainSize'
  | 'sensorBaud'
  | 'channels'
  | 'window'
  | 'hop'
  | 'columns'
  | 'drop'
  | 'delimiter'
  | 'classes'
  | 'sensorTimeout'
  | 'evalFile'
  | 'labelColumn'
>;

/** --source and the flags that shape it (ffedge stream and ffedge eval). */
export async function openSourceFromFlags(flags: SourceFlags, seed: number, signal?: AbortSignal): Promise<CliSource> {
  const holdout = flags.holdout === undefined ? undefined : Number(flags.holdout);
  const evalSamples = count('--eval-samples', flags.evalSamples);
  const trainSize = count('--train-size', flags.trainSize, 1);
  const sensorBaud = count('--sensor-baud', flags.sensorBaud, 1);
  const channels = count('--channels', flags.channels, 1);
  const window = count('--window', flags.window, 1);
  const hop = count('--hop', flags.hop, 1);
  if (hop !== undefined && window === undefined) throw new UsageError('--hop needs --window N (rows per sample)');
  if (flags.columns !== undefined && flags.drop !== undefined) throw new UsageError('--columns and --drop exclude each other: --columns lists the inputs');
  if (flags.delimiter !== undefined && (!/^(.|\\t|tab)$/.test(flags.delimiter) || /^[0-9.+\-eE]$/.test(flags.delimiter))) {
    throw new UsageError(`--delimiter must be one character that is not part of a number (or \\t / tab), got ${JSON.stringify(flags.delimiter)}`);
  }
  const delimiter = flags.delimiter === '\\t' || flags.delimiter === 'tab' ? '\t' : flags.delimiter;
  const classes = count('--classes', flags.classes, 2);
  const sensorTimeout = seconds('--sensor-timeout', flags.sensorTimeout);
  return openSource(flags.source, {
    ...(signal ? { signal } : {}),
    notice: (text) => process.stderr.write(`${text}\n`),
    ...(sensorTimeout !== undefined ? { sensorTimeoutMs: sensorTimeout * 1000 } : {}),
    seed,
    ...(trainSize !== undefined ? { trainSize } : {}),
    ...(evalSamples !== undefined ? { evalSamples } : {}),
    ...(holdout !== undefined ? { holdout } : {}),
    ...(flags.evalFile !== undefined ? { evalFile: flags.evalFile } : {}),
    ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
    ...(sensorBaud !== undefined ? { sensorBaud } : {}),
    ...(channels !== undefined ? { channels } : {}),
    ...(window !== undefined ? { window } : {}),
    ...(hop !== undefined ? { hop } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(flags.columns !== undefined ? { columns: parseColumns('--columns', flags.columns) } : {}),
    ...(flags.drop !== undefined ? { drop: parseColumns('--drop', flags.drop) } : {}),
    ...(classes !== undefined ? { classes } : {}),
  });
}

export async function streamCommand(flags: StreamFlags): Promise<void> {
  const seed = count('--seed', flags.seed) ?? 1;
  const epochs = count('--epochs', flags.epochs, 1) ?? 1;
  const samples = count('--samples', flags.samples, 1);
  const snapshotEvery = count('--snapshot-every', flags.snapshotEvery, 1);
  const snapshotSeconds = flags.snapshotSeconds === undefined ? undefined : Number(flags.snapshotSeconds);
  if (snapshotSeconds !== undefined && !(snapshotSeconds > 0))
    throw new UsageError(`--snapshot-seconds must be a number > 0, got ${JSON.stringify(flags.snapshotSeconds)}`);
  const maxResets = count('--max-resets', flags.maxResets);
  const recover = snapshotEvery !== undefined || snapshotSeconds !== undefined || maxResets !== undefined;
  // 0 would mean "never" to the run loop; the user means that by leaving the flag out.
  const evalEvery = count('--eval-every', flags.evalEvery, 1) ?? 0;
  const mode = flags.predict ?? 'goodness';
  if (mode !== 'goodness' && mode !== 'head') throw new UsageError(`--predict must be goodness or head; got ${JSON.stringify(mode)}`);
  const classes = count('--classes', flags.classes, 2);
  const quiet = flags.quiet ?? false;
  const say = (text: string): void => {
    if (!quiet) process.stderr.write(`${text}\n`);
  };
  // Ctrl-C, SIGTERM (a service manager, `timeout`, `kill`) and SIGHUP (the terminal closed)
  // all stop pulling samples; the samples in flight finish and everything is saved.
  const abort = new AbortController();
  const source = await openSourceFromFlags(flags, seed, abort.signal);
  const planned = plannedSamples(source, epochs, samples);
  const notes: ModelNotes = {};
  const model = await buildModel(
    flags,
    { inputSize: source.inputSize, classes: classes ?? source.classes, kind: source.kind },
    (algorithm) => (source.kind === 'image' ? { layers: [500, 500] } : tunedDefaults(algorithm, planned)),
    notes,
  );
  if (flags.loadCheckpoint !== undefined) checkInputFile('--load-checkpoint', flags.loadCheckpoint);
  const checkpointIn = flags.loadCheckpoint ? await readCheckpointFile(flags.loadCheckpoint) : undefined;
  if (checkpointIn) checkCheckpointShape(`--load-checkpoint ${flags.loadCheckpoint}`, checkpointIn.weights, checkpointIn.config, model);
  const resumed: Resumed | undefined = checkpointIn ? { checkpoint: resolve(flags.loadCheckpoint!), steps: checkpointIn.steps ?? 0 } : undefined;
  const stepOffset = resumed?.steps ?? 0;

  const logPath = resolve(flags.log ?? defaultLogPath('stream'));
  const plotPath = resolve(flags.plot ?? plotPathFor(logPath));
  const classesJson = source.file?.namesFromFile ? JSON.stringify({ file: source.file.file, classes: source.classNames }, null, 2) + '\n' : undefined;
  // Every output is checked before training: a typo in a folder must not cost the run.
  checkLogTarget(logPath, flags.append ?? false);
  checkOutputFile('--log', logPath, { createFolder: true, example: 'run.jsonl' });
  checkOutputFile('--plot', plotPath, { createFolder: flags.plot === undefined, example: 'run.svg' });
  if (flags.saveCheckpoint !== undefined) {
    checkOutputFile('--save-checkpoint', flags.saveCheckpoint, { example: 'model.ffck' });
    if (classesJson !== undefined) checkOutputFile('--save-checkpoint', classesPathFor(flags.saveCheckpoint));
  }
  const log: JsonlWriter = await writingTo('--log', logPath, () => openJsonlWriter(logPath));
  log.on('error', () => undefined); // append() rejects with it; seen below as log.errored
  const sink: RecordSink = resumed ? resumedSink(log, resumed) : log;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(128 + constants.signals[signal]);
    say(`\n${signal === 'SIGINT' ? 'interrupted' : signal}: finishing the samples in flight, then saving (Ctrl-C again to quit at once)`);
    abort.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let session: Session | undefined;
  let recovering: RecoveringSession | undefined;
  for (const note of fileNotes(source)) say(note);
  if (classesJson !== undefined) {
    await writingTo('--log', classesPathFor(logPath), () => writeFileAtomicSync(classesPathFor(logPath), classesJson));
    say(`class names saved to ${classesPathFor(logPath)}`);
  }
  if (notes.overlay) say(notes.overlay);
  if (notes.layers) say(notes.layers);
  try {
    session = await openSession(flags, sink, quiet);
    const configured = await session.configure(model);
    say(
      `model ${model.inputSize} -> ${model.layers.join(' -> ')} (${model.classes} classes), arena ${configured.arenaUsed?.toLocaleString('en-US') ?? '?'} B on the device`,
    );
    if (checkpointIn) {
      await session.putCheckpoint(checkpointIn.weights);
      say(
        `loaded weights from ${flags.loadCheckpoint} (${checkpointIn.weights.length} B, CRC ${checkpointIn.crc.toString(16)})` +
          (stepOffset > 0 ? `; the log continues from step ${stepOffset}` : ''),
      );
    }
    if (recover) {
      // From here on the session in use may change: a reset brings a new one (recovery.ts).
      recovering = await RecoveringSession.adopt(session, {
        connect: () => makeTransport(flags),
        config: model,
        session: sessionOptions(flags, sink),
        ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
        ...(snapshotSeconds !== undefined ? { snapshotSeconds } : {}),
        ...(maxResets !== undefined ? { maxResets } : {}),
        onReset: (r) =>
          say(`\ndevice reset (${r.reason.split(':')[0]}): restored the snapshot at sample ${r.fromSample}, training ${r.replayed} samples again`),
      });
    }
    say(`source ${source.name}; ${source.evalSet ? `evaluating on ${source.evalCount} held-out samples (${mode})` : 'no held-out samples'}; log ${logPath}`);
    const run = await trainWithProgress(recovering ?? session, source, {
      epochs,
      evalEvery,
      mode,
      quiet,
      signal: abort.signal,
      ...(samples !== undefined ? { samples } : {}),
    });
    if (recovering) session = recovering.session;
    const confusion = run.final && source.evalSet ? await evalConfusion(session, source, mode, stepOffset + run.final.step) : undefined;
    if (confusion) await sink.append(confusionRecord(confusion));
    if (flags.saveCheckpoint) {
      const checkpoint = await (recovering ?? session).getCheckpoint();
      if (recovering) session = recovering.session;
      const file = flags.saveCheckpoint;
      await writingTo('--save-checkpoint', file, () =>
        writeCheckpointFile(file, {
          config: model,
          weights: checkpoint.weights,
          crc: checkpoint.crc,
          steps: stepOffset + session!.step,
          device: { ...session!.device },
        }),
      );
      say(`saved weights to ${file} (${checkpoint.weights.length} B, CRC ${checkpoint.crc.toString(16)})`);
      if (classesJson !== undefined) await writingTo('--save-checkpoint', classesPathFor(file), () => writeFileAtomicSync(classesPathFor(file), classesJson));
    }
    await session.close();
    await log.close();
    const summary = await writingTo('--plot', plotPath, () => reportLog(logPath, plotPath, `ffedge stream: ${source.name}`));
    process.stdout.write(summary);
    if (confusion) process.stdout.write(`\n${renderConfusion(confusion)}\n`);
    const acc = run.final ? `, final accuracy ${run.final.accuracy.toFixed(3)} on ${run.final.n} held-out samples` : '';
    process.stdout.write(`\ntrained ${run.trained} samples in ${run.seconds.toFixed(1)} s (${Math.round(run.samplesPerSecond)} samples/s)${acc}\n`);
    if (recovering) process.stdout.write(`device resets: ${recovering.resets}; samples trained again from snapshots: ${recovering.replayed}\n`);
    process.stdout.write(`log:  ${logPath}\nplot: ${plotPath}\n`);
  } catch (err) {
    // Only once samples went out: a refused configure or checkpoint trained nothing to report.
    if (session?.device && (session.trained > 0 || session.inDoubt > 0)) process.stderr.write(trainedReport(session, logPath));
    // A log that cannot be written (disk full) fails the run wherever it is noticed.
    throw log.errored ? writeFailure('--log', logPath, log.errored) : err;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await session?.close().catch(() => undefined);
    await recovering?.close().catch(() => undefined);
    if (!log.closed) await log.close().catch(() => undefined);
    await source.close?.();
  }
}
