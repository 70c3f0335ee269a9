// `ffedge budget`: flash and RAM of a model on a firmware target, from the
// built firmware and the learner's own layout (host/budget.ts). Exits 1 when
// the model does not fit, with the numbers.

import { budget, formatBudget, BUDGET_TARGETS, type BudgetTarget } from '../budget.js';
import { buildModel, type ModelFlags } from './model.js';
import { ExitCode, UsageError } from './errors.js';

export interface BudgetFlags extends ModelFlags {
  target: string;
  inputs?: string;
  classes?: string;
  ram?: string;
  stack?: string;
  json?: boolean;
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
  const config = await buildModel(flags, shape, { layers: [32, 32] });
  const result = await budget({
    target: flags.target as BudgetTarget,
    config,
    ramBytes: whole('--ram', flags.ram),
    stackBytes: whole('--stack', flags.stack),
  });
  console.log(flags.json ? JSON.stringify(result, null, 2) : formatBudget(result));
  return result.fits ? ExitCode.OK : ExitCode.FAILURE;
}
