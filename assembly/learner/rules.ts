// The learning rules beside FF (papers/000-004), behind one dispatch: which
// step, prediction and representation pass an algorithm uses, which config
// combinations it accepts, how many rows its buffers need. Helpers every
// rule shares live here too: the pos/neg rows, a layer's SGD-style update
// (with an optional eligibility trace), sparsity stats, the step's tail.
//
// Families (config.ts): the FF family reads the label overlay and predicts
// by goodness (or energy, or the softmax head); the output family ends in a
// linear layer of C units and predicts by its softmax.
//
// Non-goals: batch statistics across train calls (ED sees one batch at a
// time), checkpointing the rule regions (fixed feedback matrices and traces
// are redrawn or zeroed by configure; a checkpoint is the parameters, which
// for pepita-mirror include its learned F: arena.ts).

import { Algorithm, Negatives, Flag, Slot, slotF32 } from "./config";
import {
  layerIn, layerOut, layerW, layerB, layerX, layerY, inputs, labels, negLabels, stats, gradRow, traceOffset, scores,
  STATS_HEADER, STATS_FIELDS, STAT_ACTIVE, STAT_HOYER,
} from "./arena";
import {
  algorithm, layerCount, negativesKind, inputSize, learningRate, headInputs, steps, setSteps, rateScale, traceDecay, classes,
} from "./state";
import { OK, fail, ERR_OPTION_COMBINATION, ERR_HYPERPARAMETER, ERR_PREDICT_MODE } from "./errors";
import { weightGradientRow, biasGradient } from "./dense";
import { applyGradient, beginStep } from "./optimizer";
import { forwardRows } from "./network";
import { writeLabelledInput, NEUTRAL_LABEL } from "./overlay";
import { randomWrongLabel, hardWrongLabel, writeHybrid } from "./negatives";
import { headForward, headTrain, argmax } from "./head";
import { seedRandom, nextUnit, saveRandom, restoreRandom } from "./prng";
import { trainStep } from "./ff";
import { writePairRows, neutralHead } from "./pairs";
import { predictByGoodness, predictByHead } from "./predict";
import { hebbianStep } from "./hebbian";
import { spikingStep, spikingPredict, spikingRepresent } from "./spiking";
import { pepitaStep } from "./pepita";
import { backpropStep, backpropFFStep, mlpForward, outputPredict } from "./backprop";
import { dimensionStep, dimensionPredict } from "./dimension";

// ---- dispatch ----

/** One training step of the configured rule on rows 0..n-1 (checked by the caller). */
export function runTrain(n: i32): void {
  switch (algorithm) {
    case Algorithm.FF: trainStep(n); break;
    case Algorithm.HEBBIAN_FF: hebbianStep(n); break;
    case Algorithm.SPIKING_FF: spikingStep(n); break;
    case Algorithm.PEPITA:
    case Algorithm.PEPITA_MIRROR: pepitaStep(n); break;
    case Algorithm.DIMENSION: dimensionStep(n); break;
    case Algorithm.BACKPROP:
    case Algorithm.FEEDBACK_ALIGNMENT: backpropStep(n); break;
    case Algorithm.BACKPROP_FF: backpropFFStep(n); break;
    default: unreachable(); // configure refused it
  }
}

/**
 * Predicts `input`; returns the label or minus an error code. Mode 0 is the
 * rule's own prediction (goodness over labels for the FF family, energy
 * head for ED, the output layer for the output family), mode 1 the softmax
 * head where there is one (the output layer for the output family).
 */
export function runPredict(input: usize, mode: i32): i32 {
  if (<u32>mode > 1) return -fail(ERR_PREDICT_MODE, mode);
  if (outputFamily()) return outputPredict(input);
  if (algorithm == Algorithm.DIMENSION) return dimensionPredict(input);
  if (mode == 0) {
    if (negativesKind == Negatives.HYBRID_IMAGE) return -fail(ERR_PREDICT_MODE, mode); // no labels in the input
    return algorithm == Algorithm.SPIKING_FF ? spikingPredict(input) : predictByGoodness(input);
  }
  if (headInputs == 0) return -fail(ERR_PREDICT_MODE, mode);
  return predictByHead(input);
}

/**
 * One sample's forward pass as the rule runs it, label `label` overlaid
 * (-1: the neutral label) where the rule reads labels; leaves each layer's
 * activity in row 0 of Y_l (core.ts: hiddenPtr).
 */
export function runRepresent(input: usize, label: i32): void {
  if (outputFamily()) {
    memory.copy(layerX(0), input, <usize>inputSize * sizeof<f32>());
    mlpForward(0, 1);
  } else if (algorithm == Algorithm.SPIKING_FF) {
    spikingRepresent(input, label);
  } else {
    if (algorithm == Algorithm.DIMENSION) memory.copy(layerX(0), input, <usize>inputSize * sizeof<f32>());
    else writeLabelledInput(input, layerX(0), label);
    forwardRows(1);
  }
}

export function outputFamily(): bool { return outputRule(algorithm); }

function outputRule(a: u32): bool {
  return a == Algorithm.PEPITA || a == Algorithm.PEPITA_MIRROR || a == Algorithm.BACKPROP || a == Algorithm.FEEDBACK_ALIGNMENT;
}

/** Whether the first layer reads the label overlay. */
export function readsOverlay(a: u32): bool {
  return a <= <u32>Algorithm.SPIKING_FF || a == Algorithm.BACKPROP_FF;
}

// ---- configure-time checks ----

/** R, the rows of each layer's buffers (arena.ts). */
export function ruleRows(a: u32, batch: i32, classCount: i32, copies: i32): i32 {
  const rows = max<i32>(2 * batch, classCount);
  return a == Algorithm.DIMENSION ? max<i32>(rows, (batch + 2) * copies) : rows;
}

// Range of RULE_A..RULE_D per algorithm (config.ts), one nibble per slot,
// RULE_A lowest: 0 any finite value, 1 [0, 1), 2 > 0, 3 >= 0,
// 4 a whole number 1..1024, 5 a whole number 2..64.
const RULE_RANGES = memory.data<u16>([0, 0x0001, 0x1214, 0x0002, 0x0232, 0x0325, 0, 0, 0]);

function inRange(v: f32, code: u32): bool {
  if (code == 1) return v >= 0 && v < 1;
  if (code == 2) return v > 0;
  if (code == 3) return v >= 0;
  if (code >= 4) return v == floor<f32>(v) && v >= <f32>(code - 3) && v <= (code == 4 ? <f32>1024 : <f32>64);
  return true;
}

/**
 * The algorithm-specific checks, after the generic ones: RULE ranges, the
 * output layer's width, options a rule does not use left at their defaults.
 * Returns OK or a failed status with the slot as detail.
 */
export function ruleCheck(a: u32, layers: i32, lastWidth: i32, classCount: i32, negatives: u32, flagBits: u32): i32 {
  const ranges = <u32>load<u16>(RULE_RANGES + <usize>a * sizeof<u16>());
  for (let s = 0; s < 4; s++) {
    if (!inRange(slotF32(Slot.RULE_A + s), (ranges >>> (4 * s)) & 15)) return fail(ERR_HYPERPARAMETER, Slot.RULE_A + s);
  }
  const head = (flagBits & Flag.SOFTMAX_HEAD) != 0;
  if (a != Algorithm.FF && ((flagBits & Flag.SYMMETRIC_LOSS) != 0 || slotF32(Slot.PEER_WEIGHT) != 0)) {
    return fail(ERR_OPTION_COMBINATION, (flagBits & Flag.SYMMETRIC_LOSS) != 0 ? Slot.FLAGS : Slot.PEER_WEIGHT);
  }
  const negativesUsed = a == Algorithm.FF || a == Algorithm.HEBBIAN_FF || a == Algorithm.BACKPROP_FF;
  if (!negativesUsed && negatives != Negatives.RANDOM_LABEL) return fail(ERR_OPTION_COMBINATION, Slot.NEGATIVES);
  // The head: ED predicts through it; spiking and the output family have none.
  if (a == Algorithm.DIMENSION ? !head : head && (a == Algorithm.SPIKING_FF || outputRule(a))) {
    return fail(ERR_OPTION_COMBINATION, Slot.FLAGS);
  }
  if (outputRule(a) && lastWidth != classCount) return fail(ERR_OPTION_COMBINATION, Slot.SIZES + layers);
  return OK;
}

// ---- shared pieces of a step ----

// @ts-ignore: decorator
@inline export function statAt(l: i32, field: i32): usize {
  return stats + <usize>(STATS_HEADER + l * STATS_FIELDS + field) * sizeof<f32>();
}

/** Mean active fraction and Hoyer sparseness of rows 0..R-1 of Y into layer l's stats (papers/000). */
export function recordSparsity(l: i32, Y: usize, R: i32): void {
  const O = layerOut(l);
  const sqrtO = sqrt<f32>(<f32>O);
  let active: f32 = 0, hoyer: f32 = 0;
  for (let r = 0; r < R; r++) {
    const y = Y + <usize>r * <usize>O * sizeof<f32>();
    let l1: f32 = 0, l2: f32 = 0, on = 0;
    for (let j = 0; j < O; j++) {
      const v = load<f32>(y + <usize>j * sizeof<f32>());
      l1 += abs<f32>(v); l2 += v * v;
      if (v > 0) on++;
    }
    active += <f32>on / <f32>O;
    hoyer += l2 > 0 && O > 1 ? (sqrtO - l1 / sqrt<f32>(l2)) / (sqrtO - 1) : 1;
  }
  store<f32>(statAt(l, STAT_ACTIVE), active / <f32>R);
  store<f32>(statAt(l, STAT_HOYER), hoyer / <f32>R);
}

/**
 * Layer l's update from dz [R x out] and its input rows x [R x in]:
 * gradient scale * sum_r dz_r (x) x_r through the optimizer, passed
 * through the eligibility trace e <- decay e + g first when one is kept.
 */
export function updateLayer(l: i32, dz: usize, x: usize, R: i32, scale: f32, eta: f32): void {
  const I = layerIn(l), O = layerOut(l), W = layerW(l);
  for (let j = 0; j < O; j++) {
    const w = W + <usize>j * <usize>I * sizeof<f32>();
    weightGradientRow(dz, x, gradRow, j, R, I, O, scale);
    traced(w, I);
    applyGradient(w, gradRow, I, eta);
  }
  biasGradient(dz, gradRow, R, O, scale);
  traced(layerB(l), O);
  applyGradient(layerB(l), gradRow, O, eta);
}

/** gradRow <- e <- decay e + gradRow for the traces of parameters p[0..n). */
function traced(p: usize, n: i32): void {
  const decay = traceDecay;
  if (decay == 0) return;
  for (let i = 0; i < n; i++) {
    const at = p + traceOffset + <usize>i * sizeof<f32>();
    const g = gradRow + <usize>i * sizeof<f32>();
    const e = decay * load<f32>(at) + load<f32>(g);
    store<f32>(at, e);
    store<f32>(g, e);
  }
}

/** Starts an update: the optimizer's step count, and returns this step's eta. */
export function beginUpdate(): f32 {
  beginStep();
  return learningRate * rateScale();
}

/** Counts the step and fills the stats header (as ff.ts does). */
export function finishStep(headLoss: f32): void {
  setSteps(steps + 1);
  store<u32>(stats, steps);
  store<f32>(stats + sizeof<f32>(), headLoss);
  store<u32>(stats + 2 * sizeof<f32>(), <u32>layerCount);
  store<u32>(stats + 3 * sizeof<f32>(), <u32>STATS_FIELDS);
}

const savedRandom: usize = memory.data(16, 16);

/**
 * Prediction with a stochastic rule draws from a fixed stream (the same
 * noise for every call: a sample always gets the same answer) and then
 * gives training its own stream back.
 */
export function beginEvaluation(): void {
  saveRandom(savedRandom);
  seedRandom(0x5eed);
}
export function endEvaluation(): void { restoreRandom(savedRandom); }

/** Uniform noise with mean 0 and variance 1. */
export function unitNoise(): f32 {
  return (2 * nextUnit() - 1) * <f32>1.7320508; // sqrt(3)
}

/** argmax of scores after they were filled; here so the rule files need not import head.ts. */
export function bestScore(): i32 { return argmax(scores, classes); }
