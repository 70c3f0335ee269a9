// The learning rules beside FF (papers/000-004), behind one dispatch: which
// step, prediction and representation pass an algorithm uses. What each
// rule accepts at configure time is in rule-checks.ts; the pieces of a step
// the rules share are in step.ts (and goodness-factors.ts, output-family.ts):
// a rule file imports those, never another rule file or this one.
//
// Families (config.ts): the FF family reads the label overlay and predicts
// by goodness (or energy, or the softmax head); the output family ends in a
// linear layer of C units and predicts by its softmax.
//
// Non-goals: batch statistics across train calls (ED sees one batch at a
// time), checkpointing the rule regions (fixed feedback matrices and traces
// are redrawn or zeroed by configure; a checkpoint is the parameters, which
// for pepita-mirror include its learned F: arena.ts).

import { Algorithm, Negatives } from "./config";
import { layerX } from "./arena";
import { algorithm, negativesKind, inputSize, headInputs } from "./state";
import { fail, ERR_PREDICT_MODE } from "./errors";
import { forwardRows } from "./network";
import { writeLabelledInput } from "./overlay";
import { predictByGoodness, predictByHead } from "./predict";
import { outputRule } from "./rule-checks";
import { mlpForward, outputPredict } from "./output-family";
import { trainStep } from "./ff";
import { hebbianStep } from "./hebbian";
import { spikingStep, spikingPredict, spikingRepresent } from "./spiking";
import { pepitaStep } from "./pepita";
import { backpropStep, backpropFFStep } from "./backprop";
import { dimensionStep, dimensionPredict } from "./dimension";

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
