// `node dist/host/bench/snapshot.js`: size of the full-state snapshot
// (docs/protocol.md §5.13) and the time to download and restore it through
// the device program over child-process pipes, for the IMU demo model
// (192 -> 64 -> 32, 5 classes, Adam) and MNIST 784 -> 500 -> 500 (Adam).
// What `RecoveringSession` (host/session/recovery.ts) pays per snapshot.
//
// Numbers only; nothing is asserted (tests do not depend on timing).

import type { LearnerConfig } from '../learner/config.js';
import { renderTable } from '../logs/summary.js';
import { Session } from '../session/index.js';
import { VirtualDeviceTransport } from '../transport/index.js';

const models: Array<[string, LearnerConfig]> = [
  ['IMU demo 192-64-32', { inputSize: 192, layers: [64, 32], classes: 5, negatives: 'hard', peerWeight: 0.03 }],
  ['MNIST 784-500-500', { inputSize: 784, layers: [500, 500], classes: 10 }],
];

async function measure(name: string, config: LearnerConfig): Promise<string[]> {
  const session = await Session.connect(new VirtualDeviceTransport());
  try {
    const { arenaUsed } = await session.configure(config);
    await session.train({ inputs: new Float32Array(config.inputSize).fill(0.5), label: 1 });
    let t = performance.now();
    const weights = await session.getCheckpoint();
    const weightsSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const state = await session.getSnapshot();
    const getSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await session.putSnapshot(state.weights);
    const putSeconds = (performance.now() - t) / 1000;
    return [
      name,
      String(arenaUsed),
      String(weights.weights.length),
      String(state.weights.length),
      weightsSeconds.toFixed(2),
      getSeconds.toFixed(2),
      putSeconds.toFixed(2),
      (state.weights.length / 1024 / getSeconds).toFixed(0),
    ];
  } finally {
    await session.close();
  }
}

const rows: string[][] = [];
for (const [name, config] of models) rows.push(await measure(name, config));
process.stdout.write(
  renderTable(['model', 'arena B', 'weights B', 'snapshot B', 'weights get s', 'snapshot get s', 'snapshot put s', 'get KiB/s'], rows) + '\n',
);
