// The pieces of a training step every rule shares (rules.ts dispatches to
// the rules): a layer's SGD-style update (with an optional eligibility
// trace), sparsity stats (papers/000), the step's tail that fills the stats
// header, and the fixed noise stream prediction draws from.
//
// Non-goals: anything one rule alone needs (it stays in that rule's file).

import { layerIn, layerOut, layerW, layerB, stats, gradRow, traceOffset, scores, STATS_HEADER, STATS_FIELDS, STAT_ACTIVE, STAT_HOYER } from "./arena";
import { layerCount, learningRate, steps, setSteps, rateScale, traceDecay, classes } from "./state";
import { weightGradientRow, biasGradient } from "./dense";
import { applyGradient, beginStep } from "./optimizer";
import { argmax } from "./head";
import { seedRandom, nextUnit, saveRandom, restoreRandom } from "./prng";

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

/** Counts the step and fills the stats header. */
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
