// `npm run demo:continual`: split IMU gestures, one gesture per task, on the
// virtual device (no hardware), for every strategy this build can send to the
// device and every rule; prints the table and R matrices and says where the
// logs and plots are. A strategy the build cannot encode is named and skipped.

import { join } from 'node:path';
import { continualCommand } from '../cli/continual.js';
import { describeError, exitCodeFor } from '../cli/errors.js';
import { packageRoot } from '../paths.js';
import { RULES, STRATEGIES, strategyFragment, unsupportedFields } from './strategies.js';

const probe = { inputSize: 192, layers: [64, 32], classes: 5 };
const usable = STRATEGIES.filter((s) => unsupportedFields(probe, strategyFragment(s)).filter((f) => f !== 'prequential').length === 0);
const skipped = STRATEGIES.filter((s) => !usable.includes(s));
if (skipped.length > 0) {
  process.stderr.write(`demo: skipping ${skipped.join(', ')}: this build's learner config does not carry replay/drift to the device yet\n`);
}
try {
  await continualCommand({
    scenario: 'class-incremental', source: 'imu', strategies: usable.join(','), rules: RULES.join(','),
    trainSize: '2000', out: join(packageRoot, 'out', 'demo-continual'),
  });
} catch (err) {
  process.stderr.write(`${describeError(err as Error)}\n`);
  process.exitCode = exitCodeFor(err as Error);
}
