// The one static arena. Laid out once by configure(); nothing is allocated
// after that, in a step or anywhere else. Regions, in order:
//
//   arenaBase (16-aligned, above static data)
//   +-----------------------------------------------------------------+
//   | params    W_0 b_0 | W_1 b_1 | ... | W_head b_head    (P f32)    |  <- checkpoint = this region
//   |           [F: C x in_0, PEPITA_MIRROR only: learned, so saved]  |
//   | opt state 1       (P f32: SGD velocity / Adam first moment)     |
//   | opt state 2       (P f32: Adam second moment; absent for SGD)   |
//   | per layer: X_l [R x in_l]  normalised inputs, pos rows then neg  |
//   |            Y_l [R x out_l] activities, reused for dL/dz         |
//   |   (R = max(2B, C): a training batch's pos+neg rows, or the C    |
//   |    label variants of one sample when predicting by goodness;   |
//   |    ED: max(2B, C, (B + 2) K) for K noisy copies per sample)     |
//   |            peer_l [out_l]   running mean activity               |
//   | head: H [B x Hh] head inputs, logits [B x C]                     |
//   | scores [C]   gradient row [max width]                           |
//   | inputs [B x D] f32   labels [B] i32   negative labels [B] i32    |
//   | hybrid negatives: previous [D], mask [D], mask scratch [D]       |
//   | stats [STATS_HEADER + L x STATS_FIELDS] f32                      |
//   | rule regions, each absent (0 bytes) unless the algorithm needs it:|
//   |   per layer aux_l: feedback B_l [out_l x in_l] (l >= 1, feedback  |
//   |            alignment) or membrane potentials [R x out_l] (spiking)|
//   |   feedback F [C x in_0]                       (PEPITA)            |
//   |   trace [layer params]  eligibility traces    (Hebbian, spiking)  |
//   |   delta [R x max width] backward rows / currents / ED scratch     |
//   |   input rates [2 x R x in_0]  analog input, input spike counts    |
//   |   gram [G]              Gram matrix            (ED)               |
//   | continual block: predictions, drift flags, replay buffer          |
//   |            (continual.ts; 0 bytes unless a mechanism is on)       |
//   +-----------------------------------------------------------------+
//   arenaEnd
//
// Optimizer state sits at a fixed distance from its parameter
// (stateOffset, 2 * stateOffset), so one pointer addresses all three; an
// eligibility trace likewise at traceOffset. The rule regions come last, so
// FF's layout is the same whatever the other rules need.

import { MAX_LAYERS, Algorithm } from "./config";

// @ts-ignore: decorator
@inline const FIELD_IN: i32 = 0;
// @ts-ignore: decorator
@inline const FIELD_OUT: i32 = 1;
// @ts-ignore: decorator
@inline const FIELD_W: i32 = 2;
// @ts-ignore: decorator
@inline const FIELD_B: i32 = 3;
// @ts-ignore: decorator
@inline const FIELD_X: i32 = 4;
// @ts-ignore: decorator
@inline const FIELD_Y: i32 = 5;
// @ts-ignore: decorator
@inline const FIELD_PEER: i32 = 6;
// @ts-ignore: decorator
@inline const FIELD_AUX: i32 = 7;
// @ts-ignore: decorator
@inline const LAYER_FIELDS: i32 = 8;

const layerTable: usize = memory.data(MAX_LAYERS * LAYER_FIELDS * sizeof<usize>(), 16);

// @ts-ignore: decorator
@inline function field(l: i32, f: i32): usize {
  return layerTable + <usize>(l * LAYER_FIELDS + f) * sizeof<usize>();
}
// @ts-ignore: decorator
@inline export function layerIn(l: i32): i32 { return load<i32>(field(l, FIELD_IN)); }
// @ts-ignore: decorator
@inline export function layerOut(l: i32): i32 { return load<i32>(field(l, FIELD_OUT)); }
// @ts-ignore: decorator
@inline export function layerW(l: i32): usize { return load<usize>(field(l, FIELD_W)); }
// @ts-ignore: decorator
@inline export function layerB(l: i32): usize { return load<usize>(field(l, FIELD_B)); }
// @ts-ignore: decorator
@inline export function layerX(l: i32): usize { return load<usize>(field(l, FIELD_X)); }
// @ts-ignore: decorator
@inline export function layerY(l: i32): usize { return load<usize>(field(l, FIELD_Y)); }
// @ts-ignore: decorator
@inline export function layerPeer(l: i32): usize { return load<usize>(field(l, FIELD_PEER)); }
// @ts-ignore: decorator
@inline export function layerAux(l: i32): usize { return load<usize>(field(l, FIELD_AUX)); }

// Stats: a small header, then STATS_FIELDS f32 per layer.
// @ts-ignore: decorator
@inline export const STATS_HEADER: i32 = 4; // step (u32), head loss, layer count (u32), fields per layer (u32)
// @ts-ignore: decorator
@inline export const STATS_FIELDS: i32 = 6;
// @ts-ignore: decorator
@inline export const STAT_GOODNESS_POS: i32 = 0;
// @ts-ignore: decorator
@inline export const STAT_GOODNESS_NEG: i32 = 1;
// @ts-ignore: decorator
@inline export const STAT_LOSS: i32 = 2;
// @ts-ignore: decorator
@inline export const STAT_ACTIVE: i32 = 3;
// @ts-ignore: decorator
@inline export const STAT_HOYER: i32 = 4;
// @ts-ignore: decorator
@inline export const STAT_PEER: i32 = 5;

// Region pointers, valid after a successful layout().
export let arenaBase: usize = 0;
export let arenaEnd: usize = 0;
export let params: usize = 0;
export let paramsBytes: usize = 0;
export let stateOffset: usize = 0;
export let headW: usize = 0;
export let headB: usize = 0;
export let headIn: usize = 0;
export let logits: usize = 0;
export let scores: usize = 0;
export let gradRow: usize = 0;
export let inputs: usize = 0;
export let labels: usize = 0;
export let negLabels: usize = 0;
export let previous: usize = 0;
export let mask: usize = 0;
export let maskScratch: usize = 0;
export let stats: usize = 0;
/** Rows of each X_l / Y_l (R in the drawing). */
export let rowCapacity: i32 = 0;
export let feedback: usize = 0;
export let traceOffset: usize = 0;
export let delta: usize = 0;
export let inputRates: usize = 0;
export let gram: usize = 0;
export let continual: usize = 0;

let cursor: usize = 0;

function take(count: i32, size: usize): usize {
  const at = cursor;
  // 16-byte aligned regions: room for f32x4 kernels.
  cursor = (cursor + <usize>count * size + 15) & ~<usize>15;
  return at;
}

/**
 * Computes the layout for the given shapes at `base` and returns the end
 * address; writes the layer table and region pointers. Sizes were checked by
 * the caller. `headInputs` is 0 when there is no softmax head; `rows` is R
 * (rule-checks.ts: ruleRows), `trace` whether eligibility traces are kept,
 * `gramFloats` the Gram matrix's size (0 but for ED) and `continualBytes`
 * the continual block's (continual.ts).
 */
export function layout(
  base: usize, sizes: usize, layers: i32, batch: i32, classes: i32,
  firstInputs: i32, headInputs: i32, stateCopies: i32, hybrid: bool,
  rows: i32, algorithm: u32, trace: bool, gramFloats: i32, continualBytes: usize,
): usize {
  arenaBase = (base + 15) & ~<usize>15;
  cursor = arenaBase;
  const inputSize = load<i32>(sizes);
  // params: all layers, then the head, contiguous.
  params = cursor;
  let widest = max<i32>(firstInputs, classes);
  for (let l = 0; l < layers; l++) {
    const nIn = l == 0 ? firstInputs : load<i32>(sizes + <usize>l * sizeof<u32>());
    const nOut = load<i32>(sizes + <usize>(l + 1) * sizeof<u32>());
    store<i32>(field(l, FIELD_IN), nIn);
    store<i32>(field(l, FIELD_OUT), nOut);
    store<usize>(field(l, FIELD_W), cursor);
    cursor += <usize>nIn * <usize>nOut * sizeof<f32>();
    store<usize>(field(l, FIELD_B), cursor);
    cursor += <usize>nOut * sizeof<f32>();
    widest = max<i32>(widest, max<i32>(nIn, nOut));
  }
  headW = cursor;
  cursor += <usize>classes * <usize>headInputs * sizeof<f32>();
  headB = cursor;
  cursor += headInputs > 0 ? <usize>classes * sizeof<f32>() : 0;
  widest = max<i32>(widest, headInputs);
  // Weight mirroring learns F: it belongs to the checkpoint, so it sits with the
  // parameters (its optimizer-state twins stay unused). PEPITA's F is fixed, drawn
  // again by configure from the seed, and goes with the rule regions below.
  const mirrored = algorithm == Algorithm.PEPITA_MIRROR;
  if (mirrored) {
    feedback = cursor;
    cursor += <usize>classes * <usize>firstInputs * sizeof<f32>();
  }
  paramsBytes = cursor - params;
  cursor = (cursor + 15) & ~<usize>15;
  stateOffset = cursor - params;
  cursor += stateOffset * <usize>stateCopies;
  rowCapacity = rows;
  for (let l = 0; l < layers; l++) {
    store<usize>(field(l, FIELD_X), take(rows * layerIn(l), sizeof<f32>()));
    store<usize>(field(l, FIELD_Y), take(rows * layerOut(l), sizeof<f32>()));
    store<usize>(field(l, FIELD_PEER), take(layerOut(l), sizeof<f32>()));
  }
  headIn = take(batch * headInputs, sizeof<f32>());
  logits = take(batch * classes, sizeof<f32>());
  scores = take(classes, sizeof<f32>());
  gradRow = take(widest, sizeof<f32>());
  inputs = take(batch * inputSize, sizeof<f32>());
  labels = take(batch, sizeof<i32>());
  negLabels = take(batch, sizeof<i32>());
  const hybridSize = hybrid ? inputSize : 0;
  previous = take(hybridSize, sizeof<f32>());
  mask = take(hybridSize, sizeof<f32>());
  maskScratch = take(hybridSize, sizeof<f32>());
  stats = take(STATS_HEADER + layers * STATS_FIELDS, sizeof<f32>());
  const spiking = algorithm == Algorithm.SPIKING_FF;
  for (let l = 0; l < layers; l++) {
    const aux = spiking ? rows * layerOut(l)
      : algorithm == Algorithm.FEEDBACK_ALIGNMENT && l > 0 ? layerOut(l) * layerIn(l) : 0;
    store<usize>(field(l, FIELD_AUX), take(aux, sizeof<f32>()));
  }
  const fixedFeedback = take(algorithm == Algorithm.PEPITA ? classes * firstInputs : 0, sizeof<f32>());
  if (!mirrored) feedback = fixedFeedback;
  const traceAt = take(trace ? <i32>((headW - params) / sizeof<f32>()) : 0, sizeof<f32>());
  traceOffset = traceAt - params;
  const backward = spiking || algorithm == Algorithm.DIMENSION || algorithm == Algorithm.BACKPROP
    || algorithm == Algorithm.BACKPROP_FF || algorithm == Algorithm.FEEDBACK_ALIGNMENT;
  delta = take(backward ? rows * widest : 0, sizeof<f32>());
  inputRates = take(spiking ? 2 * rows * firstInputs : 0, sizeof<f32>());
  gram = take(gramFloats, sizeof<f32>());
  continual = take(<i32>continualBytes, 1);
  arenaEnd = cursor;
  return arenaEnd;
}
