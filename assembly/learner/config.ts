// The learner's config: a blob of 4-byte little-endian slots (u32 or f32),
// written by the host into the config area (core.ts: config_ptr) or carried
// opaquely by the wire protocol's CONFIGURE message. One slot table, mirrored
// in host/learner/config.ts; host/learner/config.test.ts holds the two together.
//
//   slot  name                 type  meaning
//   0     VERSION              u32   CONFIG_VERSION
//   1     ALGORITHM            u32   Algorithm.*
//   2     GOODNESS             u32   Goodness.*
//   3     OPTIMIZER            u32   Optimizer.*
//   4     NEGATIVES            u32   Negatives.*
//   5     OVERLAY              u32   Overlay.* (how the label enters the input)
//   6     FLAGS                u32   Flag.* bits
//   7     CLASSES              u32   C, 2..MAX_CLASSES
//   8     BATCH                u32   rows per train call, 1..MAX_BATCH
//   9/10  IMAGE_WIDTH/HEIGHT   u32   for hybrid-image negatives (W*H = input size)
//   11    SEED                 u32   PRNG seed
//   12    THRESHOLD            f32   theta in p = sigmoid((G - theta) / T)
//   13    TEMPERATURE          f32   T > 0
//   14    LEARNING_RATE        f32   eta > 0
//   15    BETA1                f32   Adam beta1, or SGD momentum, in [0, 1)
//   16    BETA2                f32   Adam beta2 in [0, 1)
//   17    WEIGHT_DECAY         f32   >= 0 (decoupled, as AdamW)
//   18    PEER_WEIGHT          f32   peer-normalisation strength >= 0 (0 = off)
//   19    PEER_MOMENTUM        f32   running-mean momentum in [0, 1)
//   20    OVERLAY_VALUE        f32   value of the "on" label entry (> 0)
//   21    HEAD_LEARNING_RATE   f32   softmax head's eta > 0
//   22-25 RULE_A..RULE_D       f32   per-algorithm parameters (table below; unused by FF)
//   26    DECAY_STEPS          u32   learning rates fall linearly over this many
//                                    steps (0 = constant) ...
//   27    FINAL_RATE           f32   ... to this fraction of themselves, in [0, 1]
//   28    LAYER_COUNT          u32   L, 1..MAX_LAYERS
//   29..  SIZES                u32   input size, then L layer widths
//
// Optional continual-learning block (continual.ts), CONTINUAL_SLOTS more slots
// right after the sizes, at E = SIZES + L + 1. A blob without it (the v1
// length, configBytes(L)) means every mechanism off; that blob is unchanged.
//
//   E+0   PREQUENTIAL          u32   0 off, 1 goodness, 2 head: predict each sample before training
//   E+1   REPLAY_MODE          u32   0 off, 1 reservoir, 2 class-balanced
//   E+2   REPLAY_CAPACITY      u32   samples in the buffer, 1..65535
//   E+3   REPLAY_STORAGE       u32   0 raw int8 (per-sample scale), 1 latent (refused: not built),
//                                    2 raw int4 (per-sample range; twice the samples per byte)
//   E+4   REPLAY_LATENT_LAYER  u32   k for latent storage
//   E+5   REPLAY_RATIO         f32   replayed samples trained per streamed one, fractional, [0, 64]
//   E+6   DRIFT_DETECTOR       u32   0 off, 1 Page-Hinkley
//   E+7   DRIFT_SIGNAL         u32   0 prequential error (needs PREQUENTIAL), 1 positive goodness
//   E+8   DRIFT_DELTA          f32   >= 0
//   E+9   DRIFT_THRESHOLD      f32   > 0
//   E+10  DRIFT_MIN_SAMPLES    u32   samples before an alarm may be raised
//   E+11  DRIFT_REACTION       u32   0 none, 1 restart the learning-rate schedule

// @ts-ignore: decorator
@inline export const CONFIG_VERSION: u32 = 1;
// @ts-ignore: decorator
@inline export const MAX_LAYERS: i32 = 8;
// @ts-ignore: decorator
@inline export const MAX_WIDTH: i32 = 65535;
// @ts-ignore: decorator
@inline export const MAX_CLASSES: i32 = 64;
// @ts-ignore: decorator
@inline export const MAX_BATCH: i32 = 1024;

export const enum Slot {
  VERSION = 0,
  ALGORITHM = 1,
  GOODNESS = 2,
  OPTIMIZER = 3,
  NEGATIVES = 4,
  OVERLAY = 5,
  FLAGS = 6,
  CLASSES = 7,
  BATCH = 8,
  IMAGE_WIDTH = 9,
  IMAGE_HEIGHT = 10,
  SEED = 11,
  THRESHOLD = 12,
  TEMPERATURE = 13,
  LEARNING_RATE = 14,
  BETA1 = 15,
  BETA2 = 16,
  WEIGHT_DECAY = 17,
  PEER_WEIGHT = 18,
  PEER_MOMENTUM = 19,
  OVERLAY_VALUE = 20,
  HEAD_LEARNING_RATE = 21,
  RULE_A = 22,
  RULE_B = 23,
  RULE_C = 24,
  RULE_D = 25,
  DECAY_STEPS = 26,
  FINAL_RATE = 27,
  LAYER_COUNT = 28,
  SIZES = 29,
}

export const enum ContinualSlot {
  PREQUENTIAL = 0,
  REPLAY_MODE = 1,
  REPLAY_CAPACITY = 2,
  REPLAY_STORAGE = 3,
  REPLAY_LATENT_LAYER = 4,
  REPLAY_RATIO = 5,
  DRIFT_DETECTOR = 6,
  DRIFT_SIGNAL = 7,
  DRIFT_DELTA = 8,
  DRIFT_THRESHOLD = 9,
  DRIFT_MIN_SAMPLES = 10,
  DRIFT_REACTION = 11,
}
// @ts-ignore: decorator
@inline export const CONTINUAL_SLOTS: i32 = 12;

// @ts-ignore: decorator
@inline export const CONFIG_SLOTS: i32 = Slot.SIZES + MAX_LAYERS + 1 + CONTINUAL_SLOTS;
// @ts-ignore: decorator
@inline export const CONFIG_MAX_BYTES: i32 = CONFIG_SLOTS * sizeof<u32>();

// What RULE_A..RULE_D mean for each algorithm (configure.ts: ruleCheck
// refuses values out of range; "-" = unused, any finite value):
//
//   algorithm           RULE_A                  RULE_B               RULE_C               RULE_D
//   HEBBIAN_FF          trace decay in [0, 1)   -                    -                    -
//   SPIKING_FF          timesteps T 1..1024     membrane decay [0,1) firing threshold >0  trace decay [0, 1)
//   PEPITA              feedback scale > 0      -                    -                    -
//   PEPITA_MIRROR       feedback scale > 0      mirror rate >= 0     mirror noise std >0  -
//   DIMENSION           noise copies K 2..64    noise std > 0        across weight >= 0   -
//
// Layers: the FF family (FF, HEBBIAN_FF, SPIKING_FF, BACKPROP_FF, DIMENSION)
// has only hidden layers and predicts by goodness, energy or the softmax
// head. The output family (PEPITA, PEPITA_MIRROR, BACKPROP,
// FEEDBACK_ALIGNMENT) reads no label overlay and its LAST layer is a linear
// output layer of C units (its width must equal CLASSES): layers [h1, h2, C]
// are two ReLU hidden layers and the output.
export const enum Algorithm {
  FF = 0, // Hinton 2022 (ff.ts)
  HEBBIAN_FF = 1, // neo-Hebbian FF, papers/001 (hebbian.ts)
  SPIKING_FF = 2, // LIF neurons, Hebbian rule on spike counts, papers/001 (spiking.ts)
  PEPITA = 3, // two forward passes, fixed feedback F, papers/002 (pepita.ts)
  PEPITA_MIRROR = 4, // PEPITA whose F is learned by weight mirroring, papers/002
  DIMENSION = 5, // effective-dimensionality goodness, no negatives, papers/003 (dimension.ts)
  BACKPROP = 6, // backprop on softmax cross-entropy, papers/000, 004 (backprop.ts)
  BACKPROP_FF = 7, // backprop through the FF net on the summed FF losses, papers/000
  FEEDBACK_ALIGNMENT = 8, // backprop with fixed random feedback (Lillicrap 2016), papers/004
}
// @ts-ignore: decorator
@inline export const ALGORITHM_COUNT: u32 = 9;

export const enum Goodness {
  SUM_SQUARES = 0, // G = sum_j y_j^2 (Hinton 2022)
  MEAN_SQUARES = 1, // G = mean_j y_j^2: threshold independent of width
}
// @ts-ignore: decorator
@inline export const GOODNESS_COUNT: u32 = 2;

export const enum Optimizer {
  SGD = 0, // with momentum BETA1
  ADAM = 1,
}
// @ts-ignore: decorator
@inline export const OPTIMIZER_COUNT: u32 = 2;

export const enum Negatives {
  RANDOM_LABEL = 0, // a uniformly drawn wrong label
  HARD_LABEL = 1, // a wrong label drawn from the model's own prediction
  HYBRID_IMAGE = 2, // unsupervised: two images mixed through a blurred mask
}
// @ts-ignore: decorator
@inline export const NEGATIVES_COUNT: u32 = 3;

export const enum Overlay {
  REPLACE = 0, // label one-hot replaces the first C inputs (Hinton 2022, MNIST)
  PREPEND = 1, // label one-hot is put before the inputs (sensor data keeps all inputs)
}
// @ts-ignore: decorator
@inline export const OVERLAY_COUNT: u32 = 2;

export const enum Flag {
  SKIP_FIRST_LAYER = 1, // goodness prediction ignores layer 1 (Hinton 2022)
  SOFTMAX_HEAD = 2, // train a softmax head on a neutral-label pass
  SYMMETRIC_LOSS = 4, // SymBa pair loss instead of the thresholded one (goodness.ts)
  SEEN_LABELS = 8, // negatives and goodness prediction over labels trained so far (seen-labels.ts)
}

/** The config area: written by the host, read by configure(). */
export const configArea: usize = memory.data(CONFIG_MAX_BYTES, 16);

// @ts-ignore: decorator
@inline export function slotU32(slot: i32): u32 {
  return load<u32>(configArea + <usize>slot * sizeof<u32>());
}

// @ts-ignore: decorator
@inline export function slotF32(slot: i32): f32 {
  return load<f32>(configArea + <usize>slot * sizeof<f32>());
}

/** Bytes a blob with `layers` layers must have. */
export function configBytes(layers: i32): i32 {
  return (Slot.SIZES + layers + 1) * sizeof<u32>();
}
