// Spiking Forward-Forward (papers/001): the same network and Hebbian rule
// as hebbian.ts, run by leaky integrate-and-fire neurons over T timesteps.
//
//   input spike  s_i(t) = sign(x_i) with probability min(|x_i|, 1), else 0
//                (Bernoulli rate code of the labelled input, PRNG draws)
//   membrane     v_j <- beta v_j + sum_i W_ji s_i(t) + b_j          (RULE_B = beta)
//   spike        o_j(t) = 1 if v_j >= V_th, then v_j -= V_th (soft reset; RULE_C = V_th)
//
// Layer l's spikes are layer l+1's input spikes in the same timestep. After
// T steps (RULE_A) each layer's rate y_j = count_j / T is its activity: the
// goodness is |y|^2 of the rates and the Hebbian rule takes the rates of
// the input spikes and of the layer's spikes as x and y. Prediction: the
// label whose rates have the most goodness, as FF. No normalisation between
// layers (rates are already in [0, 1]).
//
// Non-goals: surrogate gradients, spike-timing rules, refractory periods.

import {
  layerIn, layerOut, layerW, layerB, layerX, layerY, layerAux, delta, inputRates, rowCapacity, scores,
} from "./arena";
import { layerCount, classes, ruleA, ruleB, ruleC, firstScoredLayer } from "./state";
import { denseLinearForward } from "./dense";
import { nextUnit } from "./prng";
import { writeLabelledInput } from "./overlay";
import { rowGoodness } from "./network";
import { hebbianLayer } from "./goodness-factors";
import { scaleVector } from "./vector";
import { beginUpdate, finishStep, beginEvaluation, endEvaluation, bestScore } from "./step";
import { writePairRows } from "./pairs";

export function spikingStep(n: i32): void {
  writePairRows(n);
  spikeRun(2 * n);
  const eta = beginUpdate();
  // Top layer first: each layer's rule reads the rates below it unchanged.
  for (let l = layerCount - 1; l >= 0; l--) hebbianLayer(l, l == 0 ? inputCounts() : layerY(l - 1), n, eta);
  finishStep(0);
}

/** Input spike rates [R x in_0], after spikeRun. */
function inputCounts(): usize {
  return inputRates + <usize>rowCapacity * <usize>layerIn(0) * sizeof<f32>();
}

/**
 * Runs rows 0..R-1 of X_0 (labelled analog inputs) for T timesteps; leaves
 * the spike rates of layer l in Y_l and of the input at inputCounts().
 */
function spikeRun(R: i32): void {
  const T = <i32>ruleA;
  const beta = ruleB, vth = ruleC;
  const x0 = layerX(0);
  const inputs = R * layerIn(0);
  const analog = inputRates, counts = inputCounts();
  memory.copy(analog, x0, <usize>inputs * sizeof<f32>());
  memory.fill(counts, 0, <usize>inputs * sizeof<f32>());
  for (let l = 0; l < layerCount; l++) {
    const bytes = <usize>R * <usize>layerOut(l) * sizeof<f32>();
    memory.fill(layerAux(l), 0, bytes);
    memory.fill(layerY(l), 0, bytes);
  }
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < inputs; k++) {
      const at = <usize>k * sizeof<f32>();
      const p = load<f32>(analog + at);
      const s: f32 = nextUnit() < abs<f32>(p) ? (p > 0 ? 1 : -1) : 0;
      store<f32>(x0 + at, s);
      store<f32>(counts + at, load<f32>(counts + at) + s);
    }
    for (let l = 0; l < layerCount; l++) {
      const O = layerOut(l);
      denseLinearForward(layerW(l), layerB(l), layerX(l), delta, R, layerIn(l), O);
      const V = layerAux(l), Y = layerY(l);
      const next = l + 1 < layerCount ? layerX(l + 1) : 0;
      for (let k = 0; k < R * O; k++) {
        const at = <usize>k * sizeof<f32>();
        const v = beta * load<f32>(V + at) + load<f32>(delta + at);
        const s: f32 = v >= vth ? 1 : 0;
        store<f32>(V + at, v - s * vth);
        store<f32>(Y + at, load<f32>(Y + at) + s);
        if (next != 0) store<f32>(next + at, s);
      }
    }
  }
  const inv: f32 = 1 / <f32>T;
  scaleVector(counts, inv, inputs);
  for (let l = 0; l < layerCount; l++) scaleVector(layerY(l), inv, R * layerOut(l));
}

/** scores[c] = goodness of the spike rates under label c (scored layers); returns the best label. */
export function spikingPredict(input: usize): i32 {
  const C = classes;
  const rowBytes = <usize>layerIn(0) * sizeof<f32>();
  for (let c = 0; c < C; c++) writeLabelledInput(input, layerX(0) + <usize>c * rowBytes, c);
  beginEvaluation();
  spikeRun(C);
  endEvaluation();
  for (let c = 0; c < C; c++) {
    let total: f32 = 0;
    for (let l = firstScoredLayer; l < layerCount; l++) total += rowGoodness(l, c);
    store<f32>(scores + <usize>c * sizeof<f32>(), total);
  }
  return bestScore();
}

export function spikingRepresent(input: usize, label: i32): void {
  writeLabelledInput(input, layerX(0), label);
  beginEvaluation();
  spikeRun(1);
  endEvaluation();
}
