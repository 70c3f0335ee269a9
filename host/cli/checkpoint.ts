// `ffedge checkpoint get FILE` / `ffedge checkpoint put FILE`: the device's
// weights to and from a file (host/session/checkpoint-file.ts).

import { resolve } from 'node:path';
import type { LearnerConfig } from '../learner/config.js';
import { readCheckpointFile, writeCheckpointFile } from '../session/checkpoint-file.js';
import { openSession, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';
import { checkCheckpointShape } from './checkpoint-shape.js';
import { checkInputFile } from './input-file.js';
import { readConfigFile } from './model.js';
import { ProgressBar } from './progress.js';

async function optionalConfig(path: string | undefined): Promise<LearnerConfig | undefined> {
  if (path === undefined) return undefined;
  const config = await readConfigFile(path);
  if (typeof config.inputSize !== 'number' || typeof config.classes !== 'number' || !Array.isArray(config.layers)) {
    throw new UsageError(`--config ${path} must give inputSize, layers and classes of the model on the device`);
  }
  return config as LearnerConfig;
}

export async function checkpointGetCommand(file: string, flags: DeviceFlags & { config?: string; quiet?: boolean }): Promise<void> {
  const config = await optionalConfig(flags.config);
  const session = await openSession(flags, undefined, flags.quiet ?? false);
  try {
    const bar = flags.quiet ? null : new ProgressBar({ label: 'download', total: null, unit: ' B' });
    const checkpoint = await session.getCheckpoint((bytes) => bar?.update(bytes));
    bar?.finish();
    const path = resolve(file);
    await writeCheckpointFile(path, { ...(config ? { config } : {}), weights: checkpoint.weights, crc: checkpoint.crc, device: { ...session.device } });
    process.stdout.write(
      `${path}: ${checkpoint.weights.length} bytes of weights, CRC-32 ${checkpoint.crc.toString(16).padStart(8, '0')}${config ? '' : ' (no config stored: pass --config to keep it with the weights)'}\n`,
    );
  } finally {
    await session.close();
  }
}

export async function checkpointPutCommand(file: string, flags: DeviceFlags & { config?: string; quiet?: boolean }): Promise<void> {
  checkInputFile('checkpoint put FILE', file);
  const checkpoint = await readCheckpointFile(resolve(file));
  const config = (await optionalConfig(flags.config)) ?? checkpoint.config;
  if (config && config !== checkpoint.config) checkCheckpointShape(`checkpoint put ${file}`, checkpoint.weights, checkpoint.config, config);
  const session = await openSession(flags, undefined, flags.quiet ?? false);
  try {
    if (config) await session.configure(config);
    else if (checkpoint.configBlob) await session.configure(checkpoint.configBlob);
    else process.stderr.write('no config in the file or --config: loading into the model already configured on the device\n');
    const bar = flags.quiet ? null : new ProgressBar({ label: 'upload', total: checkpoint.weights.length, unit: ' B' });
    await session.putCheckpoint(checkpoint.weights, (bytes) => bar?.update(bytes));
    bar?.finish();
    process.stdout.write(
      `loaded ${checkpoint.weights.length} bytes of weights (CRC-32 ${checkpoint.crc.toString(16).padStart(8, '0')}) into ${session.device.runtime}\n`,
    );
  } finally {
    await session.close();
  }
}
