// `ffedge stream`: train a model on the device from a sample source, evaluate
// it on held-out samples, log every goodness record, and print a summary.

import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { openJsonlWriter, renderSummary, summarizeFile, writeGoodnessPlot, type JsonlWriter } from '../logs/index.js';
import type { LearnerConfig } from '../learner/config.js';
import { packageRoot } from '../paths.js';
import { readCheckpointFile, writeCheckpointFile } from '../session/checkpoint-file.js';
import { runStream, type RunResult } from '../session/run.js';
import type { PredictMode, Session } from '../session/index.js';
import { openSession, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { buildModel, type ModelFlags } from './model.js';
import { ProgressBar } from './progress.js';
import { openSource, type CliSource } from './sources.js';

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
  classes?: string;
  saveCheckpoint?: string;
  loadCheckpoint?: string;
  quiet?: boolean;
}

function count(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

/** out/<name>-YYYYMMDD-HHMMSS.jsonl under the package root. */
export function defaultLogPath(name: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return join(packageRoot, 'out', `${name}-${stamp}.jsonl`);
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

/** Streams with a progress bar; the demo and `ffedge stream` share it. */
export async function trainWithProgress(session: Session, source: CliSource, options: {
  epochs: number; samples?: number; evalEvery: number; mode: PredictMode; quiet: boolean; signal?: AbortSignal;
}): Promise<RunResult> {
  const perEpoch = source.samplesPerEpoch;
  const planned = perEpoch === null ? (options.samples ?? null) : Math.min(options.samples ?? Infinity, perEpoch * options.epochs);
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

/** After a failure: what the device trained for certain, and how many more it may have. */
export function trainedReport(session: Session, logPath: string): string {
  const doubt = session.inDoubt > 0
    ? `; up to ${session.inDoubt} more samples sent past the last record (the device's window is ${session.device.window}) may also have been trained`
    : '';
  return `ffedge: stopped after ${session.trained.toLocaleString('en-US')} samples trained for certain, each with a train record in ${logPath}${doubt}\n`;
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
  const evalEvery = count('--eval-every', flags.evalEvery) ?? 0;
  const mode = flags.predict ?? 'goodness';
  if (mode !== 'goodness' && mode !== 'head') throw new UsageError(`--predict must be goodness or head; got ${JSON.stringify(mode)}`);
  const holdout = flags.holdout === undefined ? undefined : Number(flags.holdout);
  const evalSamples = count('--eval-samples', flags.evalSamples);
  const trainSize = count('--train-size', flags.trainSize, 1);
  const sensorBaud = count('--sensor-baud', flags.sensorBaud, 1);
  const channels = count('--channels', flags.channels, 1);
  const window = count('--window', flags.window, 1);
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
    ...(classes !== undefined ? { classes } : {}),
  });
  const defaults: Partial<LearnerConfig> = flags.source === 'mnist' ? { layers: [500, 500] } : { layers: [64, 32] };
  const model = await buildModel(flags, { inputSize: source.inputSize, classes: classes ?? source.classes }, defaults);
  const checkpointIn = flags.loadCheckpoint ? await readCheckpointFile(flags.loadCheckpoint) : undefined;

  const logPath = resolve(flags.log ?? defaultLogPath('stream'));
  const plotPath = resolve(flags.plot ?? plotPathFor(logPath));
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
  try {
    session = await openSession(flags, log, quiet);
    const configured = await session.configure(model);
    say(`model ${model.inputSize} -> ${model.layers.join(' -> ')} (${model.classes} classes), arena ${configured.arenaUsed?.toLocaleString('en-US') ?? '?'} B on the device`);
    if (checkpointIn) {
      await session.putCheckpoint(checkpointIn.weights);
      say(`loaded weights from ${flags.loadCheckpoint} (${checkpointIn.weights.length} B, CRC ${checkpointIn.crc.toString(16)})`);
    }
    say(`source ${source.name}; ${source.evalSet ? `evaluating on ${source.evalCount} held-out samples (${mode})` : 'no held-out samples'}; log ${logPath}`);
    const run = await trainWithProgress(session, source, {
      epochs, evalEvery, mode, quiet, signal: abort.signal, ...(samples !== undefined ? { samples } : {}),
    });
    if (flags.saveCheckpoint) {
      const checkpoint = await session.getCheckpoint();
      await writeCheckpointFile(flags.saveCheckpoint, { config: model, weights: checkpoint.weights, crc: checkpoint.crc, device: { ...session.device } });
      say(`saved weights to ${flags.saveCheckpoint} (${checkpoint.weights.length} B, CRC ${checkpoint.crc.toString(16)})`);
    }
    await session.close();
    await log.close();
    const summary = await reportLog(logPath, plotPath, `ffedge stream: ${source.name}`);
    process.stdout.write(summary);
    const acc = run.final ? `, final accuracy ${run.final.accuracy.toFixed(3)} on ${run.final.n} held-out samples` : '';
    process.stdout.write(`\ntrained ${run.trained} samples in ${run.seconds.toFixed(1)} s (${Math.round(run.samplesPerSecond)} samples/s)${acc}\n`);
    process.stdout.write(`log:  ${logPath}\nplot: ${plotPath}\n`);
  } catch (err) {
    if (session?.device) process.stderr.write(trainedReport(session, logPath));
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await session?.close().catch(() => undefined);
    if (!log.closed) await log.close().catch(() => undefined);
    await source.close?.();
  }
}
