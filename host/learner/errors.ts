// The learner's status codes (mirror of assembly/learner/errors.ts; the test
// test/error-codes.test.ts holds the two together) and the typed errors the
// host raises for them. Messages say what to do.

import { slotName, CONTINUAL_FIELDS, ContinualSlot } from './config.js';

export const LearnerStatus = {
  OK: 0,
  CONFIG_VERSION: 1,
  CONFIG_LENGTH: 2,
  LAYER_COUNT: 3,
  DIMENSION: 4,
  HYPERPARAMETER: 5,
  UNKNOWN_OPTION: 6,
  ARENA_TOO_SMALL: 7,
  NOT_CONFIGURED: 8,
  LABEL: 9,
  BATCH: 10,
  WEIGHTS_LENGTH: 11,
  INPUT_NOT_FINITE: 12,
  PREDICT_MODE: 13,
  OPTION_COMBINATION: 14,
  SAMPLE_KIND: 15,
  CONTINUAL_OPTION: 16,
  DRIFT_NEEDS_PREQUENTIAL: 17,
  SNAPSHOT_MISMATCH: 18,
} as const;

export type LearnerStatusCode = (typeof LearnerStatus)[keyof typeof LearnerStatus];

/** Base class: `code` is the learner status, `detail` the device's detail value. */
export class LearnerError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly detail: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The config was refused: a bad shape, option or hyper-parameter. */
export class ConfigError extends LearnerError {}

/** The model does not fit the memory the target has. */
export class ArenaTooSmallError extends LearnerError {
  constructor(
    message: string,
    code: number,
    detail: number,
    /** Bytes of linear memory the config would need (up to 2^31-1). */
    readonly bytesNeeded: number,
  ) {
    super(message, code, detail);
  }
}

/** A sample was refused: bad label, non-finite input, wrong batch size. */
export class SampleError extends LearnerError {}

/** A call made in the wrong state (train before configure, wrong weights size). */
export class LearnerStateError extends LearnerError {}

const LAYER_COUNT_MAX = 8;

/** Builds the typed error for a non-OK status and its detail. */
export function learnerError(code: number, detail: number): LearnerError {
  const S = LearnerStatus;
  switch (code) {
    case S.CONFIG_VERSION:
      return new ConfigError(
        `the device expects a different config version (it saw ${detail}); rebuild the host and the device from the same ff-edge version`,
        code,
        detail,
      );
    case S.CONFIG_LENGTH:
      return new ConfigError(`config blob has the wrong length: ${detail} bytes expected for its layer count`, code, detail);
    case S.LAYER_COUNT:
      return new ConfigError(`layer count ${detail} is out of range: use 1..${LAYER_COUNT_MAX} layers`, code, detail);
    case S.DIMENSION:
      return new ConfigError(
        detail === 0 ? 'inputSize must be an integer from 1 to 65535' : `layers[${detail - 1}] must be an integer width from 1 to 65535`,
        code,
        detail,
      );
    case S.HYPERPARAMETER:
      return new ConfigError(`${slotName(detail)} is NaN, infinite or out of range; see the LearnerConfig docs for its range`, code, detail);
    case S.UNKNOWN_OPTION:
      return new ConfigError(`${slotName(detail)} has a value this device does not know; check the spelling or update the device`, code, detail);
    case S.ARENA_TOO_SMALL:
      return new ArenaTooSmallError(
        `the model needs ${detail} bytes of memory, more than the target has; use fewer or narrower layers or a smaller batch`,
        code,
        detail,
        detail,
      );
    case S.NOT_CONFIGURED:
      return new LearnerStateError('the learner is not configured: call configure() first', code, detail);
    case S.LABEL:
      return new SampleError(
        `label of batch row ${detail} is out of range: labels are 0..classes-1 (or -1 for unlabelled data in unsupervised mode)`,
        code,
        detail,
      );
    case S.BATCH:
      return new SampleError(`batch row count ${detail} is out of range: 1..the configured batch size`, code, detail);
    case S.WEIGHTS_LENGTH:
      return new LearnerStateError(
        `weights have the wrong size: this model has ${detail} bytes of parameters; load a checkpoint made for the same config`,
        code,
        detail,
      );
    case S.INPUT_NOT_FINITE:
      return new SampleError(`input value ${detail} (flat index in the batch) is NaN or infinite; clean the data before streaming it`, code, detail);
    case S.PREDICT_MODE:
      return new LearnerStateError(
        `prediction mode ${detail === 0 ? 'goodness' : detail === 1 ? 'head' : detail} is not available for this config (goodness needs labelled inputs; head needs softmaxHead: true)`,
        code,
        detail,
      );
    case S.OPTION_COMBINATION:
      return new ConfigError(
        `${slotName(detail)} does not go with the other options (hybrid negatives need imageWidth*imageHeight = inputSize and softmaxHead; overlay "replace" needs inputSize > classes; ` +
          `"pepita", "pepita-mirror", "backprop" and "feedback-alignment" end in an output layer of \`classes\` units and have no softmaxHead; ` +
          `"ed" needs softmaxHead, "spiking-ff" has none; seenLabelsOnly needs a rule that reads the label overlay and label negatives; negatives other than "random", peerWeight and loss "symba" are for "ff" (negatives also "hebbian-ff", "backprop-ff"))`,
        code,
        detail,
      );
    case S.SAMPLE_KIND:
      return new SampleError(
        `sample kind ${detail} is not trained by this config: send labelled samples (kind "positive"; the device makes its own negatives), or "unlabelled" with negatives: "hybrid"`,
        code,
        detail,
      );
    case S.CONTINUAL_OPTION:
      return new ConfigError(continualMessage(detail), code, detail);
    case S.DRIFT_NEEDS_PREQUENTIAL:
      return new ConfigError(
        'drift.signal "error" watches the prequential error, so it needs prequential: "goodness" or "head"; turn prequential on or use drift.signal "goodness"',
        code,
        detail,
      );
    case S.SNAPSHOT_MISMATCH:
      return new LearnerStateError(
        `the state snapshot does not belong to this learner (this config's snapshot has ${detail} bytes): restore a snapshot made under the same config, or configure again`,
        code,
        detail,
      );
    default:
      return new LearnerError(`the learner returned unknown status ${code} (detail ${detail}); the host and device builds may differ`, code, detail);
  }
}

/** What to do about a refused continual-learning option (detail = ContinualSlot). */
function continualMessage(detail: number): string {
  const S = ContinualSlot;
  const field = CONTINUAL_FIELDS[detail] ?? `continual slot ${detail}`;
  const why: Record<number, string> = {
    [S.PREQUENTIAL]: 'use "off", "goodness" (not with negatives "hybrid") or "head" (needs softmaxHead: true, or an output-layer rule)',
    [S.REPLAY_MODE]: 'use "off", "reservoir" or "class-balanced" (class-balanced needs labels: not with negatives "hybrid" or "ed")',
    [S.REPLAY_CAPACITY]: 'give the buffer 1..65535 samples',
    [S.REPLAY_STORAGE]: 'this device stores replayed samples raw only: use storage "raw" (int8) or "int4" (latent replay is not built)',
    [S.REPLAY_RATIO]: 'use a ratio from 0 to 64 replayed samples per streamed sample',
    [S.DRIFT_DETECTOR]: 'use "off" or "page-hinkley"',
    [S.DRIFT_SIGNAL]: 'use "error" or "goodness"',
    [S.DRIFT_DELTA]: "use a finite delta >= 0 (River's default 0.005)",
    [S.DRIFT_THRESHOLD]: "use a finite threshold > 0 (River's default 50)",
    [S.DRIFT_REACTION]: 'use "none" or "restart-schedule"',
  };
  return `${field} is not accepted: ${why[detail] ?? 'update the device or the host so both know this option'}`;
}
