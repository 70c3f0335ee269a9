// Strategies and rules of `ffedge continual`: each a fragment of the learner
// config, merged over the model the user chose.
//
//   strategies  fine-tune          train on the stream as it comes (the baseline every method must beat)
//               replay             + an on-device reservoir of past samples (LearnerConfig.replay)
//               replay+detection   + Page-Hinkley drift detection on positive goodness (DRIFT_DETECTION),
//                                  restarting the learning-rate schedule on an alarm (LearnerConfig.drift)
//   rules       ff, hebbian-ff, pepita, backprop (the output-layer rules get a last layer of `classes` units)
//
// Every strategy asks the device for prequential predictions
// (LearnerConfig.prequential).

import { OUTPUT_LAYER_ALGORITHMS, type Algorithm, type LearnerConfig } from '../learner/config.js';

/** What a strategy sets: the on-device continual-learning fields of LearnerConfig. */
export type StrategyFragment = Pick<LearnerConfig, 'prequential' | 'replay' | 'drift'>;

export const STRATEGIES = ['fine-tune', 'replay', 'replay+detection'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const RULES = ['ff', 'hebbian-ff', 'pepita', 'backprop'] as const satisfies readonly Algorithm[];

export interface StrategyOptions {
  /** Replay buffer capacity in samples. */
  replayCapacity: number;
  /** Replayed samples per streamed sample. */
  replayRatio: number;
  replayMode: 'reservoir' | 'class-balanced';
  /** How stored samples are coded: "raw" int8 (default) or "int4" (twice the samples per byte). */
  replayStorage?: 'raw' | 'int4';
  prequential: 'goodness' | 'head';
}

export const DEFAULT_STRATEGY_OPTIONS: StrategyOptions = { replayCapacity: 200, replayRatio: 1, replayMode: 'reservoir', prequential: 'goodness' };

export class StrategyError extends TypeError {
  override name = 'StrategyError';
}

/**
 * Page-Hinkley on positive goodness (alarms when it falls), chosen on IMU
 * clean -> gain x2 / rotate 30, seeds 1-3 (host/bench/continual-drift.ts;
 * docs/continual.md, "Drift"). The prequential error with River's defaults (delta 0.005,
 * threshold 50) never raised there: a drift costs this model a few points
 * for a few hundred samples, within the error's own noise.
 */
export const DRIFT_DETECTION = {
  detector: 'page-hinkley',
  signal: 'goodness',
  delta: 0.2,
  threshold: 100,
  minSamples: 30,
  reaction: 'restart-schedule',
} as const;

export function strategyFragment(name: string, o: StrategyOptions = DEFAULT_STRATEGY_OPTIONS): StrategyFragment {
  const replay = { mode: o.replayMode, capacity: o.replayCapacity, storage: o.replayStorage ?? 'raw', ratio: o.replayRatio } as const;
  switch (name) {
    case 'fine-tune':
      return { prequential: o.prequential };
    case 'replay':
      return { prequential: o.prequential, replay };
    case 'replay+detection':
      return { prequential: o.prequential, replay, drift: DRIFT_DETECTION };
    default:
      throw new StrategyError(`unknown strategy ${JSON.stringify(name)}: use one of ${STRATEGIES.join(', ')}`);
  }
}

/** The model with a rule: output-layer rules (pepita, backprop) end in a layer of `classes` units. */
export function withRule(model: LearnerConfig, rule: string): LearnerConfig {
  if (!(RULES as readonly string[]).includes(rule)) throw new StrategyError(`unknown rule ${JSON.stringify(rule)}: use one of ${RULES.join(', ')}`);
  const algorithm = rule as Algorithm;
  const hidden = OUTPUT_LAYER_ALGORITHMS.includes(model.algorithm ?? 'ff') ? model.layers.slice(0, -1) : model.layers;
  const layers = OUTPUT_LAYER_ALGORITHMS.includes(algorithm) ? [...hidden, model.classes] : [...hidden];
  const { rule: _params, ...rest } = model;
  return { ...rest, algorithm, layers };
}

/** The config of one run: the model with the rule and the strategy's fields. */
export function runConfig(model: LearnerConfig, strategy: string, rule: string, o: StrategyOptions = DEFAULT_STRATEGY_OPTIONS): LearnerConfig {
  return { ...withRule(model, rule), ...strategyFragment(strategy, o) };
}
