// What `ffedge stream` (and `npm start`) choose when the user does not say:
// the label overlay for the kind of data, training settings that work on the
// IMU stream, and the layer shape each learning rule needs. Every choice that
// changes the model is announced on stderr with the flag that overrides it.
//
// Non-goals: tuning per file (the user's flags and --config win), ranges the
// device learner checks itself.

import { OUTPUT_LAYER_ALGORITHMS, type Algorithm, type LearnerConfig, type OverlayMode } from '../learner/config.js';
import { UsageError } from './errors.js';

/**
 * What the overlay choice depends on: how much of a sample its first C inputs are.
 *   image   an MNIST-like image; the first pixels are blank border
 *   window  a window of many readings (IMU, serial-sensor, csv --window); the first C inputs are part of one reading
 *   row     one reading per sample (a CSV/JSONL row); every input is a different column
 */
export type DataKind = 'image' | 'window' | 'row';

/**
 * The label overlay for a kind of data. Hinton 2022 writes the one-hot over
 * the first C pixels of an MNIST image, which are always black border. On a
 * row of sensor columns those are real readings: replacing them throws data
 * away (issue 12: 0.297 with the class in `ax`, 1.000 with it in `gz`), so the
 * one-hot goes in front. On a window of readings it costs part of one reading
 * of many, and measured on the IMU stream (seeds 1-3, 6000 samples) replace
 * scored 0.790/0.802/0.770 against prepend's 0.732/0.746/0.774, so windows
 * keep replace.
 */
export function overlayFor(kind: DataKind): { overlay: OverlayMode; why: string } {
  switch (kind) {
    case 'image':
      return { overlay: 'replace', why: 'image data: the label one-hot replaces the first pixels (blank border)' };
    case 'window':
      return { overlay: 'replace', why: 'a window of readings: the label one-hot replaces part of the first reading' };
    case 'row':
      return { overlay: 'prepend', why: 'one reading per row: the label one-hot goes in front, so no input column is overwritten' };
  }
}

/** Rules that make negatives from wrong labels (and so accept `negatives: "hard"`). */
const NEGATIVE_LABEL_RULES: readonly Algorithm[] = ['ff', 'hebbian-ff', 'backprop-ff'];

/**
 * The training settings `npm start` uses on the IMU stream (host/demo.ts),
 * restricted to what `algorithm` accepts: hard negatives (ff, hebbian-ff,
 * backprop-ff), peer normalisation (ff only), a learning rate falling to a
 * tenth over the planned run (every rule). `plannedSamples` null (a live
 * source): a constant rate.
 */
export function tunedDefaults(algorithm: Algorithm, plannedSamples: number | null): Partial<LearnerConfig> {
  const config: Partial<LearnerConfig> = { layers: [64, 32], learningRate: 0.003 };
  if (NEGATIVE_LABEL_RULES.includes(algorithm)) config.negatives = 'hard';
  if (algorithm === 'ff') config.peerWeight = 0.03;
  if (plannedSamples !== null && plannedSamples > 0) {
    config.decaySteps = plannedSamples;
    config.finalRate = 0.1;
  }
  return config;
}

/**
 * The output family (pepita, pepita-mirror, backprop, feedback-alignment) ends
 * in a linear output layer of `classes` units. With default layers that layer
 * is appended; with the user's layers a wrong last width is a one-line error
 * naming the flag to pass. Returns the layers and a note when they changed.
 */
export function layersForRule(algorithm: Algorithm, layers: number[], classes: number, userLayers: boolean): { layers: number[]; note?: string } {
  if (!OUTPUT_LAYER_ALGORITHMS.includes(algorithm) || layers[layers.length - 1] === classes) return { layers };
  if (userLayers) {
    throw new UsageError(
      `--algorithm ${algorithm} ends in an output layer of ${classes} units (one per class): ` +
        `make it the last width, e.g. --layers ${[...layers, classes].join(',')}`,
    );
  }
  const fitted = [...layers, classes];
  return { layers: fitted, note: `layers ${fitted.join(',')}: ${algorithm} ends in an output layer of ${classes} units (one per class)` };
}

/** One-line refusals for options a rule does not take, before the device answers with the full list. */
export function checkRuleOptions(config: LearnerConfig): void {
  const algorithm = config.algorithm ?? 'ff';
  if (config.negatives !== undefined && config.negatives !== 'random' && !NEGATIVE_LABEL_RULES.includes(algorithm)) {
    throw new UsageError(`--negatives ${config.negatives} is for ${NEGATIVE_LABEL_RULES.join(', ')}, not ${algorithm}: drop it or pass --negatives random`);
  }
  if (algorithm !== 'ff' && (config.peerWeight ?? 0) !== 0) {
    throw new UsageError(`--peer-weight is for ff only, not ${algorithm}: pass --peer-weight 0`);
  }
  if (algorithm !== 'ff' && config.loss === 'symba') throw new UsageError(`--loss symba is for ff only, not ${algorithm}`);
}
