// `ffedge stream`: train a model on the device from a sample source, evaluate
// it on held-out samples, log every goodness record, and print a summary.

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { confusionRecord, countConfusion, renderConfusion, type Confusion } from '../logs/confusion.js';
import { openJsonlWriter, renderSummary, summarizeFile, writeGoodnessPlot, type JsonlWriter } from '../logs/index.js';
import { packageRoot } from '../paths.js';
import { readCheckpointFile, writeCheckpointFile } from '../session/checkpoint-file.js';
import { runStream, type RunResult, type RunTarget } from '../session/run.js';
import type { PredictMode, Session } from '../session/index.js';
import { RecoveringSession } from '../session/recovery.js';
import { makeTransport, openSession, sessionOptions, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';
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
  window?: string;
  hop?: string;
  delimiter?: string;
  columns?: string;
  drop?: string;
  classes?: string;
  saveCheckpoint?: string;
  loadCheckpoint?: string;
  snapshotEvery?: string;
  snapshotSeconds?: string;
  maxResets?: string;
  append?: boolean;
  quiet?: boolean;
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
    notes.push(`samples: windows of ${window} rows every ${hop} rows, labelled by the most frequent label of their rows (a tie: the latest row's)`
      + (hop < window ? '; windows overlap, so held-out windows share rows with training windows (use --eval-file for a clean test)' : ''));
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
export async function trainWithProgress(session: RunTarget, source: CliSource, options: {
  epochs: number; samples?: number; evalEvery: number; mode: PredictMode; quiet: boolean; signal?: AbortSignal;
}): Promise<RunResult> {
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

/** Summary table and SVG plot of a finished log. */
export async function reportLog(logPath: string, plotPath: string, title: string): Promise<string> {
  await writeGoodnessPlot(logPath, plotPath, { title });
  return renderSummary(await summarizeFile(logPath), { title });
}

export async function streamCommand(flags: StreamFlags): Promise<void> {
  const seed = count('--seed', flags.seed) ?? 1;
  const epochs = count('--epochs', flags.epochs, 1) ?? 1;
  const samples = count('--samples', flags.samples, 1);
  const snapshotEvery = count('--snapshot-every', flags.snapshotEvery, 1);
  const snapshotSeconds = flags.snapshotSeconds === undefined ? undefined : Number(flags.snapshotSeconds);
  if (snapshotSeconds !== undefined && !(snapshotSeconds > 0)) throw new UsageError(`--snapshot-seconds must be a number > 0, got ${JSON.stringify(flags.snapshotSeconds)}`);
  const maxResets = count('--max-resets', flags.maxResets);
  const recover = snapshotEvery !== undefined || snapshotSeconds !== undefined || maxResets !== undefined;
  // 0 would mean "never" to the run loop; the user means that by leaving the flag out.
  const evalEvery = count('--eval-every', flags.evalEvery, 1) ?? 0;
  const mode = flags.predict ?? 'goodness';
  if (mode !== 'goodness' && mode !== 'head') throw new UsageError(`--predict must be goodness or head; got ${JSON.stringify(mode)}`);
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
  const source = await openSource(flags.source, {
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
  const planned = plannedSamples(source, epochs, samples);
  const notes: ModelNotes = {};
  const model = await buildModel(flags, { inputSize: source.inputSize, classes: classes ?? source.classes, kind: source.kind },
    (algorithm) => (source.kind === 'image' ? { layers: [500, 500] } : tunedDefaults(algorithm, planned)), notes);
  if (flags.loadCheckpoint !== undefined) checkInputFile('--load-checkpoint', flags.loadCheckpoint);
  const checkpointIn = flags.loadCheckpoint ? await readCheckpointFile(flags.loadCheckpoint) : undefined;

  const logPath = resolve(flags.log ?? defaultLogPath('stream'));
  const plotPath = resolve(flags.plot ?? plotPathFor(logPath));
  checkLogTarget(logPath, flags.append ?? false);
  mkdirSync(dirname(logPath), { recursive: true });
  const log: JsonlWriter = openJsonlWriter(logPath);
  const quiet = flags.quiet ?? false;
  const say = (text: string): void => { if (!quiet) process.stderr.write(`${text}\n`); };
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    say('\ninterrupted: finishing the samples in flight (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let session: Session | undefined;
  let recovering: RecoveringSession | undefined;
  for (const note of fileNotes(source)) say(note);
  const classesJson = source.file?.namesFromFile ? JSON.stringify({ file: source.file.file, classes: source.classNames }, null, 2) + '\n' : undefined;
  if (classesJson !== undefined) {
    writeFileSync(classesPathFor(logPath), classesJson);
    say(`class names saved to ${classesPathFor(logPath)}`);
  }
  if (notes.overlay) say(notes.overlay);
  if (notes.layers) say(notes.layers);
  try {
    session = await openSession(flags, log, quiet);
    const configured = await session.configure(model);
    say(`model ${model.inputSize} -> ${model.layers.join(' -> ')} (${model.classes} classes), arena ${configured.arenaUsed?.toLocaleString('en-US') ?? '?'} B on the device`);
    if (checkpointIn) {
      await session.putCheckpoint(checkpointIn.weights);
      say(`loaded weights from ${flags.loadCheckpoint} (${checkpointIn.weights.length} B, CRC ${checkpointIn.crc.toString(16)})`);
    }
    if (recover) {
      // From here on the session in use may change: a reset brings a new one (recovery.ts).
      recovering = await RecoveringSession.adopt(session, {
        connect: () => makeTransport(flags), config: model, session: sessionOptions(flags, log),
        ...(snapshotEvery !== undefined ? { snapshotEvery } : {}), ...(snapshotSeconds !== undefined ? { snapshotSeconds } : {}),
        ...(maxResets !== undefined ? { maxResets } : {}),
        onReset: (r) => say(`\ndevice reset (${r.reason.split(':')[0]}): restored the snapshot at sample ${r.fromSample}, training ${r.replayed} samples again`),
      });
    }
    say(`source ${source.name}; ${source.evalSet ? `evaluating on ${source.evalCount} held-out samples (${mode})` : 'no held-out samples'}; log ${logPath}`);
    const run = await trainWithProgress(recovering ?? session, source, {
      epochs, evalEvery, mode, quiet, signal: abort.signal, ...(samples !== undefined ? { samples } : {}),
    });
    if (recovering) session = recovering.session;
    const confusion = run.final && source.evalSet ? await evalConfusion(session, source, mode, run.final.step) : undefined;
    if (confusion) await log.append(confusionRecord(confusion));
    if (flags.saveCheckpoint) {
      const checkpoint = await (recovering ?? session).getCheckpoint();
      if (recovering) session = recovering.session;
      await writeCheckpointFile(flags.saveCheckpoint, { config: model, weights: checkpoint.weights, crc: checkpoint.crc, device: { ...session.device } });
      say(`saved weights to ${flags.saveCheckpoint} (${checkpoint.weights.length} B, CRC ${checkpoint.crc.toString(16)})`);
      if (classesJson !== undefined) writeFileSync(classesPathFor(flags.saveCheckpoint), classesJson);
    }
    await session.close();
    await log.close();
    const summary = await reportLog(logPath, plotPath, `ffedge stream: ${source.name}`);
    process.stdout.write(summary);
    if (confusion) process.stdout.write(`\n${renderConfusion(confusion)}\n`);
    const acc = run.final ? `, final accuracy ${run.final.accuracy.toFixed(3)} on ${run.final.n} held-out samples` : '';
    process.stdout.write(`\ntrained ${run.trained} samples in ${run.seconds.toFixed(1)} s (${Math.round(run.samplesPerSecond)} samples/s)${acc}\n`);
    if (recovering) process.stdout.write(`device resets: ${recovering.resets}; samples trained again from snapshots: ${recovering.replayed}\n`);
    process.stdout.write(`log:  ${logPath}\nplot: ${plotPath}\n`);
  } finally {
    process.off('SIGINT', onSigint);
    await session?.close().catch(() => undefined);
    await recovering?.close().catch(() => undefined);
    if (!log.closed) await log.close().catch(() => undefined);
    await source.close?.();
  }
}
