// `npm run demo:continual`: split IMU gestures, one gesture per task, on the
// virtual device (no hardware), for every strategy and every rule; prints the
// table and R matrices and says where the logs and plots are.

import { join } from 'node:path';
import { continualCommand } from '../cli/continual.js';
import { describeError, exitCodeFor } from '../cli/errors.js';
import { packageRoot } from '../paths.js';
import { RULES, STRATEGIES } from './strategies.js';

try {
  await continualCommand({
    scenario: 'class-incremental',
    source: 'imu',
    strategies: STRATEGIES.join(','),
    rules: RULES.join(','),
    trainSize: '2000',
    out: join(packageRoot, 'out', 'demo-continual'),
  });
} catch (err) {
  process.stderr.write(`${describeError(err as Error)}\n`);
  process.exitCode = exitCodeFor(err as Error);
}
