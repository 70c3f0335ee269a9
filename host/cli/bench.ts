// `ffedge bench [speed|stream|mnist|firmware|runtime|continual|continual-drift|fleet|all] [options]`: the benchmark
// scripts in host/bench/, run as they run under `npm run bench:*` (they own
// their options and --help), with this process's terminal.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

export const BENCHES = ['all', 'speed', 'stream', 'mnist', 'firmware', 'runtime', 'continual', 'continual-drift', 'fleet'] as const;

export function benchCommand(which: string, args: string[]): number {
  if (!(BENCHES as readonly string[]).includes(which)) throw new UsageError(`bench must be one of ${BENCHES.join(', ')}; got ${JSON.stringify(which)}`);
  const script = fileURLToPath(new URL(`../bench/${which}.js`, import.meta.url));
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
