// What each learning rule accepts and needs, checked at configure time
// (configure.ts) after the generic checks: RULE_A..RULE_D ranges, options a
// rule does not use, the output layer's width, the rows of its buffers.
//
// Families (config.ts): the FF family reads the label overlay and predicts
// by goodness (or energy, or the softmax head); the output family ends in a
// linear layer of C units and predicts by its softmax.

import { Algorithm, Negatives, Flag, Slot, slotF32 } from "./config";
import { OK, fail, ERR_OPTION_COMBINATION, ERR_HYPERPARAMETER } from "./errors";

/** Whether `a` is of the output family: its last layer is a linear output of C units. */
export function outputRule(a: u32): bool {
  return a == Algorithm.PEPITA || a == Algorithm.PEPITA_MIRROR || a == Algorithm.BACKPROP || a == Algorithm.FEEDBACK_ALIGNMENT;
}

/** Whether the first layer reads the label overlay. */
export function readsOverlay(a: u32): bool {
  return a <= <u32>Algorithm.SPIKING_FF || a == Algorithm.BACKPROP_FF;
}

/** R, the rows of each layer's buffers (arena.ts). */
export function ruleRows(a: u32, batch: i32, classCount: i32, copies: i32): i32 {
  const rows = max<i32>(2 * batch, classCount);
  return a == Algorithm.DIMENSION ? max<i32>(rows, (batch + 2) * copies) : rows;
}

// Range of RULE_A..RULE_D per algorithm (config.ts), one nibble per slot,
// RULE_A lowest: 0 any finite value, 1 [0, 1), 2 > 0, 3 >= 0,
// 4 a whole number 1..1024, 5 a whole number 2..64.
const RULE_RANGES = memory.data<u16>([0, 0x0001, 0x1214, 0x0002, 0x0232, 0x0325, 0, 0, 0]);

function inRange(v: f32, code: u32): bool {
  if (code == 1) return v >= 0 && v < 1;
  if (code == 2) return v > 0;
  if (code == 3) return v >= 0;
  if (code >= 4) return v == floor<f32>(v) && v >= <f32>(code - 3) && v <= (code == 4 ? <f32>1024 : <f32>64);
  return true;
}

/**
 * The algorithm-specific checks, after the generic ones: RULE ranges, the
 * output layer's width, options a rule does not use left at their defaults.
 * Returns OK or a failed status with the slot as detail.
 */
export function ruleCheck(a: u32, layers: i32, lastWidth: i32, classCount: i32, negatives: u32, flagBits: u32): i32 {
  const ranges = <u32>load<u16>(RULE_RANGES + <usize>a * sizeof<u16>());
  for (let s = 0; s < 4; s++) {
    if (!inRange(slotF32(Slot.RULE_A + s), (ranges >>> (4 * s)) & 15)) return fail(ERR_HYPERPARAMETER, Slot.RULE_A + s);
  }
  const head = (flagBits & Flag.SOFTMAX_HEAD) != 0;
  if (a != Algorithm.FF && ((flagBits & Flag.SYMMETRIC_LOSS) != 0 || slotF32(Slot.PEER_WEIGHT) != 0)) {
    return fail(ERR_OPTION_COMBINATION, (flagBits & Flag.SYMMETRIC_LOSS) != 0 ? Slot.FLAGS : Slot.PEER_WEIGHT);
  }
  const negativesUsed = a == Algorithm.FF || a == Algorithm.HEBBIAN_FF || a == Algorithm.BACKPROP_FF;
  if (!negativesUsed && negatives != Negatives.RANDOM_LABEL) return fail(ERR_OPTION_COMBINATION, Slot.NEGATIVES);
  // The head: ED predicts through it; spiking and the output family have none.
  if (a == Algorithm.DIMENSION ? !head : head && (a == Algorithm.SPIKING_FF || outputRule(a))) {
    return fail(ERR_OPTION_COMBINATION, Slot.FLAGS);
  }
  if (outputRule(a) && lastWidth != classCount) return fail(ERR_OPTION_COMBINATION, Slot.SIZES + layers);
  return OK;
}
