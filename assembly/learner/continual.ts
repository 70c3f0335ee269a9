// Continual learning around the training step (the config's optional block,
// config.ts: ContinualSlot), each part off by default:
//
//   prequential  test-then-train (River's progressive validation): every
//                labelled row is predicted before the step trains on it;
//                the label is left in predictions[row] (-1: not predicted).
//   drift        Page-Hinkley (drift.ts) over the prequential error (0/1
//                per labelled row, upward changes) or over the step's
//                positive goodness summed over layers (both ways); an alarm
//                sets drifts[row], restarts the detector and optionally the
//                learning-rate schedule (state.ts: restartSchedule).
//   replay       after the streamed rows are trained, each is offered to
//                the buffer (replay.ts), then floor(credit) replayed samples
//                are trained, in batches of up to B, where credit grows by
//                ratio per streamed row (a fractional ratio spreads them
//                out: 0.5 = one replayed sample every second row). Replayed
//                samples are trained exactly like streamed ones (FF: their
//                negatives drawn as usual). A just-offered sample may be
//                drawn. The stats left for the caller are the streamed
//                rows' (replay steps still count in `steps`).
//
//   block (arena.ts: continual), absent when everything is off
//   +--------------------------------------------------------------------+
//   | predictions [B] i32 | drifts [B] i32     (prequential or drift on)  |
//   | saved stats [STATS_HEADER + L x STATS_FIELDS] f32   (replay on)     |
//   | replay buffer (replay.ts)                             (replay on)    |
//   +--------------------------------------------------------------------+
//
// Non-goals: latent replay (refused at configure: storage 1); the buffer
// and detector are not checkpointed.

import { ContinualSlot, CONTINUAL_SLOTS, Slot, Negatives, Algorithm, configBytes, slotU32, slotF32 } from "./config";
import { OK, fail, ERR_CONTINUAL_OPTION, ERR_DRIFT_NEEDS_PREQUENTIAL } from "./errors";
import { inputs, labels, stats, STATS_HEADER, STATS_FIELDS, STAT_GOODNESS_POS } from "./arena";
import { batch, inputSize, layerCount, restartSchedule } from "./state";
import { runTrain, runPredict } from "./rules";
import { readsOverlay } from "./rule-checks";
import { statAt } from "./step";
import { ReplayMode, ReplayStorage, REPLAY_MODE_COUNT, replayBytes, replaySetup, replayReset, replayOffer, replayDraw, replayLoad } from "./replay";
import { driftSetup, driftUpdate, driftReset } from "./drift";

export const enum Prequential { OFF = 0, GOODNESS = 1, HEAD = 2 }
export const enum DriftSignal { ERROR = 0, GOODNESS = 1 }
export const enum DriftReaction { NONE = 0, RESTART_SCHEDULE = 1 }

// @ts-ignore: decorator
@inline const MAX_RATIO: f32 = 64;
// @ts-ignore: decorator
@inline const MAX_CAPACITY: u32 = 65535;

let prequential: u32 = Prequential.OFF;
let replayMode: u32 = ReplayMode.OFF;
let capacity: i32 = 0;
let storage: u32 = ReplayStorage.INT8;
let ratio: f32 = 0;
let credit: f32 = 0;
let driftOn: bool = false;
let driftSignal: u32 = DriftSignal.ERROR;
let reaction: u32 = DriftReaction.NONE;

export let predictions: usize = 0;
export let drifts: usize = 0;
let savedStats: usize = 0;

/** Whether any mechanism is on (train() then goes through runContinual). */
export let continualActive: bool = false;

function slot(layers: i32, s: i32): i32 {
  return Slot.SIZES + layers + 1 + s;
}

/** Bytes a blob with `layers` layers and the continual block has. */
export function continualConfigBytes(layers: i32): i32 {
  return configBytes(layers) + CONTINUAL_SLOTS * sizeof<u32>();
}

function bad(s: i32): i32 { return fail(ERR_CONTINUAL_OPTION, s); }

/**
 * Checks the continual block (if the blob has one) against the shape and
 * rule already checked by configure; keeps the settings for continualSetup.
 * `head` is the softmax head's input count (0 = none).
 */
export function continualCheck(length: i32, layers: i32, algorithm: u32, negatives: u32, head: i32): i32 {
  prequential = Prequential.OFF; replayMode = ReplayMode.OFF; driftOn = false;
  continualActive = false;
  if (length == configBytes(layers)) return OK;
  const p = slotU32(slot(layers, ContinualSlot.PREQUENTIAL));
  if (p > <u32>Prequential.HEAD) return bad(ContinualSlot.PREQUENTIAL);
  // What the rule can predict (rules.ts: runPredict): the output family and
  // ED always; goodness needs labels in the input, the head a softmax head.
  const own = !readsOverlay(algorithm);
  if (p == Prequential.GOODNESS && !own && negatives == Negatives.HYBRID_IMAGE) return bad(ContinualSlot.PREQUENTIAL);
  if (p == Prequential.HEAD && !own && head == 0) return bad(ContinualSlot.PREQUENTIAL);

  const mode = slotU32(slot(layers, ContinualSlot.REPLAY_MODE));
  if (mode >= REPLAY_MODE_COUNT) return bad(ContinualSlot.REPLAY_MODE);
  if (mode != ReplayMode.OFF) {
    const n = slotU32(slot(layers, ContinualSlot.REPLAY_CAPACITY));
    if (n < 1 || n > MAX_CAPACITY) return bad(ContinualSlot.REPLAY_CAPACITY);
    const code = slotU32(slot(layers, ContinualSlot.REPLAY_STORAGE));
    if (code != ReplayStorage.INT8 && code != ReplayStorage.INT4) return bad(ContinualSlot.REPLAY_STORAGE);
    const r = slotF32(slot(layers, ContinualSlot.REPLAY_RATIO));
    if (!(r >= 0 && r <= MAX_RATIO)) return bad(ContinualSlot.REPLAY_RATIO);
    const unsupervised = negatives == Negatives.HYBRID_IMAGE || algorithm == Algorithm.DIMENSION;
    if (mode == ReplayMode.CLASS_BALANCED && unsupervised) return bad(ContinualSlot.REPLAY_MODE);
    capacity = <i32>n;
    storage = code;
    ratio = r;
  }

  const detector = slotU32(slot(layers, ContinualSlot.DRIFT_DETECTOR));
  if (detector > 1) return bad(ContinualSlot.DRIFT_DETECTOR);
  if (detector == 1) {
    const signal = slotU32(slot(layers, ContinualSlot.DRIFT_SIGNAL));
    if (signal > <u32>DriftSignal.GOODNESS) return bad(ContinualSlot.DRIFT_SIGNAL);
    if (signal == DriftSignal.ERROR && p == Prequential.OFF) return fail(ERR_DRIFT_NEEDS_PREQUENTIAL, ContinualSlot.DRIFT_SIGNAL);
    const d = slotF32(slot(layers, ContinualSlot.DRIFT_DELTA));
    if (!(d >= 0 && d < Infinity)) return bad(ContinualSlot.DRIFT_DELTA);
    const t = slotF32(slot(layers, ContinualSlot.DRIFT_THRESHOLD));
    if (!(t > 0 && t < Infinity)) return bad(ContinualSlot.DRIFT_THRESHOLD);
    const r = slotU32(slot(layers, ContinualSlot.DRIFT_REACTION));
    if (r > <u32>DriftReaction.RESTART_SCHEDULE) return bad(ContinualSlot.DRIFT_REACTION);
    driftSetup(d, t, slotU32(slot(layers, ContinualSlot.DRIFT_MIN_SAMPLES)), signal == DriftSignal.GOODNESS);
    driftSignal = signal;
    reaction = r;
    driftOn = true;
  }
  prequential = p;
  replayMode = mode;
  continualActive = p != Prequential.OFF || mode != ReplayMode.OFF || driftOn;
  return OK;
}

/** Bytes of the block for the checked settings (0 when all is off). */
export function continualBytes(rows: i32, inputs: i32, layers: i32, classes: i32): usize {
  let bytes: usize = 0;
  if (prequential != Prequential.OFF || driftOn) bytes += <usize>(2 * rows) * sizeof<i32>();
  if (replayMode != ReplayMode.OFF) {
    bytes += <usize>(STATS_HEADER + layers * STATS_FIELDS) * sizeof<f32>();
    bytes += replayBytes(replayMode, capacity, inputs, classes, storage);
  }
  return bytes;
}

let bufferBytes: usize = 0;

/** Bytes of the replay buffer alone (what `ffedge budget` reports; 0 when off). */
export function replayBufferBytes(): usize { return bufferBytes; }

/**
 * Points the block's parts into the arena at `at` and empties them; after
 * configure has set the shape (state.ts).
 */
export function continualSetup(at: usize, classes: i32): void {
  bufferBytes = replayBytes(replayMode, capacity, inputSize, classes, storage);
  const flagged = prequential != Prequential.OFF || driftOn;
  const flagBytes = flagged ? <usize>batch * sizeof<i32>() : 0;
  predictions = flagged ? at : 0;
  drifts = flagged ? at + flagBytes : 0;
  savedStats = at + 2 * flagBytes;
  const replayAt = savedStats + (replayMode != ReplayMode.OFF ? <usize>(STATS_HEADER + layerCount * STATS_FIELDS) * sizeof<f32>() : 0);
  if (flagged) {
    memory.fill(predictions, 0xff, <usize>batch * sizeof<i32>()); // -1: nothing predicted yet
    memory.fill(drifts, 0, <usize>batch * sizeof<i32>());
  }
  replaySetup(replayAt, replayMode, capacity, inputSize, classes, storage);
  credit = 0;
}

// @ts-ignore: decorator
@inline function row(b: i32): usize {
  return inputs + <usize>b * <usize>inputSize * sizeof<f32>();
}

/** The checked rows 0..n-1 through prediction, the step, detection and replay. */
export function runContinual(n: i32): void {
  const flagged = prequential != Prequential.OFF || driftOn;
  for (let b = 0; b < n && flagged; b++) {
    const label = load<i32>(labels + <usize>b * sizeof<i32>());
    let predicted = -1;
    if (prequential != Prequential.OFF && label >= 0) predicted = runPredict(row(b), <i32>prequential - 1);
    store<i32>(predictions + <usize>b * sizeof<i32>(), predicted);
    let alarm = false;
    if (driftOn && driftSignal == DriftSignal.ERROR && label >= 0) alarm = driftUpdate(predicted != label ? 1 : 0);
    store<i32>(drifts + <usize>b * sizeof<i32>(), alarm ? 1 : 0);
    if (alarm) react();
  }
  runTrain(n);
  if (driftOn && driftSignal == DriftSignal.GOODNESS) {
    let total: f32 = 0;
    for (let l = 0; l < layerCount; l++) total += load<f32>(statAt(l, STAT_GOODNESS_POS));
    if (driftUpdate(total)) {
      store<i32>(drifts + <usize>(n - 1) * sizeof<i32>(), 1);
      react();
    }
  }
  if (replayMode != ReplayMode.OFF) replayAfter(n);
}

function react(): void {
  if (reaction == DriftReaction.RESTART_SCHEDULE) restartSchedule();
}

function replayAfter(n: i32): void {
  const statBytes = <usize>(STATS_HEADER + layerCount * STATS_FIELDS) * sizeof<f32>();
  memory.copy(savedStats, stats, statBytes);
  for (let b = 0; b < n; b++) replayOffer(row(b), load<i32>(labels + <usize>b * sizeof<i32>()));
  credit += ratio * <f32>n;
  let due = <i32>floor<f32>(credit);
  credit -= <f32>due;
  while (due > 0) {
    const m = min<i32>(due, batch);
    for (let r = 0; r < m; r++) store<i32>(labels + <usize>r * sizeof<i32>(), replayLoad(replayDraw(), row(r)));
    runTrain(m);
    due -= m;
  }
  memory.copy(stats, savedStats, statBytes);
}

/**
 * Weights were loaded: the buffer and the detector start empty, as on a
 * device that was just configured (neither is part of a checkpoint).
 */
export function continualRestart(): void {
  replayReset();
  if (driftOn) driftReset();
  credit = 0;
}

/** Replay credit as one f32 at p (snapshot.ts). */
export function saveContinual(p: usize): void { store<f32>(p, credit); }
export function restoreContinual(p: usize): void { credit = load<f32>(p); }

/** Row 0's prequential prediction after train(1) (-1: none; the device's GOODNESS). */
export function samplePrediction(): i32 {
  return predictions != 0 ? load<i32>(predictions) : -1;
}
/** Whether the detector raised an alarm at row 0 in the last train(1). */
export function sampleDrift(): bool {
  return drifts != 0 && load<i32>(drifts) != 0;
}
