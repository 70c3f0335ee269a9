// The model for `ffedge stream`: --config FILE.json (a LearnerConfig, any
// subset of fields) overridden by flags, with inputSize and classes taken from
// the source unless given. Checks types and shapes here; ranges are the
// device learner's business (it answers with a typed error).

import { readFile } from 'node:fs/promises';
import { ALGORITHMS, GOODNESS_FUNCTIONS, LOSSES, NEGATIVES, OPTIMIZERS, type LearnerConfig } from '../learner/config.js';
import { UsageError } from './errors.js';

export interface ModelFlags {
  config?: string;
  algorithm?: string;
  layers?: string;
  lr?: string;
  headLr?: string;
  threshold?: string;
  temperature?: string;
  optimizer?: string;
  goodness?: string;
  negatives?: string;
  loss?: string;
  peerWeight?: string;
  decaySteps?: string;
  finalRate?: string;
  modelSeed?: string;
  skipFirstLayer?: boolean;
}

export function parseLayers(text: string): number[] {
  const widths = text.split(/[,x\s]+/).filter(Boolean).map(Number);
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new UsageError(`--layers must be layer widths such as 64,32; got ${JSON.stringify(text)}`);
  }
  return widths;
}

function number(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(text)}`);
  return v;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got ${JSON.stringify(text)}`);
  return text as T;
}

export async function readConfigFile(path: string): Promise<Partial<LearnerConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --config ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--config ${path} must hold a JSON object with LearnerConfig fields (layers, learningRate, ...)`);
  }
  return value as Partial<LearnerConfig>;
}

/** Config file, then flags, then the source's shape and the given defaults for what is still missing. */
export async function buildModel(
  flags: ModelFlags, source: { inputSize: number; classes: number }, defaults: Partial<LearnerConfig> = {},
): Promise<LearnerConfig> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const set: Partial<LearnerConfig> = {};
  if (flags.layers !== undefined) set.layers = parseLayers(flags.layers);
  const put = <K extends keyof LearnerConfig>(key: K, v: LearnerConfig[K] | undefined): void => { if (v !== undefined) set[key] = v; };
  put('learningRate', number('--lr', flags.lr));
  put('headLearningRate', number('--head-lr', flags.headLr));
  put('threshold', number('--threshold', flags.threshold));
  put('temperature', number('--temperature', flags.temperature));
  put('peerWeight', number('--peer-weight', flags.peerWeight));
  put('decaySteps', number('--decay-steps', flags.decaySteps));
  put('finalRate', number('--final-rate', flags.finalRate));
  put('seed', number('--model-seed', flags.modelSeed));
  put('algorithm', oneOf('--algorithm', flags.algorithm, ALGORITHMS));
  put('optimizer', oneOf('--optimizer', flags.optimizer, OPTIMIZERS));
  put('goodness', oneOf('--goodness', flags.goodness, GOODNESS_FUNCTIONS));
  put('negatives', oneOf('--negatives', flags.negatives, NEGATIVES));
  put('loss', oneOf('--loss', flags.loss, LOSSES));
  if (flags.skipFirstLayer) set.skipFirstLayer = true;
  const config = { inputSize: source.inputSize, classes: source.classes, ...defaults, ...file, ...set } as LearnerConfig;
  if (!Array.isArray(config.layers)) throw new UsageError('the model needs layers: pass --layers 64,32 or "layers" in --config');
  if (config.inputSize !== source.inputSize) {
    throw new UsageError(`the config says inputSize ${config.inputSize} but the source gives ${source.inputSize} values per sample`);
  }
  if (!(config.classes >= 2)) {
    throw new UsageError(`the model needs at least 2 classes; the source has ${source.classes} (pass --classes or "classes" in --config)`);
  }
  return config;
}
