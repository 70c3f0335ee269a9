// configure(): checks the config blob at the edge (every slot, before any
// state changes), lays out the arena and initialises the parameters. After
// this the training step runs unchecked.

import {
  Slot, CONFIG_VERSION, MAX_LAYERS, MAX_WIDTH, MAX_CLASSES, MAX_BATCH, configArea, configBytes,
  slotU32, slotF32, ALGORITHM_COUNT, GOODNESS_COUNT, OPTIMIZER_COUNT, NEGATIVES_COUNT, OVERLAY_COUNT,
  Flag, Negatives, Overlay, Optimizer, Algorithm,
} from "./config";
import {
  OK, fail, ERR_CONFIG_VERSION, ERR_CONFIG_LENGTH, ERR_LAYER_COUNT, ERR_DIMENSION, ERR_HYPERPARAMETER,
  ERR_UNKNOWN_OPTION, ERR_ARENA_TOO_SMALL, ERR_OPTION_COMBINATION,
} from "./errors";
import {
  layout, layerIn, layerOut, layerW, layerB, layerPeer, layerAux, params, stateOffset, arenaBase, headW, headB, feedback, traceOffset,
  continual,
} from "./arena";
import { seedRandom, nextUnit } from "./prng";
import { resetOptimizer } from "./optimizer";
import {
  setConfigured, setShape, setRates, setSteps, setHasPrevious, setSchedule, setRule, setFeedbackNorm, layerCount, classes, headInputs,
  algorithm, traceDecay, ruleA,
} from "./state";
import { ruleCheck, ruleRows, readsOverlay } from "./rule-checks";
import { seenSetup } from "./seen-labels";
import { continualCheck, continualBytes, continualSetup, continualConfigBytes } from "./continual";

/**
 * Linear-memory bytes the learner may use (addresses below this), as a
 * firmware target reports it; 0 = as much as memory.grow gives.
 */
let memoryLimit: usize = 0;
let arenaBytesUsed: usize = 0;
let configLength: i32 = 0;

/** Bytes of the config blob last applied (snapshot.ts fingerprints it). */
export function configuredLength(): i32 { return configLength; }

export function setMemoryLimit(bytes: usize): void { memoryLimit = bytes; }
export function arenaBytes(): usize { return arenaBytesUsed; }

function finite(x: f32): bool { return x - x == 0; }

function checkRate(slot: i32, lo: f32, hiExclusive: f32): bool {
  const v = slotF32(slot);
  return finite(v) && v >= lo && v < hiExclusive;
}

/**
 * Validates the blob of `length` bytes in the config area and applies it.
 * A refused config leaves the learner unconfigured: the layout may already
 * have been rewritten, so the previous model is gone either way.
 */
export function configure(length: i32): i32 {
  setConfigured(false);
  configLength = 0;
  if (length < configBytes(0)) return fail(ERR_CONFIG_LENGTH, configBytes(0));
  const version = slotU32(Slot.VERSION);
  if (version != CONFIG_VERSION) return fail(ERR_CONFIG_VERSION, <i32>version);
  const layers = <i32>slotU32(Slot.LAYER_COUNT);
  if (layers < 1 || layers > MAX_LAYERS) return fail(ERR_LAYER_COUNT, layers);
  // The continual block is optional (config.ts): both lengths are whole configs.
  if (length != configBytes(layers) && length != continualConfigBytes(layers)) return fail(ERR_CONFIG_LENGTH, configBytes(layers));

  // Enumerated options.
  const algorithm = slotU32(Slot.ALGORITHM);
  if (algorithm >= ALGORITHM_COUNT) return fail(ERR_UNKNOWN_OPTION, Slot.ALGORITHM);
  const goodness = slotU32(Slot.GOODNESS);
  if (goodness >= GOODNESS_COUNT) return fail(ERR_UNKNOWN_OPTION, Slot.GOODNESS);
  const optimizer = slotU32(Slot.OPTIMIZER);
  if (optimizer >= OPTIMIZER_COUNT) return fail(ERR_UNKNOWN_OPTION, Slot.OPTIMIZER);
  const negatives = slotU32(Slot.NEGATIVES);
  if (negatives >= NEGATIVES_COUNT) return fail(ERR_UNKNOWN_OPTION, Slot.NEGATIVES);
  const overlay = slotU32(Slot.OVERLAY);
  if (overlay >= OVERLAY_COUNT) return fail(ERR_UNKNOWN_OPTION, Slot.OVERLAY);
  const flags = slotU32(Slot.FLAGS);
  if ((flags & ~(Flag.SKIP_FIRST_LAYER | Flag.SOFTMAX_HEAD | Flag.SYMMETRIC_LOSS | Flag.SEEN_LABELS)) != 0) return fail(ERR_UNKNOWN_OPTION, Slot.FLAGS);

  // Shapes.
  const classCount = <i32>slotU32(Slot.CLASSES);
  if (classCount < 2 || classCount > MAX_CLASSES) return fail(ERR_HYPERPARAMETER, Slot.CLASSES);
  const batch = <i32>slotU32(Slot.BATCH);
  if (batch < 1 || batch > MAX_BATCH) return fail(ERR_HYPERPARAMETER, Slot.BATCH);
  const sizes = configArea + <usize>Slot.SIZES * sizeof<u32>();
  for (let i = 0; i <= layers; i++) {
    const n = load<i32>(sizes + <usize>i * sizeof<u32>());
    if (n < 1 || n > MAX_WIDTH) return fail(ERR_DIMENSION, i);
  }
  const inputSize = load<i32>(sizes);
  const labelled = readsOverlay(algorithm);
  const hybrid = negatives == Negatives.HYBRID_IMAGE;
  const width = <i32>slotU32(Slot.IMAGE_WIDTH);
  const height = <i32>slotU32(Slot.IMAGE_HEIGHT);
  if (hybrid) {
    // Unsupervised: no label overlay, masks need the image shape.
    if (width < 1 || height < 1 || width * height != inputSize) return fail(ERR_OPTION_COMBINATION, Slot.IMAGE_WIDTH);
    if ((flags & Flag.SOFTMAX_HEAD) == 0) return fail(ERR_OPTION_COMBINATION, Slot.FLAGS);
  } else if (labelled && overlay == Overlay.REPLACE && inputSize <= classCount) {
    return fail(ERR_OPTION_COMBINATION, Slot.OVERLAY);
  }
  // Seen labels mask label negatives and goodness prediction: the rule must read the overlay.
  if ((flags & Flag.SEEN_LABELS) != 0 && (!labelled || hybrid)) return fail(ERR_OPTION_COMBINATION, Slot.FLAGS);
  const firstInputs = labelled && !hybrid && overlay == Overlay.PREPEND ? inputSize + classCount : inputSize;
  const first = (flags & Flag.SKIP_FIRST_LAYER) != 0 && layers > 1 ? 1 : 0;
  let head = 0;
  if ((flags & Flag.SOFTMAX_HEAD) != 0) {
    for (let l = first; l < layers; l++) head += load<i32>(sizes + <usize>(l + 1) * sizeof<u32>());
  }

  // Hyper-parameters: finite and in range.
  if (!checkRate(Slot.THRESHOLD, 0, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.THRESHOLD);
  if (!checkRate(Slot.TEMPERATURE, 1e-6, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.TEMPERATURE);
  if (!checkRate(Slot.LEARNING_RATE, 1e-12, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.LEARNING_RATE);
  if (!checkRate(Slot.BETA1, 0, 1)) return fail(ERR_HYPERPARAMETER, Slot.BETA1);
  if (!checkRate(Slot.BETA2, 0, 1)) return fail(ERR_HYPERPARAMETER, Slot.BETA2);
  if (!checkRate(Slot.WEIGHT_DECAY, 0, 1)) return fail(ERR_HYPERPARAMETER, Slot.WEIGHT_DECAY);
  if (!checkRate(Slot.PEER_WEIGHT, 0, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.PEER_WEIGHT);
  if (!checkRate(Slot.PEER_MOMENTUM, 0, 1)) return fail(ERR_HYPERPARAMETER, Slot.PEER_MOMENTUM);
  if (!checkRate(Slot.OVERLAY_VALUE, 1e-6, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.OVERLAY_VALUE);
  if (head > 0 && !checkRate(Slot.HEAD_LEARNING_RATE, 1e-12, Infinity)) return fail(ERR_HYPERPARAMETER, Slot.HEAD_LEARNING_RATE);
  if (!checkRate(Slot.FINAL_RATE, 0, 1.0000001)) return fail(ERR_HYPERPARAMETER, Slot.FINAL_RATE);
  for (let s = Slot.RULE_A; s <= Slot.RULE_D; s++) {
    if (!finite(slotF32(s))) return fail(ERR_HYPERPARAMETER, s);
  }
  const lastWidth = load<i32>(sizes + <usize>layers * sizeof<u32>());
  const ruleStatus = ruleCheck(algorithm, layers, lastWidth, classCount, negatives, flags);
  if (ruleStatus != OK) return ruleStatus;
  const copies = algorithm == Algorithm.DIMENSION ? <i32>slotF32(Slot.RULE_A) : 0;
  const rows = ruleRows(algorithm, batch, classCount, copies);
  const traceDecay = algorithm == Algorithm.HEBBIAN_FF ? slotF32(Slot.RULE_A)
    : algorithm == Algorithm.SPIKING_FF ? slotF32(Slot.RULE_D) : 0;
  const gramFloats = copies > 0 ? max<i32>(batch, copies) * max<i32>(batch, copies) : 0;
  const continualStatus = continualCheck(length, layers, algorithm, negatives, head);
  if (continualStatus != OK) return continualStatus;
  const extra = continualBytes(batch, inputSize, layers, classCount);

  // Size check in 64 bits before laying out (a 65535^2 layer overflows 32).
  const stateCopies = optimizer == Optimizer.ADAM ? 2 : 1;
  let floats: u64 = 0, layerParams: u64 = 0, widths: u64 = 0;
  let prev: u64 = <u64>firstInputs;
  let widest: u64 = <u64>max<i32>(firstInputs, max<i32>(classCount, head));
  for (let l = 0; l < layers; l++) {
    const n = <u64>load<i32>(sizes + <usize>(l + 1) * sizeof<u32>());
    floats += (prev + 1) * n * <u64>(1 + stateCopies) + <u64>rows * (prev + n) + n;
    layerParams += (prev + 1) * n;
    widths += n;
    widest = max<u64>(widest, n);
    prev = n;
  }
  floats += <u64>(head + 1) * <u64>classCount * <u64>(1 + stateCopies) + <u64>batch * <u64>(head + classCount + 2 * inputSize);
  // Rule regions (arena.ts), at most: feedback B_l or traces, F, delta, spiking's buffers, the Gram matrix.
  const spiking = algorithm == Algorithm.SPIKING_FF;
  if (algorithm == Algorithm.FEEDBACK_ALIGNMENT || traceDecay > 0) floats += layerParams;
  if (algorithm == Algorithm.PEPITA) floats += <u64>classCount * <u64>firstInputs;
  if (algorithm == Algorithm.PEPITA_MIRROR) floats += <u64>classCount * <u64>firstInputs * <u64>(1 + stateCopies); // with the parameters
  if (algorithm != Algorithm.FF && algorithm != Algorithm.HEBBIAN_FF) floats += <u64>rows * widest;
  if (spiking) floats += <u64>rows * (widths + 2 * <u64>firstInputs);
  floats += <u64>gramFloats;
  const base = __heap_base;
  // An upper bound, only to keep the 32-bit layout arithmetic from wrapping;
  // whether the model fits is decided on the exact layout below.
  const estimate = <u64>base + floats * sizeof<f32>() + <u64>extra + 4096;
  if (estimate > 0xffff0000) return fail(ERR_ARENA_TOO_SMALL, estimate > 0x7fffffff ? 0x7fffffff : <i32>estimate);

  // Lay out and make sure the memory is there.
  const end = layout(base, sizes, layers, batch, classCount, firstInputs, head, stateCopies, hybrid,
    rows, algorithm, traceDecay > 0, gramFloats, extra);
  const needed = end - arenaBase;
  if (memoryLimit > 0 && end > memoryLimit) return fail(ERR_ARENA_TOO_SMALL, <i32>end);
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) return fail(ERR_ARENA_TOO_SMALL, <i32>end);
  }
  arenaBytesUsed = needed;

  seenSetup((flags & Flag.SEEN_LABELS) != 0);
  setShape(algorithm, goodness, negatives, overlay, flags, classCount, batch, width, height, layers, inputSize, first, head);
  setRates(
    slotF32(Slot.THRESHOLD), slotF32(Slot.TEMPERATURE), slotF32(Slot.LEARNING_RATE),
    slotF32(Slot.PEER_WEIGHT), slotF32(Slot.PEER_MOMENTUM), slotF32(Slot.OVERLAY_VALUE),
    slotF32(Slot.HEAD_LEARNING_RATE),
  );
  setSchedule(slotU32(Slot.DECAY_STEPS), slotF32(Slot.FINAL_RATE));
  setRule(slotF32(Slot.RULE_A), slotF32(Slot.RULE_B), slotF32(Slot.RULE_C), slotF32(Slot.RULE_D), traceDecay);
  resetOptimizer(optimizer, slotF32(Slot.BETA1), slotF32(Slot.BETA2), slotF32(Slot.WEIGHT_DECAY));
  initialise(slotU32(Slot.SEED), stateCopies);
  continualSetup(continual, classCount);
  configLength = length;
  setConfigured(true);
  return OK;
}

/**
 * Parameters ~ U(-1/sqrt(in), 1/sqrt(in)) drawn in layer order, W row-major
 * then b; head likewise; optimizer state and running means zeroed.
 */
function initialise(seed: u32, stateCopies: i32): void {
  seedRandom(seed);
  for (let l = 0; l < layerCount; l++) {
    fillUniform(layerW(l), layerIn(l) * layerOut(l), layerIn(l));
    fillUniform(layerB(l), layerOut(l), layerIn(l));
    memory.fill(layerPeer(l), 0, <usize>layerOut(l) * sizeof<f32>());
  }
  if (headInputs > 0) {
    fillUniform(headW, classes * headInputs, headInputs);
    fillUniform(headB, classes, headInputs);
  }
  memory.fill(params + stateOffset, 0, stateOffset * <usize>stateCopies);
  // Rule regions, drawn after the parameters so those match FF's for a seed.
  if (algorithm == Algorithm.FEEDBACK_ALIGNMENT) {
    for (let l = 1; l < layerCount; l++) fillUniform(layerAux(l), layerIn(l) * layerOut(l), layerIn(l));
  }
  if (algorithm == Algorithm.PEPITA || algorithm == Algorithm.PEPITA_MIRROR) initialiseFeedback();
  if (traceDecay > 0) memory.fill(params + traceOffset, 0, headW - params);
  setSteps(0);
  setHasPrevious(false);
}

/** PEPITA's F = scale * U(-sqrt(6/in_0), sqrt(6/in_0)) (Dellaferrera & Kreiman 2022); remembers |F|_F. */
function initialiseFeedback(): void {
  const n = classes * layerIn(0);
  const a: f32 = ruleA * sqrt<f32>(6 / <f32>layerIn(0));
  let squares: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v: f32 = (<f32>2 * nextUnit() - 1) * a;
    store<f32>(feedback + <usize>i * sizeof<f32>(), v);
    squares += v * v;
  }
  setFeedbackNorm(sqrt<f32>(squares));
}

function fillUniform(p: usize, n: i32, fanIn: i32): void {
  const a: f32 = 1 / sqrt<f32>(<f32>fanIn);
  for (let i = 0; i < n; i++) {
    store<f32>(p + <usize>i * sizeof<f32>(), (2 * nextUnit() - 1) * a);
  }
}
