// The decoded, validated config: what the training step reads. Written only
// by configure.ts.

export let configured: bool = false;
export let algorithm: u32 = 0;
export let goodnessKind: u32 = 0;
export let negativesKind: u32 = 0;
export let overlayKind: u32 = 0;
export let flags: u32 = 0;
export let classes: i32 = 0;
export let batch: i32 = 0;
export let imageWidth: i32 = 0;
export let imageHeight: i32 = 0;
export let threshold: f32 = 0;
export let temperature: f32 = 1;
export let learningRate: f32 = 0;
export let peerWeight: f32 = 0;
export let peerMomentum: f32 = 0;
export let overlayValue: f32 = 1;
export let headLearningRate: f32 = 0;
export let layerCount: i32 = 0;
export let inputSize: i32 = 0;
/** Layers from this index on feed goodness prediction and the head. */
export let firstScoredLayer: i32 = 0;
/** Sum of widths of the scored layers: the softmax head's inputs (0 = no head). */
export let headInputs: i32 = 0;
export let steps: u32 = 0;
export let decaySteps: u32 = 0;
export let finalRate: f32 = 1;
export let hasPrevious: bool = false;

export function setConfigured(value: bool): void { configured = value; }
export function setSteps(value: u32): void {
  steps = value;
  if (value < scheduleOrigin) scheduleOrigin = 0; // steps restarted (configure, weights loaded)
}
/** Step at which the learning-rate schedule last (re)started (continual.ts: drift reaction). */
let scheduleOrigin: u32 = 0;
export function restartSchedule(): void { scheduleOrigin = steps; }
export function setSchedule(decay: u32, final: f32): void { decaySteps = decay; finalRate = final; }
/** Train calls since the schedule's start (what decaySteps counts). */
export function scheduleDone(): u32 { return steps - scheduleOrigin; }

/**
 * Learning-rate factor for the step about to run: falls linearly from 1 to
 * finalRate over decaySteps steps, then stays (a cooldown; constant if 0).
 */
export function rateScale(): f32 {
  if (decaySteps == 0) return 1;
  const done = steps - scheduleOrigin;
  if (done >= decaySteps) return finalRate;
  return 1 - (1 - finalRate) * (<f32>done / <f32>decaySteps);
}
export function setHasPrevious(value: bool): void { hasPrevious = value; }

/** Step count, schedule origin and hybrid-negatives flag as 3 u32 at p (snapshot.ts). */
export function saveProgress(p: usize): void {
  store<u32>(p, steps); store<u32>(p, scheduleOrigin, 4); store<u32>(p, hasPrevious ? 1 : 0, 8);
}
export function restoreProgress(p: usize): void {
  steps = load<u32>(p); scheduleOrigin = load<u32>(p, 4); hasPrevious = load<u32>(p, 8) != 0;
}

export function setShape(
  a: u32, g: u32, n: u32, o: u32, f: u32, c: i32, b: i32, w: i32, h: i32,
  layers: i32, inputs: i32, first: i32, head: i32,
): void {
  algorithm = a; goodnessKind = g; negativesKind = n; overlayKind = o; flags = f;
  classes = c; batch = b; imageWidth = w; imageHeight = h;
  layerCount = layers; inputSize = inputs; firstScoredLayer = first; headInputs = head;
}

export function setRates(
  theta: f32, t: f32, eta: f32, peer: f32, peerMom: f32, overlay: f32, headEta: f32,
): void {
  threshold = theta; temperature = t; learningRate = eta; peerWeight = peer;
  peerMomentum = peerMom; overlayValue = overlay; headLearningRate = headEta;
}

/** RULE_A..RULE_D as configured (meaning per algorithm: config.ts). */
export let ruleA: f32 = 0;
export let ruleB: f32 = 0;
export let ruleC: f32 = 0;
export let ruleD: f32 = 0;
/** Eligibility-trace decay of the Hebbian rules (0 = no trace). */
export let traceDecay: f32 = 0;
/** PEPITA's |F|_F at initialisation: weight mirroring keeps F at this norm. */
export let feedbackNorm: f32 = 0;

export function setRule(a: f32, b: f32, c: f32, d: f32, decay: f32): void {
  ruleA = a; ruleB = b; ruleC = c; ruleD = d; traceDecay = decay;
}
export function setFeedbackNorm(value: f32): void { feedbackNorm = value; }
