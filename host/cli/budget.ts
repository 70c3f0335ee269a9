// `ffedge budget`: flash and RAM of a model on a firmware target, from the
// built firmware and the learner's own layout (host/budget.ts). Exits 1 when
// the model does not fit, with the numbers. The continual options (--replay N,
// --replay-mode, --replay-ratio, --prequential, --drift) put the on-device
// replay buffer and detector into the config, as `ffedge continual`'s
// strategies do, so a continual config can be checked against a board before
// building.

import { budget, formatBudget, BUDGET_TARGETS, type BudgetTarget } from '../budget.js';
import { PREQUENTIAL_MODES, REPLAY_MODES, type LearnerConfig } from '../learner/config.js';
import { DRIFT_DETECTION } from '../continual/strategies.js';
import { buildModel, type ModelFlags } from './model.js';
import { ExitCode, UsageError } from './errors.js';

export interface BudgetFlags extends ModelFlags {
  target: string;
  inputs?: string;
  classes?: string;
  ram?: string;
  stack?: string;
  json?: boolean;
  /** Replay buffer capacity, samples (turns replay on). */
  replay?: string;
  replayMode?: string;
  replayRatio?: string;
  prequential?: string;
  /** Page-Hinkley drift detection with `ffedge continual`'s setting (strategies.ts: DRIFT_DETECTION). */
  drift?: boolean;
}

/** The continual-learning fields the flags ask for (none: the config is left as it is). */
export function continualFields(flags: BudgetFlags): Partial<LearnerConfig> {
  const out: Partial<LearnerConfig> = {};
  const capacity = whole('--replay', flags.replay);
  if (capacity === undefined && (flags.replayMode !== undefined || flags.replayRatio !== undefined)) {
    throw new UsageError("--replay-mode and --replay-ratio need --replay N (the buffer's capacity in samples)");
  }
  if (capacity !== undefined) {
    const mode = flags.replayMode ?? 'reservoir';
    if (mode === 'off' || !(REPLAY_MODES as readonly string[]).includes(mode))
      throw new UsageError(`--replay-mode must be reservoir or class-balanced; got ${JSON.stringify(mode)}`);
    const ratio = flags.replayRatio === undefined ? 1 : Number(flags.replayRatio);
    if (!(ratio >= 0 && ratio <= 64)) throw new UsageError(`--replay-ratio must be a number from 0 to 64; got ${JSON.stringify(flags.replayRatio)}`);
    out.replay = { mode: mode as 'reservoir' | 'class-balanced', capacity, storage: 'raw', ratio };
  }
  if (flags.prequential !== undefined) {
    if (!(PREQUENTIAL_MODES as readonly string[]).includes(flags.prequential))
      throw new UsageError(`--prequential must be one of ${PREQUENTIAL_MODES.join(', ')}; got ${JSON.stringify(flags.prequential)}`);
    out.prequential = flags.prequential as LearnerConfig['prequential'] & string;
  }
  if (flags.drift) out.drift = { ...DRIFT_DETECTION };
  return out;
}

function whole(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

export async function budgetCommand(flags: BudgetFlags): Promise<number> {
  if (!(BUDGET_TARGETS as readonly string[]).includes(flags.target)) {
    throw new UsageError(`--target must be one of ${BUDGET_TARGETS.join(', ')}; got ${JSON.stringify(flags.target)}`);
  }
  const shape = { inputSize: whole('--inputs', flags.inputs) ?? 64, classes: whole('--classes', flags.classes) ?? 5 };
  const config = { ...(await buildModel(flags, shape, { layers: [32, 32] })), ...continualFields(flags) };
  const result = await budget({
    target: flags.target as BudgetTarget,
    config,
    ramBytes: whole('--ram', flags.ram),
    stackBytes: whole('--stack', flags.stack),
  });
  console.log(flags.json ? JSON.stringify(result, null, 2) : formatBudget(result));
  return result.fits ? ExitCode.OK : ExitCode.FAILURE;
}
