// Status codes of the learner: every checked export returns one of these
// (0 = OK). The host turns them into typed errors (host/learner/errors.ts);
// the wire protocol carries them in ERROR frames. Learner codes are 1..63,
// protocol codes 64..127 (assembly/protocol/errors.ts).
//
// `errorDetail` says which thing was wrong: the config slot for option and
// hyper-parameter errors, the bytes needed for an arena error, the offending
// index for label and input errors.

export const OK: i32 = 0;
/** Config blob version is not one this build understands. detail = version seen. */
export const ERR_CONFIG_VERSION: i32 = 1;
/** Config blob length is wrong for its layer count. detail = bytes expected. */
export const ERR_CONFIG_LENGTH: i32 = 2;
/** Layer count is 0 or above MAX_LAYERS. detail = count seen. */
export const ERR_LAYER_COUNT: i32 = 3;
/** A layer or input size is 0 or above MAX_WIDTH. detail = index into sizes. */
export const ERR_DIMENSION: i32 = 4;
/** A hyper-parameter is NaN, infinite or out of its range. detail = slot. */
export const ERR_HYPERPARAMETER: i32 = 5;
/** An enumerated option (algorithm, optimizer, ...) is unknown. detail = slot. */
export const ERR_UNKNOWN_OPTION: i32 = 6;
/** The arena does not fit the memory available. detail = bytes needed. */
export const ERR_ARENA_TOO_SMALL: i32 = 7;
/** train/predict called before a successful configure. */
export const ERR_NOT_CONFIGURED: i32 = 8;
/** A label is outside 0..classes-1 (or -1 where a label is required). detail = row. */
export const ERR_LABEL: i32 = 9;
/** Batch row count is 0 or above the configured batch. detail = count seen. */
export const ERR_BATCH: i32 = 10;
/** Imported weights have the wrong byte length. detail = bytes expected. */
export const ERR_WEIGHTS_LENGTH: i32 = 11;
/** An input value is NaN or infinite. detail = flat index. */
export const ERR_INPUT_NOT_FINITE: i32 = 12;
/** The prediction mode is unknown or not available for this config. detail = mode. */
export const ERR_PREDICT_MODE: i32 = 13;
/** The options are individually valid but do not go together. detail = slot. */
export const ERR_OPTION_COMBINATION: i32 = 14;
/** The sample kind (e.g. an explicit negative) is not one this config trains on. detail = kind. */
export const ERR_SAMPLE_KIND: i32 = 15;
/**
 * A continual-learning option (config.ts: ContinualSlot) is unknown, out of
 * range or not available with this rule. detail = the ContinualSlot index.
 */
export const ERR_CONTINUAL_OPTION: i32 = 16;
/** Drift detection over the prequential error needs PREQUENTIAL on. detail = DRIFT_SIGNAL. */
export const ERR_DRIFT_NEEDS_PREQUENTIAL: i32 = 17;
/**
 * A full-state snapshot (snapshot.ts) does not belong to this learner: another
 * config, another arena size or not a snapshot. detail = the snapshot bytes this
 * config has. The learner is left unconfigured if the snapshot was half applied.
 */
export const ERR_SNAPSHOT_MISMATCH: i32 = 18;

let detail: i32 = 0;

/** Records the detail for the error about to be returned; returns the code. */
export function fail(code: i32, what: i32): i32 {
  detail = what;
  return code;
}

export function errorDetail(): i32 {
  return detail;
}
