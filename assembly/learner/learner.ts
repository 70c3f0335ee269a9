// The learner's checked surface: every entry point validates its arguments
// and returns a status code (errors.ts); the step functions behind it run
// unchecked. Used by core.ts (the library module) and device.ts (the device
// program) alike.

import { seenAll } from "./seen-labels";
import {
  OK, fail, ERR_NOT_CONFIGURED, ERR_BATCH, ERR_LABEL, ERR_INPUT_NOT_FINITE, ERR_PREDICT_MODE, ERR_WEIGHTS_LENGTH,
} from "./errors";
import { Negatives } from "./config";
import {
  inputs, labels, paramsBytes, params, stateOffset, scores, stats, layerY, traceOffset, headW, STATS_HEADER, STATS_FIELDS,
} from "./arena";
import { configured, batch, classes, inputSize, negativesKind, setSteps, setConfigured, algorithm, layerCount, traceDecay } from "./state";
import { Algorithm } from "./config";
import { runTrain, runPredict, runRepresent } from "./rules";
import { continualActive, runContinual, continualRestart } from "./continual";
import { resetOptimizer, optimizerKind, beta1, beta2, weightDecay } from "./optimizer";
import { Optimizer } from "./config";

export const enum PredictMode {
  GOODNESS = 0,
  HEAD = 1,
}

function checkInputs(first: i32, n: i32): i32 {
  const start = <usize>first * <usize>inputSize;
  const count = <usize>n * <usize>inputSize;
  for (let i: usize = 0; i < count; i++) {
    const v = load<f32>(inputs + (start + i) * sizeof<f32>());
    if (v - v != 0) return fail(ERR_INPUT_NOT_FINITE, <i32>(start + i));
  }
  return OK;
}

/**
 * Trains on rows 0..n-1 of the input area with labels from the label area.
 * Supervised configs need every label in 0..C-1; unsupervised ones (hybrid
 * negatives, the ED rule) accept -1 (the softmax head then skips that row).
 */
export function train(n: i32): i32 {
  if (!configured) return fail(ERR_NOT_CONFIGURED, 0);
  if (n < 1 || n > batch) return fail(ERR_BATCH, n);
  const minLabel = negativesKind == Negatives.HYBRID_IMAGE || algorithm == Algorithm.DIMENSION ? -1 : 0;
  for (let b = 0; b < n; b++) {
    const label = load<i32>(labels + <usize>b * sizeof<i32>());
    if (label < minLabel || label >= classes) return fail(ERR_LABEL, b);
  }
  const status = checkInputs(0, n);
  if (status != OK) return status;
  if (algorithm != Algorithm.FF) memory.fill(stats, 0, <usize>(STATS_HEADER + layerCount * STATS_FIELDS) * sizeof<f32>());
  if (continualActive) runContinual(n);
  else runTrain(n);
  return OK;
}

/**
 * Predicts input row `row`; returns the label (>= 0) or minus an error code.
 * The per-class scores are left in the scores area.
 */
export function predict(row: i32, mode: i32): i32 {
  if (!configured) return -fail(ERR_NOT_CONFIGURED, 0);
  if (<u32>row >= <u32>batch) return -fail(ERR_BATCH, row);
  const status = checkInputs(row, 1);
  if (status != OK) return -status;
  return runPredict(inputs + <usize>row * <usize>inputSize * sizeof<f32>(), mode);
}

/**
 * Runs input row `row` through the network as the rule does, with label
 * `label` overlaid where the rule reads one (-1: the neutral label), so
 * hiddenPtr(l) shows each layer's activity for it (representation
 * metrics on the host: sparsity, class ensembles, CKA). Returns a status.
 */
export function represent(row: i32, label: i32): i32 {
  if (!configured) return fail(ERR_NOT_CONFIGURED, 0);
  if (<u32>row >= <u32>batch) return fail(ERR_BATCH, row);
  if (label < -1 || label >= classes) return fail(ERR_LABEL, label);
  const status = checkInputs(row, 1);
  if (status != OK) return status;
  runRepresent(inputs + <usize>row * <usize>inputSize * sizeof<f32>(), label);
  return OK;
}

/** Layer l's activities [layer width f32] after represent(); 0 for no such layer. */
export function hiddenPtr(l: i32): usize {
  return configured && <u32>l < <u32>layerCount ? layerY(l) : 0;
}

/**
 * Weights were written into the params area by the host (checkpoint put):
 * checks the byte count and restarts the optimizer from them.
 */
export function weightsLoaded(bytes: i32): i32 {
  if (!configured) return fail(ERR_NOT_CONFIGURED, 0);
  if (<usize>bytes != paramsBytes) return fail(ERR_WEIGHTS_LENGTH, <i32>paramsBytes);
  restartOptimizer();
  setSteps(0);
  continualRestart();
  seenAll();
  return OK;
}

export function scoresArea(): usize { return scores; }

/** Back to "not configured" (the wire protocol's RESET). */
export function unconfigure(): void { setConfigured(false); }

/**
 * Where a whole weights blob can be staged before it is applied: the
 * optimizer state, which loading weights restarts anyway. Its capacity is
 * at least the parameters' bytes. Whoever stages there must call
 * restartOptimizer() (or weightsLoaded()) before the next training step.
 */
export function stagingArea(): usize { return params + stateOffset; }

/** Zeroes the optimizer state, its step count and any eligibility traces (weights unchanged). */
export function restartOptimizer(): void {
  const copies: usize = optimizerKind == Optimizer.ADAM ? 2 : 1;
  memory.fill(params + stateOffset, 0, stateOffset * copies);
  if (traceDecay > 0) memory.fill(params + traceOffset, 0, headW - params);
  resetOptimizer(optimizerKind, beta1, beta2, weightDecay);
}
