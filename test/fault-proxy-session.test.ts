// The host's real serial path (serialport on a pty) through our own fault
// injector (host/transport/fault-proxy.ts) to the virtual device: bit flips,
// drops, duplicated bytes and bursts both ways. Every sample must be trained
// exactly once and the final weights must equal a clean run's.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Session, type FragmentMode } from '../host/session/index.js';
import { FaultProxy, damagedFraction, type LinkFaults } from '../host/transport/fault-proxy.js';
import { SerialTransport } from '../host/transport/index.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';

const socat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !socat ? 'socat not installed (scripts/setup-toolchains.sh)' : false;
const SAMPLES = 150;

interface Workload {
  samples: number;
  /** Inputs per sample (the first of each 192-value IMU window). */
  inputs: number;
  fragments?: FragmentMode;
}

async function run(
  faults: LinkFaults | undefined,
  seed: number,
  work: Workload = { samples: SAMPLES, inputs: 24 },
): Promise<{
  weights: Uint8Array;
  step: number;
  trained: number;
  damaged: number;
  split: number;
}> {
  const proxy = new FaultProxy({ seed, toDevice: faults, fromDevice: faults });
  const path = await proxy.start();
  const session = await Session.connect(new SerialTransport({ path }), {
    rtoInitialMs: 100,
    rtoMinMs: 20,
    heartbeatIdleMs: 500,
    fragments: work.fragments ?? 'auto',
  });
  try {
    await session.configure({ inputSize: work.inputs, layers: [16, 8], classes: 5 });
    const samples = Array.from(imuGestureDataset(work.samples, { seed: 4 }), (s) => ({ inputs: s.inputs.slice(0, work.inputs), label: s.label }));
    const summary = await session.trainStream(samples);
    const { weights } = await session.getCheckpoint();
    const stats = proxy.stats;
    return {
      weights,
      step: session.step,
      trained: summary.trained,
      split: session.fragments.samplesSplit,
      damaged: damagedFraction(stats.toDevice) + damagedFraction(stats.fromDevice),
    };
  } finally {
    await session.close();
    await proxy.close();
  }
}

describe('fault-injecting pty proxy', { skip }, () => {
  test('flips, drops, duplicates and bursts both ways: trained exactly once, weights as on a clean link', { timeout: 120_000 }, async () => {
    const clean = await run(undefined, 1);
    assert.equal(clean.step, SAMPLES);
    assert.equal(clean.damaged, 0);
    const noisy = await run({ flip: 0.0005, drop: 0.0005, duplicate: 0.0003, burst: 0.00005 }, 9);
    assert.ok(noisy.damaged > 0.001, `the link was damaged (${noisy.damaged})`);
    assert.equal(noisy.trained, SAMPLES);
    assert.equal(noisy.step, SAMPLES, 'device steps = samples: nothing lost, nothing trained twice');
    assert.deepEqual(noisy.weights, clean.weights);
  });

  test('0.5% of ~800-byte samples damaged both ways: sent in parts, trained exactly once, weights as on a clean link', { timeout: 180_000 }, async () => {
    const work = { samples: 40, inputs: 192 };
    const clean = await run(undefined, 1, { ...work, fragments: 'off' });
    assert.equal(clean.step, work.samples);
    const damage = 0.005;
    const noisy = await run({ flip: 0.4 * damage, drop: 0.3 * damage, duplicate: 0.2 * damage, burst: (0.1 * damage) / 20 }, 16, work);
    assert.ok(noisy.damaged > 0.006, `the link was damaged both ways (${noisy.damaged})`);
    assert.ok(noisy.split >= work.samples - 2, `samples went in parts (${noisy.split} of ${work.samples})`);
    assert.equal(noisy.trained, work.samples);
    assert.equal(noisy.step, work.samples, 'device steps = samples: nothing lost, nothing trained twice');
    assert.deepEqual(noisy.weights, clean.weights);
  });
});
