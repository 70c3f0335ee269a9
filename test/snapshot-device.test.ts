// The full-state snapshot through the device program (docs/protocol.md §5.13):
// a run of N samples, snapshot at k, a fresh device configured alike and
// restored from it, fed samples k..N, ends with weights byte-identical to the
// uninterrupted run. A snapshot that does not belong leaves the device unconfigured.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Session } from '../host/session/index.js';
import { VirtualDeviceTransport } from '../host/transport/virtual-device.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';
import { crc32 } from '../host/protocol/index.js';
import { LearnerStateError, LearnerStatus } from '../host/learner/errors.js';
import type { LearnerConfig } from '../host/learner/config.js';

const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';
const N = 120,
  K = 47;
const data = Array.from(imuGestureDataset(N, { seed: 3, steps: 16 }), (s) => ({ inputs: s.inputs.slice(), label: s.label }));

const open: Session[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
});

async function device(config: LearnerConfig): Promise<Session> {
  const session = await Session.connect(new VirtualDeviceTransport(), { heartbeatIdleMs: 300 });
  open.push(session);
  await session.configure(config);
  return session;
}

const models: Array<[string, LearnerConfig]> = [
  [
    'ff, adam, hard negatives, peer norm, decaying rate',
    {
      inputSize: 96,
      layers: [32, 16],
      classes: 5,
      negatives: 'hard',
      peerWeight: 0.03,
      learningRate: 0.003,
      decaySteps: 100,
      finalRate: 0.1,
    },
  ],
  [
    'continual: prequential, class-balanced replay, drift on the error',
    {
      inputSize: 96,
      layers: [24, 16],
      classes: 5,
      softmaxHead: true,
      prequential: 'head',
      replay: { mode: 'class-balanced', capacity: 10, ratio: 1 },
      drift: { detector: 'page-hinkley', signal: 'error', threshold: 1, minSamples: 5, reaction: 'restart-schedule' },
      decaySteps: 60,
      finalRate: 0.2,
    },
  ],
];

describe('full-state snapshot on the device', { skip }, () => {
  for (const [name, config] of models) {
    test(`restore at ${K} of ${N} continues exactly: ${name}`, async () => {
      const whole = await device(config);
      await whole.trainStream(data);
      const expected = (await whole.getCheckpoint()).weights;

      const first = await device(config);
      await first.trainStream(data.slice(0, K));
      const snapshot = await first.getSnapshot();
      assert.equal(snapshot.crc, crc32(snapshot.weights));

      const second = await device(config);
      await second.putSnapshot(snapshot.weights);
      assert.deepEqual((await second.getSnapshot()).weights, snapshot.weights, 'the restored device holds the snapshot');
      await second.trainStream(data.slice(K));
      assert.equal(second.step, whole.step, 'the step count went on from the snapshot');
      assert.deepEqual((await second.getCheckpoint()).weights, expected);

      // Control: the weights checkpoint alone restarts the optimizer, so it does not continue exactly.
      const third = await device(config);
      await third.putCheckpoint((await first.getCheckpoint()).weights);
      await third.trainStream(data.slice(K));
      assert.notDeepEqual((await third.getCheckpoint()).weights, expected);
    });
  }

  test('a snapshot of another size is refused and changes nothing; one of another config leaves the device unconfigured', async () => {
    const [, config] = models[0]!;
    const a = await device(config);
    await a.trainStream(data.slice(0, 5));
    const { weights: blob } = await a.getSnapshot();
    const b = await device({ ...config, seed: 99 });
    await assert.rejects(
      b.putSnapshot(blob.subarray(4)),
      (e: unknown) => e instanceof LearnerStateError && e.code === LearnerStatus.SNAPSHOT_MISMATCH && e.detail === blob.length,
    );
    await b.train(data[0]!); // still configured
    await assert.rejects(b.putSnapshot(blob), (e: unknown) => e instanceof LearnerStateError && e.code === LearnerStatus.SNAPSHOT_MISMATCH);
    await assert.rejects(b.train(data[0]!), (e: unknown) => e instanceof LearnerStateError && e.code === LearnerStatus.NOT_CONFIGURED);
  });
});
