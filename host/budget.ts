// Flash and RAM budgets of the firmware targets (filled in below) and the demo sensor model.
import type { LearnerConfig } from './learner/config.js';

/**
 * The demo sensor model of the firmware targets: 64 readings -> 32 -> 32, five
 * classes, the label one-hot put in front of the readings, Adam, mean-squares
 * goodness, random wrong labels, batch 1. Budgets, the cross-target test and the
 * firmware benchmark all use it.
 */
export const SENSOR_DEMO_MODEL: LearnerConfig = {
  inputSize: 64,
  layers: [32, 32],
  classes: 5,
  overlay: 'prepend',
  goodness: 'mean-squares',
  optimizer: 'adam',
  negatives: 'random',
  softmaxHead: false,
  batch: 1,
  seed: 7,
  learningRate: 0.01,
};
