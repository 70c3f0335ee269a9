// What issue 10 asks of drift handling, measured on one run of a two-task
// drift scenario (clean -> drifted): how soon the device's detector raised,
// how often it raised with nothing changed, and how soon prequential accuracy
// came back. Pure functions over what the runner and the in-process learner
// both see (alarm positions; windowed prequential accuracy per position).
//
//   delay      samples from the boundary to the first alarm at or after it,
//              within DETECTION_HORIZON (later, the model has long adapted:
//              an alarm then is not a detection)
//   false      every other alarm; rate per 10,000 samples of the run (all
//              of it stationary but the change itself)
//   recovery   samples from the boundary until the accuracy over the last
//              `window` samples, all after it, is back within `band` of the
//              accuracy over the `window` samples before it
//
// Non-goals: gradual drifts (no single change point), several boundaries.

export interface DriftTargets {
  /** Samples from the boundary to the first alarm after it; null: never detected. */
  delay: number | null;
  falseAlarms: number;
  /** False alarms per 10,000 samples of the run. */
  falsePer10k: number;
  /** Windowed prequential accuracy just before the boundary (0..1). */
  before: number;
  /** Samples until the accuracy is back within the band; null: not within the run. */
  recovery: number | null;
  /** Lowest windowed accuracy over the first `recovery goal` samples after the boundary (full windows only): how much the drift cost. */
  lowest: number;
}

export const DRIFT_GOALS = { delay: 300, falsePer10k: 1, recovery: 2000, band: 0.05 } as const;
/** An alarm later than this after the boundary is not its detection. */
export const DETECTION_HORIZON = 2000;

/**
 * `windowAccuracy[p]`: prequential accuracy over the `window` samples ending
 * at stream position p (the runner's PrequentialAccuracy.windowAccuracy).
 */
export function recoverySamples(
  windowAccuracy: ArrayLike<number>,
  boundary: number,
  window: number,
  band: number = DRIFT_GOALS.band,
): { before: number; samples: number | null } {
  if (!Number.isInteger(boundary) || boundary < window)
    throw new RangeError(`the boundary (${boundary}) needs ${window} samples before it to measure the level before the drift`);
  const before = windowAccuracy[boundary - 1]!;
  for (let p = boundary + window - 1; p < windowAccuracy.length; p++) {
    if (windowAccuracy[p]! >= before - band) return { before, samples: p - boundary + 1 };
  }
  return { before, samples: null };
}

/** `windowAccuracy` has one entry per sample of the run (its length is the run's). */
export function driftTargets(boundary: number, alarms: readonly number[], windowAccuracy: ArrayLike<number>, window: number): DriftTargets {
  const sorted = [...alarms].sort((a, b) => a - b);
  const first = sorted.find((a) => a >= boundary && a - boundary < DETECTION_HORIZON);
  const falseAlarms = sorted.length - (first === undefined ? 0 : 1);
  const { before, samples } = recoverySamples(windowAccuracy, boundary, window);
  let lowest = Infinity;
  for (let p = boundary + window - 1; p < Math.min(windowAccuracy.length, boundary + DRIFT_GOALS.recovery); p++) lowest = Math.min(lowest, windowAccuracy[p]!);
  return {
    delay: first === undefined ? null : first - boundary,
    falseAlarms,
    falsePer10k: (falseAlarms * 10_000) / windowAccuracy.length,
    before,
    recovery: samples,
    lowest,
  };
}

/** Whether every target is met (a drift that was never detected misses). */
export function driftTargetsMet(t: DriftTargets): boolean {
  return (
    t.delay !== null && t.delay <= DRIFT_GOALS.delay && t.falsePer10k <= DRIFT_GOALS.falsePer10k && t.recovery !== null && t.recovery <= DRIFT_GOALS.recovery
  );
}
