// Dimensionality-compression goodness (papers/003, Zhu et al., "Stochastic
// Forward-Forward learning through representational dimensionality
// compression"). No negative samples and no label overlay: each sample is
// seen as K noisy copies x + sigma u (u uniform, unit variance; K = RULE_A,
// sigma = RULE_B), and each layer, on its own, makes its response to one
// sample's noise low-dimensional and the spread of responses across samples
// high-dimensional. With effective dimensionality
//
//   ED(C) = tr(C)^2 / |C|_F^2     (C a covariance; = the participation ratio)
//
// layer l minimises
//
//   L_l = mean_b log ED(within-sample covariance of sample b's K responses)
//         - lambda log ED(covariance of the n sample means)   (lambda = RULE_C)
//
// For K centred rows Z, with the Gram matrix G = Z Z^T (K x K) instead of the
// O x O covariance: tr(C) ~ tr(G), |C|_F^2 ~ |G|_F^2, and
//   d log ED / dZ = (4 / tr G) Z - (4 / |G|_F^2) G Z
// (rows of both terms sum to zero, so centring passes it unchanged). The
// across term needs n >= 3 samples in a train call (2 points always have
// ED 1); with fewer it is 0.
//
// Prediction from the energy: the mean over K noisy copies of each unit's
// squared output, per scored layer length-normalised, read by the softmax
// head (trained on the same features, labels -1 = unlabelled allowed).
//
// Non-goals: noise inside the layers (it enters at the input only), a memory
// of earlier batches for the across term.

import {
  layerOut, layerX, layerY, delta, gram, headW, headB, headIn, logits, scores, inputs, labels,
  STAT_GOODNESS_POS, STAT_GOODNESS_NEG, STAT_LOSS,
} from "./arena";
import { layerCount, inputSize, classes, ruleA, ruleB, ruleC, headInputs, firstScoredLayer, rateScale } from "./state";
import { forwardRows } from "./network";
import { denseLinearForward, normalizeRows } from "./dense";
import { headTrain, softmaxRow } from "./head";
import { logf, expf } from "./mathf32";
import { addScaled, scaleVector, dot, gateInto } from "./vector";
import {
  beginUpdate, finishStep, updateLayer, recordSparsity, statAt, unitNoise, beginEvaluation, endEvaluation, bestScore,
} from "./step";

export function dimensionStep(n: i32): void {
  const K = <i32>ruleA;
  noisyCopies(inputs, n, K);
  forwardRows(n * K);
  energy(n, K); // head inputs, before Y turns into gradients
  const eta = beginUpdate();
  for (let l = 0; l < layerCount; l++) {
    dimensionLayer(l, n, K);
    updateLayer(l, layerY(l), layerX(l), n * K, 1, eta);
  }
  denseLinearForward(headW, headB, headIn, logits, n, headInputs, classes);
  finishStep(headTrain(n, labels, rateScale()));
}

/** Rows b*K+k of X_0 = sample b + sigma * noise, for b < n, k < K. */
function noisyCopies(samples: usize, n: i32, K: i32): void {
  const D = inputSize;
  const sigma = ruleB;
  for (let r = 0; r < n * K; r++) {
    const x = samples + <usize>(r / K) * <usize>D * sizeof<f32>();
    const dst = layerX(0) + <usize>r * <usize>D * sizeof<f32>();
    for (let i = 0; i < D; i++) {
      store<f32>(dst + <usize>i * sizeof<f32>(), load<f32>(x + <usize>i * sizeof<f32>()) + sigma * unitNoise());
    }
  }
}

/** Head inputs of samples 0..n-1: per scored layer, mean_k y^2 over the K copies, length-normalised. */
function energy(n: i32, K: i32): void {
  const inv: f32 = 1 / <f32>K;
  for (let b = 0; b < n; b++) {
    let dst = headIn + <usize>b * <usize>headInputs * sizeof<f32>();
    for (let l = firstScoredLayer; l < layerCount; l++) {
      const O = layerOut(l);
      for (let j = 0; j < O; j++) {
        let sum: f32 = 0;
        for (let k = 0; k < K; k++) {
          const v = load<f32>(layerY(l) + (<usize>(b * K + k) * <usize>O + <usize>j) * sizeof<f32>());
          sum += v * v;
        }
        store<f32>(dst + <usize>j * sizeof<f32>(), sum * inv);
      }
      normalizeRows(dst, dst, 1, O);
      dst += <usize>O * sizeof<f32>();
    }
  }
}

/**
 * Y_l (n*K rows) -> dL_l/dz in place, stats written. `delta` holds the n
 * sample means (then their across-term gradient), and scratch after them.
 */
function dimensionLayer(l: i32, n: i32, K: i32): void {
  const O = layerOut(l), Y = layerY(l);
  const rowBytes = <usize>O * sizeof<f32>();
  recordSparsity(l, Y, n * K);
  const means = delta, scratch = delta + <usize>n * rowBytes;
  const invK: f32 = 1 / <f32>K;
  memory.fill(means, 0, <usize>n * rowBytes);
  for (let r = 0; r < n * K; r++) addScaled(means + <usize>(r / K) * rowBytes, Y + <usize>r * rowBytes, invK, O);
  // Across samples: maximised, so its gradient enters with -lambda, and 1/K per copy.
  const across = edGradient(means, scratch, n, O);
  scaleVector(means, -ruleC * invK, n * O);
  // Within each sample: Z = its K rows centred, in scratch; G Z after it.
  let within: f32 = 0, withinEd: f32 = 0;
  const invN: f32 = 1 / <f32>n;
  for (let b = 0; b < n; b++) {
    const block = Y + <usize>(b * K) * rowBytes;
    memory.copy(scratch, block, <usize>K * rowBytes);
    const logEd = edGradient(scratch, scratch + <usize>K * rowBytes, K, O);
    within += logEd;
    withinEd += expf(logEd);
    scaleVector(scratch, invN, K * O);
    for (let k = 0; k < K; k++) addScaled(scratch + <usize>k * rowBytes, means + <usize>b * rowBytes, 1, O);
    gateInto(block, block, scratch, K * O); // ReLU passes no gradient where y = 0
  }
  store<f32>(statAt(l, STAT_GOODNESS_POS), withinEd * invN);
  store<f32>(statAt(l, STAT_GOODNESS_NEG), expf(across));
  store<f32>(statAt(l, STAT_LOSS), within * invN - ruleC * across);
}

/**
 * Z (R x O rows) -> d log ED(cov Z) / dZ in place, using P (R x O) as
 * scratch; returns log ED. Z is centred first (the gradient's rows sum to
 * zero, so it is also the gradient for the uncentred rows). A degenerate Z
 * (no spread, or a single row) has ED 1 and gradient 0.
 */
function edGradient(Z: usize, P: usize, R: i32, O: i32): f32 {
  const rowBytes = <usize>O * sizeof<f32>();
  memory.fill(P, 0, rowBytes); // the mean row
  for (let a = 0; a < R; a++) addScaled(P, Z + <usize>a * rowBytes, -1 / <f32>R, O);
  for (let a = 0; a < R; a++) addScaled(Z + <usize>a * rowBytes, P, 1, O);
  let trace: f32 = 0, frobenius: f32 = 0;
  for (let a = 0; a < R; a++) {
    for (let b = 0; b < R; b++) {
      const g = dot(Z + <usize>a * rowBytes, Z + <usize>b * rowBytes, O);
      store<f32>(gram + <usize>(a * R + b) * sizeof<f32>(), g);
      frobenius += g * g;
      if (a == b) trace += g;
    }
  }
  const degenerate = !(trace > 1e-20);
  memory.fill(P, 0, <usize>R * rowBytes);
  for (let a = 0; a < R; a++) {
    for (let b = 0; b < R; b++) addScaled(P + <usize>a * rowBytes, Z + <usize>b * rowBytes, load<f32>(gram + <usize>(a * R + b) * sizeof<f32>()), O);
  }
  scaleVector(Z, degenerate ? 0 : 4 / trace, R * O);
  addScaled(Z, P, degenerate ? 0 : -4 / frobenius, R * O);
  return degenerate ? 0 : logf(trace * trace / frobenius);
}

/** scores = the energy head's softmax for `input`, over K fixed noisy copies; returns the best label. */
export function dimensionPredict(input: usize): i32 {
  const K = <i32>ruleA;
  beginEvaluation();
  noisyCopies(input, 1, K);
  endEvaluation();
  forwardRows(K);
  energy(1, K);
  denseLinearForward(headW, headB, headIn, scores, 1, headInputs, classes);
  softmaxRow(scores, classes);
  return bestScore();
}
