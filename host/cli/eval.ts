// `ffedge eval CHECKPOINT --source ...`: evaluation only. The checkpoint's
// model is configured on the device, its weights loaded, and the source's
// held-out samples predicted (the same split ffedge stream holds out with the
// same --seed, or --eval-file). Prints accuracy and the confusion matrix;
// trains nothing.

import { resolve } from 'node:path';
import { renderConfusion } from '../logs/confusion.js';
import { readCheckpointFile } from '../session/checkpoint-file.js';
import type { PredictMode } from '../session/index.js';
import { openSession, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';
import { evalConfusion, openSourceFromFlags, type SourceFlags } from './stream.js';

export interface EvalFlags extends DeviceFlags, SourceFlags {
  seed?: string;
  predict?: string;
  quiet?: boolean;
}

export async function evalCommand(file: string, flags: EvalFlags): Promise<void> {
  checkInputFile('eval CHECKPOINT', file);
  const checkpoint = await readCheckpointFile(resolve(file));
  const config = checkpoint.config;
  if (!config) throw new UsageError(`${file} has no model config: save it with ffedge stream --save-checkpoint, or ffedge checkpoint get --config FILE.json`);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be an integer >= 0, got ${JSON.stringify(flags.seed)}`);
  const mode = (flags.predict ?? 'goodness') as PredictMode;
  const source = await openSourceFromFlags(flags, seed);
  try {
    if (!source.evalSet) throw new UsageError(`${flags.source} has no held-out samples to evaluate on: pass --eval-file FILE, or --holdout FRACTION > 0`);
    if (source.inputSize !== config.inputSize || (source.classes > 0 && source.classes !== config.classes)) {
      throw new UsageError(
        `shape mismatch: ${file} holds a model of ${config.inputSize} inputs and ${config.classes} classes; ` +
          `--source ${flags.source} gives ${source.inputSize} inputs and ${source.classes} classes (same --window, --columns and --classes as in training?)`,
      );
    }
    const session = await openSession(flags, undefined, flags.quiet ?? false);
    try {
      await session.configure(config);
      await session.putCheckpoint(checkpoint.weights);
      const confusion = await evalConfusion(session, source, mode, checkpoint.steps ?? 0);
      const n = confusion.matrix.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
      const right = confusion.matrix.reduce((a, row, i) => a + (row[i] ?? 0), 0);
      process.stdout.write(
        `${renderConfusion(confusion)}\n\naccuracy ${(n > 0 ? right / n : 0).toFixed(3)} on ${n} held-out samples of ${source.name} (${mode}), ` +
          `model ${file}${checkpoint.steps !== undefined ? ` after ${checkpoint.steps} steps` : ''}\n`,
      );
    } finally {
      await session.close();
    }
  } finally {
    await source.close?.();
  }
}
