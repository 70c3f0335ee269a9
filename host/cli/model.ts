// The model for `ffedge stream`: --config FILE.json (a LearnerConfig, any
// subset of fields) overridden by flags, with inputSize and classes taken from
// the source unless given. Checks types and shapes here; ranges are the
// device learner's business (it answers with a typed error).

import { readFile } from 'node:fs/promises';
import {
  ALGORITHMS,
  checkConfigKeys,
  GOODNESS_FUNCTIONS,
  LOSSES,
  NEGATIVES,
  OPTIMIZERS,
  OUTPUT_LAYER_ALGORITHMS,
  OVERLAYS,
  type Algorithm,
  type LearnerConfig,
} from '../learner/config.js';
import { checkRuleOptions, layersForRule, overlayFor, type DataKind } from './defaults.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';

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
  overlay?: string;
}

export function parseLayers(text: string, flag = '--layers'): number[] {
  const parts = text.trim().split(/\s*[,x]\s*|\s+/);
  const widths = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (parts.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    const empty = parts.includes('') ? ' (an empty width between two commas)' : '';
    throw new UsageError(`${flag} must be layer widths such as 64,32; got ${JSON.stringify(text)}${empty}`);
  }
  return widths;
}

/** Learning rates the CLI accepts: above 0, at most 1 (Adam and SGD diverge far below 1 on this learner). */
export const RATE_RANGE = { above: 0, max: 1 } as const;

function rate(flag: string, text: string | undefined): number | undefined {
  const v = number(flag, text);
  if (v !== undefined && !(v > RATE_RANGE.above && v <= RATE_RANGE.max)) {
    throw new UsageError(`${flag} must be in (${RATE_RANGE.above}, ${RATE_RANGE.max}] (typical 0.0003 to 0.01); got ${text}`);
  }
  return v;
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
  checkInputFile('--config', path);
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--config ${path} must hold a JSON object with LearnerConfig fields (layers, learningRate, ...)`);
  }
  try {
    checkConfigKeys(value);
  } catch (err) {
    throw new UsageError(`--config ${path}: ${(err as Error).message}`);
  }
  return value as Partial<LearnerConfig>;
}

/** What buildModel decided on its own, for the stderr notices. */
export interface ModelNotes {
  /** Where the overlay came from: the user ('--overlay', '--config') or the data kind's reason. */
  overlay?: string;
  /** The layers were changed to fit the rule. */
  layers?: string;
}

/**
 * Config file, then flags, then the source's shape and the given defaults for
 * what is still missing. `defaults` may depend on the learning rule (see
 * cli/defaults.ts); `kind` picks the label overlay when no one set it.
 */
export async function buildModel(
  flags: ModelFlags,
  source: { inputSize: number; classes: number; kind?: DataKind },
  defaults: Partial<LearnerConfig> | ((algorithm: Algorithm) => Partial<LearnerConfig>) = {},
  notes: ModelNotes = {},
): Promise<LearnerConfig> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const set: Partial<LearnerConfig> = {};
  if (flags.layers !== undefined) set.layers = parseLayers(flags.layers);
  const put = <K extends keyof LearnerConfig>(key: K, v: LearnerConfig[K] | undefined): void => {
    if (v !== undefined) set[key] = v;
  };
  put('learningRate', rate('--lr', flags.lr));
  put('headLearningRate', rate('--head-lr', flags.headLr));
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
  put('overlay', oneOf('--overlay', flags.overlay, OVERLAYS));
  if (flags.skipFirstLayer) set.skipFirstLayer = true;
  const algorithm: Algorithm = set.algorithm ?? file.algorithm ?? 'ff';
  const base = typeof defaults === 'function' ? defaults(algorithm) : defaults;
  const config = { inputSize: source.inputSize, classes: source.classes, ...base, ...file, ...set } as LearnerConfig;
  if (!Array.isArray(config.layers)) throw new UsageError('the model needs layers: pass --layers 64,32 or "layers" in --config');
  if (config.inputSize !== source.inputSize) {
    throw new UsageError(`the config says inputSize ${config.inputSize} but the source gives ${source.inputSize} values per sample`);
  }
  if (!(config.classes >= 2)) {
    throw new UsageError(`the model needs at least 2 classes; the source has ${source.classes} (pass --classes or "classes" in --config)`);
  }
  const fitted = layersForRule(algorithm, config.layers, config.classes, set.layers !== undefined || file.layers !== undefined);
  config.layers = fitted.layers;
  if (fitted.note) notes.layers = fitted.note;
  if (set.overlay !== undefined) notes.overlay = `overlay ${set.overlay} (--overlay)`;
  else if (file.overlay !== undefined) notes.overlay = `overlay ${file.overlay} (--config ${flags.config})`;
  else if (source.kind !== undefined) {
    const chosen = overlayFor(source.kind);
    config.overlay = chosen.overlay;
    notes.overlay = `overlay ${chosen.overlay}: ${chosen.why} (--overlay ${chosen.overlay === 'replace' ? 'prepend' : 'replace'} to change)`;
  }
  if (OUTPUT_LAYER_ALGORITHMS.includes(algorithm)) delete notes.overlay; // the output family reads no label overlay
  checkRuleOptions(config);
  return config;
}
