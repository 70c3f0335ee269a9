// `ffedge record --sensor PORT --label NAME --out FILE.csv`: a labelled sensor
// stream captured to a CSV dataset, one row per reading:
//
//   time_ms,ch1,ch2,...,chN,label
//
// time_ms counts from the start of the recording (ffedge stream leaves a
// timestamp column out of the inputs on its own). Recording into an existing
// file adds rows (one label per run is the usual way to build a dataset);
// its header must have the same channels. Rows are appended whole, like a log,
// so an interrupted recording keeps every row written.
//
// Then: ffedge stream --source csv:FILE.csv --window 32  (readings per sample).

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import { checkOutputFile, writingTo } from './output-files.js';
import { openSource } from './sources.js';
import { STOP_SIGNALS } from './stream.js';

export interface RecordFlags {
  sensor: string;
  label: string;
  out: string;
  sensorBaud?: string;
  channels?: string;
  sensorTimeout?: string;
  duration?: string;
  readings?: string;
  quiet?: boolean;
}

function positive(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(v > 0) || (integer && !Number.isInteger(v)))
    throw new UsageError(`${flag} must be a ${integer ? 'whole number' : 'number'} > 0, got ${JSON.stringify(text)}`);
  return v;
}

/** Up to 7 significant digits: what a float32 reading holds, without 0.10000000149. */
const cell = (v: number): string => String(Number(v.toPrecision(7)));

export async function recordCommand(flags: RecordFlags): Promise<void> {
  if (!/^[^,"\n\r]+$/.test(flags.label)) throw new UsageError(`--label must be a class name without commas or quotes, got ${JSON.stringify(flags.label)}`);
  const baud = positive('--sensor-baud', flags.sensorBaud, true);
  const channelsFlag = positive('--channels', flags.channels, true);
  const duration = positive('--duration', flags.duration, false);
  const readings = positive('--readings', flags.readings, true);
  const timeout = flags.sensorTimeout === undefined ? undefined : Number(flags.sensorTimeout);
  if (timeout !== undefined && !(timeout >= 0))
    throw new UsageError(`--sensor-timeout must be a number of seconds >= 0, got ${JSON.stringify(flags.sensorTimeout)}`);
  const out = resolve(flags.out);
  checkOutputFile('--out', flags.out, { example: 'gestures.csv' });
  const say = (text: string): void => {
    if (!flags.quiet) process.stderr.write(`${text}\n`);
  };

  const abort = new AbortController();
  const source = await openSource(`serial-sensor:${flags.sensor}`, {
    seed: 1,
    window: 1,
    raw: true,
    signal: abort.signal,
    notice: (text) => process.stderr.write(`${text}\n`),
    ...(baud !== undefined ? { sensorBaud: baud } : {}),
    ...(channelsFlag !== undefined ? { channels: channelsFlag } : {}),
    ...(timeout !== undefined ? { sensorTimeoutMs: timeout * 1000 } : {}),
    classes: 1_000_000, // the board's own label column, if any, is replaced by --label
  });
  const channels = source.inputSize;
  const header = ['time_ms', ...Array.from({ length: channels }, (_, k) => `ch${k + 1}`), 'label'].join(',');
  if (existsSync(out)) {
    const first = readFileSync(out, 'utf8').split('\n', 1)[0]!.trim();
    if (first !== '' && first !== header) {
      throw new UsageError(`--out ${flags.out} holds other columns (${first}); this sensor gives ${header}: choose another --out`);
    }
    if (first === '') await writingTo('--out', flags.out, () => appendFileSync(out, `${header}\n`));
  } else {
    await writingTo('--out', flags.out, () => appendFileSync(out, `${header}\n`));
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(128 + constants.signals[signal]);
    abort.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const timer = duration !== undefined ? setTimeout(() => abort.abort(), duration * 1000) : undefined;
  say(
    `recording ${flags.sensor} as "${flags.label}" to ${flags.out}${duration ? ` for ${duration} s` : ''}${readings ? `, ${readings} readings` : ''} (Ctrl-C to stop)`,
  );
  const started = performance.now();
  let rows = 0;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    await writingTo('--out', flags.out, () => appendFileSync(out, text));
  };
  try {
    for await (const reading of source.train(0)) {
      batch.push(`${Math.round(performance.now() - started)},${Array.from(reading.inputs, cell).join(',')},${flags.label}\n`);
      rows++;
      if (batch.length >= 64) await flush();
      if (readings !== undefined && rows >= readings) break;
    }
  } finally {
    clearTimeout(timer);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await flush();
    await source.close?.();
  }
  process.stdout.write(`${out}: ${rows} readings of ${channels} channels labelled ${flags.label} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
