// A checkpoint loaded into a model of another shape: said in numbers before
// anything is sent, instead of the device's "checkpoint chunk out of sequence"
// protocol error halfway through the upload.

import { resolveConfig, type LearnerConfig } from '../learner/config.js';
import { arenaLowerBound } from '../session/arena.js';
import { UsageError } from './errors.js';

/** The fields that decide how many weights a model has and where they sit. */
function shapeOf(config: LearnerConfig): string {
  const c = resolveConfig(config);
  const inputs = c.overlay === 'prepend' && c.negatives !== 'hybrid' ? `${c.inputSize}+${c.classes}` : `${c.inputSize}`;
  return `${inputs} -> ${c.layers.join(' -> ')}, ${c.classes} classes${c.softmaxHead ? ', softmax head' : ''}`;
}

/**
 * Throws a UsageError "shape mismatch: ..." when `weights` (saved for
 * `saved`, if the file says) cannot belong to `model`. `flag` names where the
 * checkpoint came from (--load-checkpoint FILE).
 */
export function checkCheckpointShape(flag: string, weights: Uint8Array, saved: LearnerConfig | undefined, model: LearnerConfig): void {
  const needs = arenaLowerBound(model).params * Float32Array.BYTES_PER_ELEMENT;
  const savedShape = saved ? shapeOf(saved) : undefined;
  const modelShape = shapeOf(model);
  if (savedShape === undefined ? weights.length === needs : savedShape === modelShape) return;
  throw new UsageError(
    `shape mismatch: ${flag} holds ${weights.length.toLocaleString('en-US')} bytes` +
      `${savedShape ? ` for layers ${savedShape}` : ''}, the model needs ${needs.toLocaleString('en-US')} for ${modelShape}; ` +
      'give the flags (or --config) the checkpoint was trained with, or leave out --load-checkpoint',
  );
}
