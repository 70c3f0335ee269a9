// The learner config as the host writes it: a blob of 4-byte little-endian
// slots, mirror of assembly/learner/config.ts (test/config-slots.test.ts
// holds the two together). The host checks types and names here; the
// learner checks ranges (one place decides what fits the device).

export const CONFIG_VERSION = 1;
export const MAX_LAYERS = 8;

export const Slot = {
  VERSION: 0,
  ALGORITHM: 1,
  GOODNESS: 2,
  OPTIMIZER: 3,
  NEGATIVES: 4,
  OVERLAY: 5,
  FLAGS: 6,
  CLASSES: 7,
  BATCH: 8,
  IMAGE_WIDTH: 9,
  IMAGE_HEIGHT: 10,
  SEED: 11,
  THRESHOLD: 12,
  TEMPERATURE: 13,
  LEARNING_RATE: 14,
  BETA1: 15,
  BETA2: 16,
  WEIGHT_DECAY: 17,
  PEER_WEIGHT: 18,
  PEER_MOMENTUM: 19,
  OVERLAY_VALUE: 20,
  HEAD_LEARNING_RATE: 21,
  RULE_A: 22,
  RULE_B: 23,
  RULE_C: 24,
  RULE_D: 25,
  DECAY_STEPS: 26,
  FINAL_RATE: 27,
  LAYER_COUNT: 28,
  SIZES: 29,
} as const;

const SLOT_FIELD: Record<number, string> = {
  [Slot.VERSION]: 'version',
  [Slot.ALGORITHM]: 'algorithm',
  [Slot.GOODNESS]: 'goodness',
  [Slot.OPTIMIZER]: 'optimizer',
  [Slot.NEGATIVES]: 'negatives',
  [Slot.OVERLAY]: 'overlay',
  [Slot.FLAGS]: 'skipFirstLayer/softmaxHead/loss/seenLabelsOnly',
  [Slot.CLASSES]: 'classes',
  [Slot.BATCH]: 'batch',
  [Slot.IMAGE_WIDTH]: 'imageWidth',
  [Slot.IMAGE_HEIGHT]: 'imageHeight',
  [Slot.SEED]: 'seed',
  [Slot.THRESHOLD]: 'threshold',
  [Slot.TEMPERATURE]: 'temperature',
  [Slot.LEARNING_RATE]: 'learningRate',
  [Slot.BETA1]: 'beta1',
  [Slot.BETA2]: 'beta2',
  [Slot.WEIGHT_DECAY]: 'weightDecay',
  [Slot.PEER_WEIGHT]: 'peerWeight',
  [Slot.PEER_MOMENTUM]: 'peerMomentum',
  [Slot.OVERLAY_VALUE]: 'overlayValue',
  [Slot.HEAD_LEARNING_RATE]: 'headLearningRate',
  [Slot.RULE_A]: 'rule[0]',
  [Slot.RULE_B]: 'rule[1]',
  [Slot.RULE_C]: 'rule[2]',
  [Slot.RULE_D]: 'rule[3]',
  [Slot.DECAY_STEPS]: 'decaySteps',
  [Slot.FINAL_RATE]: 'finalRate',
  [Slot.LAYER_COUNT]: 'layers.length',
};

/**
 * The optional continual-learning block (assembly/learner/config.ts:
 * ContinualSlot), CONTINUAL_SLOTS slots after the layer sizes. encodeConfig
 * writes it only when a mechanism is on, so other configs keep their blob.
 */
export const ContinualSlot = {
  PREQUENTIAL: 0,
  REPLAY_MODE: 1,
  REPLAY_CAPACITY: 2,
  REPLAY_STORAGE: 3,
  REPLAY_LATENT_LAYER: 4,
  REPLAY_RATIO: 5,
  DRIFT_DETECTOR: 6,
  DRIFT_SIGNAL: 7,
  DRIFT_DELTA: 8,
  DRIFT_THRESHOLD: 9,
  DRIFT_MIN_SAMPLES: 10,
  DRIFT_REACTION: 11,
} as const;
export const CONTINUAL_SLOTS = 12;

/** The LearnerConfig field a ContinualSlot holds, for error messages. */
export const CONTINUAL_FIELDS = [
  'prequential',
  'replay.mode',
  'replay.capacity',
  'replay.storage',
  'replay.latentLayer',
  'replay.ratio',
  'drift.detector',
  'drift.signal',
  'drift.delta',
  'drift.threshold',
  'drift.minSamples',
  'drift.reaction',
] as const;

/** The config field a slot holds, for error messages. */
export function slotName(slot: number): string {
  if (slot === Slot.SIZES) return 'inputSize';
  return SLOT_FIELD[slot] ?? (slot > Slot.SIZES ? `layers[${slot - Slot.SIZES - 1}]` : `slot ${slot}`);
}

/**
 * The learning rules, in the order of assembly/learner/config.ts's Algorithm
 * (the index is the ALGORITHM slot). The FF family ("ff", "hebbian-ff",
 * "spiking-ff", "backprop-ff", "ed") has hidden layers only; the output
 * family (OUTPUT_LAYER_ALGORITHMS) reads no label overlay and its last layer
 * is a linear output of `classes` units: layers [h1, h2, classes].
 */
export const ALGORITHMS = ['ff', 'hebbian-ff', 'spiking-ff', 'pepita', 'pepita-mirror', 'ed', 'backprop', 'backprop-ff', 'feedback-alignment'] as const;
export const GOODNESS_FUNCTIONS = ['sum-squares', 'mean-squares'] as const;
export const OPTIMIZERS = ['sgd', 'adam'] as const;
export const NEGATIVES = ['random', 'hard', 'hybrid'] as const;
export const OVERLAYS = ['replace', 'prepend'] as const;

export type Algorithm = (typeof ALGORITHMS)[number];

export const PREQUENTIAL_MODES = ['off', 'goodness', 'head'] as const;
export const REPLAY_MODES = ['off', 'reservoir', 'class-balanced'] as const;
/** Index = the REPLAY_STORAGE slot: "raw" int8, "latent" (refused), "int4" raw in 4 bits. */
export const REPLAY_STORAGES = ['raw', 'latent', 'int4'] as const;
export const DRIFT_DETECTORS = ['off', 'page-hinkley'] as const;
export const DRIFT_SIGNALS = ['error', 'goodness'] as const;
export const DRIFT_REACTIONS = ['none', 'restart-schedule'] as const;

/**
 * A buffer of past samples trained again between new ones. Stored raw as
 * int8 with one scale per sample (replay.storage "raw"), or as 4-bit codes
 * with one range per sample ("int4": twice the samples in the same bytes, 16
 * levels per value); "latent" is refused by this device build. Not part of a checkpoint: it starts empty after
 * configure and after weights are loaded.
 */
export interface ReplayConfig {
  /** "reservoir": Vitter's algorithm R; "class-balanced": per-class quotas (Chrysakis & Moens 2020). */
  mode: (typeof REPLAY_MODES)[number];
  /** Samples the buffer holds (1..65535); each takes 8 + inputSize (rounded up to 4) bytes ("int4": 12 + ceil(inputSize / 2), rounded up to 4). */
  capacity: number;
  /** "raw" (default, int8) or "int4". */
  storage?: (typeof REPLAY_STORAGES)[number];
  /** Layer k whose activities are stored for storage "latent". */
  latentLayer?: number;
  /** Replayed samples trained per streamed sample, fractional, 0..64 (0.5: one every second sample). */
  ratio: number;
}

/** Page-Hinkley change detection on the device (defaults: River's). */
export interface DriftConfig {
  detector: (typeof DRIFT_DETECTORS)[number];
  /** "error": the prequential error (needs prequential on), alarms when it rises; "goodness": positive goodness summed over layers, alarms when it falls. */
  signal?: (typeof DRIFT_SIGNALS)[number];
  /** Magnitude of change tolerated, >= 0 (default 0.005). */
  delta?: number;
  /** Alarm when the cumulative deviation exceeds this, > 0 (default 50). */
  threshold?: number;
  /** Samples before the first alarm (default 30). */
  minSamples?: number;
  /** "restart-schedule": restart the learning-rate cooldown (decaySteps) on an alarm. */
  reaction?: (typeof DRIFT_REACTIONS)[number];
}

export const DRIFT_DEFAULTS: Required<DriftConfig> = {
  detector: 'off',
  signal: 'error',
  delta: 0.005,
  threshold: 50,
  minSamples: 30,
  reaction: 'none',
};

/** Rules whose last layer is the output layer (its width must equal `classes`). */
export const OUTPUT_LAYER_ALGORITHMS: readonly Algorithm[] = ['pepita', 'pepita-mirror', 'backprop', 'feedback-alignment'];

/**
 * What `rule[0..3]` (the RULE_A..RULE_D slots) mean for each algorithm, with
 * the defaults used when `rule` is not given. Ranges are the learner's
 * (assembly/learner/rules.ts: RULE_RANGES).
 */
export const RULE_PARAMETERS: Record<Algorithm, { names: string[]; defaults: [number, number, number, number] }> = {
  ff: { names: [], defaults: [0, 0, 0, 0] },
  /** traceDecay in [0, 1): eligibility trace e <- decay e + dW (0 = none). */
  'hebbian-ff': { names: ['traceDecay'], defaults: [0, 0, 0, 0] },
  /** timesteps 1..1024, membraneDecay in [0, 1), firingThreshold > 0, traceDecay in [0, 1). */
  'spiking-ff': { names: ['timesteps', 'membraneDecay', 'firingThreshold', 'traceDecay'], defaults: [8, 0.8, 0.5, 0] },
  /** feedbackScale > 0: F = scale * U(-sqrt(6/inputs), sqrt(6/inputs)). */
  pepita: { names: ['feedbackScale'], defaults: [0.05, 0, 0, 0] },
  /** feedbackScale > 0, mirrorRate >= 0, mirrorNoise (std) > 0. */
  'pepita-mirror': { names: ['feedbackScale', 'mirrorRate', 'mirrorNoise'], defaults: [0.05, 0.01, 0.1, 0] },
  /** noiseCopies 2..64, noiseStd > 0, acrossWeight >= 0. */
  ed: { names: ['noiseCopies', 'noiseStd', 'acrossWeight'], defaults: [4, 0.2, 1, 0] },
  backprop: { names: [], defaults: [0, 0, 0, 0] },
  'backprop-ff': { names: [], defaults: [0, 0, 0, 0] },
  'feedback-alignment': { names: [], defaults: [0, 0, 0, 0] },
};

/** Whether the algorithm trains a softmax head by default (ED needs one; spiking and the output family have none). */
export function headByDefault(algorithm: Algorithm): boolean {
  return algorithm !== 'spiking-ff' && !OUTPUT_LAYER_ALGORITHMS.includes(algorithm);
}
export type GoodnessFunction = (typeof GOODNESS_FUNCTIONS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type NegativesMode = (typeof NEGATIVES)[number];
export type OverlayMode = (typeof OVERLAYS)[number];

export const FLAG_SKIP_FIRST_LAYER = 1;
export const FLAG_SOFTMAX_HEAD = 2;
export const FLAG_SYMMETRIC_LOSS = 4;
export const FLAG_SEEN_LABELS = 8;
export const LOSSES = ['threshold', 'symba'] as const;
export type LossName = (typeof LOSSES)[number];

/** A model and its training rule. Ranges are checked by the learner. */
export interface LearnerConfig {
  /** Raw input values per sample (before any label overlay). */
  inputSize: number;
  /** Hidden layer widths, 1..8 layers. */
  layers: number[];
  /** Number of classes C (2..64). */
  classes: number;
  algorithm?: Algorithm;
  /** "sum-squares" (Hinton 2022) or "mean-squares" (threshold independent of width). */
  goodness?: GoodnessFunction;
  optimizer?: OptimizerName;
  /** "random" wrong label, "hard" wrong label from the model, or "hybrid" images (unsupervised). */
  negatives?: NegativesMode;
  /** "replace": label one-hot replaces the first C inputs; "prepend": it goes in front. */
  overlay?: OverlayMode;
  /** Goodness prediction and the head ignore layer 1 (Hinton 2022). */
  skipFirstLayer?: boolean;
  /**
   * Train a softmax head on a neutral-label pass (ED: on the energy). Default:
   * true but for "spiking-ff" and the output family, which have none.
   */
  softmaxHead?: boolean;
  /**
   * Class-incremental streams: FF-family negative labels and goodness
   * prediction range over the labels trained so far, not all `classes`
   * (assembly/learner/seen-labels.ts). Needs a rule that reads the label
   * overlay and label negatives (not "hybrid"). Default false.
   */
  seenLabelsOnly?: boolean;
  /**
   * "threshold": softplus(-+(G - theta)/T) per row (Hinton 2022); "symba":
   * softplus(-(G_pos - G_neg)/T) per pos/neg pair (Lee & Song 2023), no theta.
   */
  loss?: LossName;
  /** Samples per train call (1..1024). */
  batch?: number;
  imageWidth?: number;
  imageHeight?: number;
  seed?: number;
  /** theta in p = sigmoid((G - theta) / T). */
  threshold?: number;
  /** T > 0. */
  temperature?: number;
  learningRate?: number;
  /** Adam beta1 or SGD momentum, in [0, 1). */
  beta1?: number;
  beta2?: number;
  weightDecay?: number;
  /** Peer normalisation strength (0 = off). */
  peerWeight?: number;
  peerMomentum?: number;
  /** Value of the "on" entry of the label one-hot. */
  overlayValue?: number;
  headLearningRate?: number;
  /** Per-algorithm parameters (RULE_PARAMETERS); default: that algorithm's defaults. */
  rule?: [number, number, number, number];
  /** Learning rates fall linearly over this many steps (0 = constant)... */
  decaySteps?: number;
  /** ...to this fraction of themselves, in [0, 1]. */
  finalRate?: number;
  /**
   * Test-then-train: predict each labelled sample before training on it
   * ("goodness" or "head" prediction mode); the label comes back with the
   * step (Learner.lastPredictions, GOODNESS.prediction). Default "off".
   */
  prequential?: (typeof PREQUENTIAL_MODES)[number];
  /** Replay buffer; default off. */
  replay?: ReplayConfig;
  /** Drift detection; default off. */
  drift?: DriftConfig;
}

export type ResolvedConfig = Required<LearnerConfig>;

export const DEFAULTS: Omit<ResolvedConfig, 'inputSize' | 'layers' | 'classes'> = {
  algorithm: 'ff',
  goodness: 'mean-squares',
  optimizer: 'adam',
  negatives: 'random',
  overlay: 'replace',
  skipFirstLayer: false,
  softmaxHead: true,
  seenLabelsOnly: false,
  loss: 'threshold',
  batch: 1,
  imageWidth: 0,
  imageHeight: 0,
  seed: 1,
  threshold: 2,
  temperature: 1,
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  weightDecay: 0,
  peerWeight: 0,
  peerMomentum: 0.9,
  overlayValue: 1,
  headLearningRate: 0.001,
  rule: [0, 0, 0, 0],
  decaySteps: 0,
  finalRate: 1,
  prequential: 'off',
  replay: { mode: 'off', capacity: 0, storage: 'raw', latentLayer: 0, ratio: 0 },
  drift: DRIFT_DEFAULTS,
};

/** Whether the config needs the continual block (any mechanism on). */
export function usesContinual(c: ResolvedConfig): boolean {
  return c.prequential !== 'off' || c.replay.mode !== 'off' || c.drift.detector !== 'off';
}

function enumIndex<T extends string>(name: string, value: T, allowed: readonly T[]): number {
  const i = allowed.indexOf(value);
  if (i < 0) throw new TypeError(`config.${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${JSON.stringify(value)}`);
  return i;
}

function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`config.${name} must be a number; got ${typeof v}`);
  return v;
}

function checkInteger(name: string, v: unknown): number {
  const n = checkNumber(name, v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`config.${name} must be a non-negative integer; got ${n}`);
  return n;
}

/** Fills defaults and checks types (not ranges: the learner does that). */
export function resolveConfig(config: LearnerConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object') throw new TypeError('config must be an object');
  const c = { ...DEFAULTS, ...config } as ResolvedConfig;
  const rules = RULE_PARAMETERS[c.algorithm];
  if (!rules) enumIndex('algorithm', c.algorithm, ALGORITHMS);
  if (config.rule === undefined) c.rule = [...rules.defaults];
  if (config.softmaxHead === undefined) c.softmaxHead = headByDefault(c.algorithm);
  if (!Array.isArray(c.layers)) throw new TypeError('config.layers must be an array of layer widths');
  if (c.layers.length > MAX_LAYERS) throw new RangeError(`config.layers has ${c.layers.length} layers; at most ${MAX_LAYERS}`);
  if (!Array.isArray(c.rule) || c.rule.length !== 4) throw new TypeError('config.rule must be an array of 4 numbers');
  if (typeof c.replay !== 'object' || c.replay === null) throw new TypeError('config.replay must be an object { mode, capacity, ratio }');
  if (typeof c.drift !== 'object' || c.drift === null) throw new TypeError('config.drift must be an object { detector, ... }');
  c.replay = { ...DEFAULTS.replay, ...c.replay };
  c.drift = { ...DRIFT_DEFAULTS, ...c.drift };
  return c;
}

/** Encodes a config as the learner's blob (also the CONFIGURE payload). */
export function encodeConfig(config: LearnerConfig): Uint8Array {
  const c = resolveConfig(config);
  const count = Slot.SIZES + c.layers.length + 1;
  const bytes = new Uint8Array(count * 4);
  const view = new DataView(bytes.buffer);
  const u32 = (slot: number, v: number) => view.setUint32(slot * 4, v, true);
  const f32 = (slot: number, name: string, v: unknown) => view.setFloat32(slot * 4, checkNumber(name, v), true);
  u32(Slot.VERSION, CONFIG_VERSION);
  u32(Slot.ALGORITHM, enumIndex('algorithm', c.algorithm, ALGORITHMS));
  u32(Slot.GOODNESS, enumIndex('goodness', c.goodness, GOODNESS_FUNCTIONS));
  u32(Slot.OPTIMIZER, enumIndex('optimizer', c.optimizer, OPTIMIZERS));
  u32(Slot.NEGATIVES, enumIndex('negatives', c.negatives, NEGATIVES));
  u32(Slot.OVERLAY, enumIndex('overlay', c.overlay, OVERLAYS));
  u32(
    Slot.FLAGS,
    (c.skipFirstLayer ? FLAG_SKIP_FIRST_LAYER : 0) |
      (c.softmaxHead ? FLAG_SOFTMAX_HEAD : 0) |
      (enumIndex('loss', c.loss, LOSSES) === 1 ? FLAG_SYMMETRIC_LOSS : 0) |
      (c.seenLabelsOnly ? FLAG_SEEN_LABELS : 0),
  );
  u32(Slot.CLASSES, checkInteger('classes', c.classes));
  u32(Slot.BATCH, checkInteger('batch', c.batch));
  u32(Slot.IMAGE_WIDTH, checkInteger('imageWidth', c.imageWidth));
  u32(Slot.IMAGE_HEIGHT, checkInteger('imageHeight', c.imageHeight));
  u32(Slot.SEED, checkInteger('seed', c.seed));
  f32(Slot.THRESHOLD, 'threshold', c.threshold);
  f32(Slot.TEMPERATURE, 'temperature', c.temperature);
  f32(Slot.LEARNING_RATE, 'learningRate', c.learningRate);
  f32(Slot.BETA1, 'beta1', c.beta1);
  f32(Slot.BETA2, 'beta2', c.beta2);
  f32(Slot.WEIGHT_DECAY, 'weightDecay', c.weightDecay);
  f32(Slot.PEER_WEIGHT, 'peerWeight', c.peerWeight);
  f32(Slot.PEER_MOMENTUM, 'peerMomentum', c.peerMomentum);
  f32(Slot.OVERLAY_VALUE, 'overlayValue', c.overlayValue);
  f32(Slot.HEAD_LEARNING_RATE, 'headLearningRate', c.headLearningRate);
  c.rule.forEach((v, i) => f32(Slot.RULE_A + i, `rule[${i}]`, v));
  u32(Slot.DECAY_STEPS, checkInteger('decaySteps', c.decaySteps));
  f32(Slot.FINAL_RATE, 'finalRate', c.finalRate);
  u32(Slot.LAYER_COUNT, c.layers.length);
  u32(Slot.SIZES, checkInteger('inputSize', c.inputSize));
  c.layers.forEach((w, i) => u32(Slot.SIZES + 1 + i, checkInteger(`layers[${i}]`, w)));
  if (!usesContinual(c)) return bytes;
  const full = new Uint8Array(bytes.length + CONTINUAL_SLOTS * 4);
  full.set(bytes);
  encodeContinual(c, new DataView(full.buffer, bytes.length));
  return full;
}

function encodeContinual(c: ResolvedConfig, view: DataView): void {
  const S = ContinualSlot;
  const u32 = (slot: number, v: number) => view.setUint32(slot * 4, v, true);
  const f32 = (slot: number, v: unknown) => view.setFloat32(slot * 4, checkNumber(CONTINUAL_FIELDS[slot], v), true);
  const { replay, drift } = c;
  u32(S.PREQUENTIAL, enumIndex('prequential', c.prequential, PREQUENTIAL_MODES));
  u32(S.REPLAY_MODE, enumIndex('replay.mode', replay.mode, REPLAY_MODES));
  u32(S.REPLAY_CAPACITY, checkInteger('replay.capacity', replay.capacity));
  u32(S.REPLAY_STORAGE, enumIndex('replay.storage', replay.storage ?? 'raw', REPLAY_STORAGES));
  u32(S.REPLAY_LATENT_LAYER, checkInteger('replay.latentLayer', replay.latentLayer ?? 0));
  f32(S.REPLAY_RATIO, replay.ratio);
  u32(S.DRIFT_DETECTOR, enumIndex('drift.detector', drift.detector, DRIFT_DETECTORS));
  u32(S.DRIFT_SIGNAL, enumIndex('drift.signal', drift.signal ?? 'error', DRIFT_SIGNALS));
  f32(S.DRIFT_DELTA, drift.delta);
  f32(S.DRIFT_THRESHOLD, drift.threshold);
  u32(S.DRIFT_MIN_SAMPLES, checkInteger('drift.minSamples', drift.minSamples));
  u32(S.DRIFT_REACTION, enumIndex('drift.reaction', drift.reaction ?? 'none', DRIFT_REACTIONS));
}

/** Every key a LearnerConfig may have: the shape fields and the keys of DEFAULTS. */
export const CONFIG_KEYS: readonly string[] = ['inputSize', 'layers', 'classes', ...Object.keys(DEFAULTS)];

/** camelCase initials: learningRate -> "lr", headLearningRate -> "hlr". */
function initials(name: string): string {
  return (name[0] + name.slice(1).replace(/[^A-Z]/g, '')).toLowerCase();
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** The valid key a misspelt one most likely meant, or undefined when none is close. */
export function closestConfigKey(key: string, keys: readonly string[] = CONFIG_KEYS): string | undefined {
  const plain = (k: string) => k.toLowerCase().replace(/[_\-\s]/g, '');
  const exact = keys.find((k) => plain(k) === plain(key) || initials(k) === key.toLowerCase());
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of keys) {
    const d = editDistance(plain(key), plain(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Rejects keys that are not config fields (a typo would otherwise be ignored), naming the closest valid one. */
export function checkConfigKeys(config: object, keys: readonly string[] = CONFIG_KEYS): void {
  for (const key of Object.keys(config)) {
    if (keys.includes(key)) continue;
    const near = closestConfigKey(key, keys);
    throw new TypeError(`unknown config key ${JSON.stringify(key)}${near ? `: did you mean ${JSON.stringify(near)}?` : ''} (valid keys: ${keys.join(', ')})`);
  }
}
