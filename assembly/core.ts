// build/ff-core.wasm: the learner as a library. No imports at all; every
// runtime (V8, wasm2c, wasm3, WAMR) can embed it. The host writes a config
// blob at configPtr() and calls configure(); then writes samples at
// inputPtr()/labelPtr() and calls train(n) or predict(row, mode);
// represent(row, label) then hiddenPtr(l) shows a sample's activity in each
// layer. All functions return status codes from learner/errors.ts.
//
// Non-goals: no I/O, no allocation after configure, no strings.

export { configure, arenaBytes, setMemoryLimit } from "./learner/configure";
export { train, predict, weightsLoaded, represent, hiddenPtr } from "./learner/learner";
export { errorDetail } from "./learner/errors";
export { snapshotBytes, snapshotCapture, snapshotApply, snapshotBeginRestore } from "./learner/snapshot";
import { configArea, CONFIG_MAX_BYTES } from "./learner/config";
import { predictions, drifts, replayBufferBytes } from "./learner/continual";
import { filled } from "./learner/replay";
import { inputs, labels, params, paramsBytes, stats, scores, arenaBase } from "./learner/arena";
import { snapshotHeader, SNAPSHOT_HEADER_BYTES } from "./learner/snapshot";
import { configured, finalRate, setSchedule, scheduleDone } from "./learner/state";
import { OK, ERR_NOT_CONFIGURED, ERR_HYPERPARAMETER, fail } from "./learner/errors";
import { Slot } from "./learner/config";

/** ABI version of these exports; bumped on any incompatible change. */
export function abiVersion(): i32 { return 1; }
export function configPtr(): usize { return configArea; }
export function configCapacity(): i32 { return CONFIG_MAX_BYTES; }
export function inputPtr(): usize { return inputs; }
export function labelPtr(): usize { return labels; }
export function paramsPtr(): usize { return params; }
export function paramsByteLength(): usize { return paramsBytes; }
/**
 * Full-state snapshot (learner/snapshot.ts): after snapshotCapture(), the blob is
 * snapshotHeaderPtr()[0..snapshotHeaderBytes()) then the arena from arenaPtr()
 * (snapshotBytes() in all). To restore: snapshotBeginRestore(), write both back, snapshotApply().
 */
export function snapshotHeaderPtr(): usize { return snapshotHeader(); }
export function snapshotHeaderBytes(): u32 { return SNAPSHOT_HEADER_BYTES; }
export function arenaPtr(): usize { return arenaBase; }
export function statsPtr(): usize { return stats; }
export function scoresPtr(): usize { return scores; }
/** After train(n): label predicted for each row before training (-1: none) [B] i32; 0 when prequential and drift are off. */
export function predictionsPtr(): usize { return predictions; }
/** After train(n): 1 where the drift detector raised an alarm at that row [B] i32; 0 when both are off. */
export function driftsPtr(): usize { return drifts; }
/** Bytes of the replay buffer in the arena (0 when replay is off). */
export function replayBytes(): usize { return replayBufferBytes(); }
/** Samples the replay buffer holds now. */
export function replayFilled(): i32 { return filled; }

/**
 * Re-times the learning-rate cooldown mid-run (config decaySteps): the rate now
 * reaches finalRate after `decay` train calls counted from the schedule's start.
 * A host training to a time budget calls it as it learns its step rate, so the
 * cooldown ends at the budget on any machine (host/learner/fit.ts). Status.
 */
export function setCooldown(decay: i32): i32 {
  if (!configured) return fail(ERR_NOT_CONFIGURED, 0);
  if (decay < 0) return fail(ERR_HYPERPARAMETER, Slot.DECAY_STEPS);
  setSchedule(<u32>decay, finalRate);
  return OK;
}
/** Train calls since the learning-rate schedule started (what decaySteps counts). */
export function cooldownDone(): i32 { return <i32>scheduleDone(); }
