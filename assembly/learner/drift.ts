// Page-Hinkley change detection (Page 1954; Hinkley 1971; the form River
// uses, with its defaults: min 30 samples, delta 0.005, threshold 50,
// forgetting alpha = 1 - 1e-4). Over a stream x_1, x_2, ... with running
// mean m_n:
//
//   U_n = alpha U_{n-1} + (x_n - m_n - delta)   raise if U_n - min U > threshold  (mean went up)
//   D_n = alpha D_{n-1} + (x_n - m_n + delta)   raise if max D - D_n > threshold  (mean went down)
//
// One direction per signal: the prequential error alarms when it rises (more
// mistakes); positive goodness when it falls (inputs the layers no longer
// find familiar: a sensor re-ranged). Goodness also rises while the model
// learns, so a two-sided test on it raises false alarms on a stationary
// stream (measured: docs/continual.md, "Drift"). After an alarm the
// detector starts afresh.
// f32 only, so every target (wasm2c on an M4F) gives the same alarms;
// host/learner/reference/page-hinkley.ts is the plain reference.
//
// Non-goals: ADWIN or other detectors; several detectors at once.

// @ts-ignore: decorator
@inline const ALPHA: f32 = 0.9999;

let delta: f32 = 0.005;
let threshold: f32 = 50;
let minSamples: u32 = 30;
/** Watch for a fall (goodness) instead of a rise (error). */
let falls: bool = false;

let count: u32 = 0;
let mean: f32 = 0;
let up: f32 = 0;
let upMin: f32 = 0;
let down: f32 = 0;
let downMax: f32 = 0;

/** `fall`: alarm when the signal's mean falls (goodness), else when it rises (error). */
export function driftSetup(d: f32, t: f32, min: u32, fall: bool): void {
  delta = d; threshold = t; minSamples = min; falls = fall;
  driftReset();
}

export function driftReset(): void {
  count = 0; mean = 0; up = 0; upMin = 0; down = 0; downMax = 0;
}

/** The detector's running state as 6 words at p (snapshot.ts). */
export function saveDrift(p: usize): void {
  store<u32>(p, count); store<f32>(p, mean, 4); store<f32>(p, up, 8);
  store<f32>(p, upMin, 12); store<f32>(p, down, 16); store<f32>(p, downMax, 20);
}
export function restoreDrift(p: usize): void {
  count = load<u32>(p); mean = load<f32>(p, 4); up = load<f32>(p, 8);
  upMin = load<f32>(p, 12); down = load<f32>(p, 16); downMax = load<f32>(p, 20);
}

/** Feeds one value; returns true on an alarm (the detector then restarts). */
export function driftUpdate(x: f32): bool {
  count++;
  mean += (x - mean) / <f32>count;
  const deviation = x - mean;
  up = ALPHA * up + (deviation - delta);
  upMin = min<f32>(upMin, up);
  down = ALPHA * down + (deviation + delta);
  downMax = max<f32>(downMax, down);
  if (count < minSamples) return false;
  const alarm = falls ? downMax - down > threshold : up - upMin > threshold;
  if (alarm) driftReset();
  return alarm;
}
