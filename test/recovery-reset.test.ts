// Surviving device resets (issue 16, host/session/recovery.ts): the host's real
// serial path through the fault-injecting pty proxy, whose device process is
// killed and booted afresh at scheduled byte counts. Every sample must be
// trained into the final state, the final weights byte-identical to a run
// without resets, and the log must mark each reset.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../host/session/index.js';
import { DeviceResetLimitError, RecoveringSession, type RecoverySummary } from '../host/session/recovery.js';
import { FaultProxy } from '../host/transport/fault-proxy.js';
import { deviceChildArgs } from '../host/transport/virtual-device.js';
import { SerialTransport } from '../host/transport/index.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';
import type { LogRecord, ResetRecord } from '../host/logs/records.js';
import type { LearnerConfig } from '../host/learner/config.js';
import { readCheckpointFile } from '../host/session/index.js';
import { ffedge } from './cli-run.js';

const socat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !socat ? 'socat not installed (scripts/setup-toolchains.sh)' : false;
const SAMPLES = 300;
const config: LearnerConfig = { inputSize: 24, layers: [16, 8], classes: 5, decaySteps: 200, finalRate: 0.2 };
const samples = Array.from(imuGestureDataset(SAMPLES, { seed: 4, steps: 16 }), (s) => ({ inputs: s.inputs.slice(0, 24), label: s.label }));
const linkOptions = { rtoInitialMs: 100, rtoMinMs: 20, heartbeatIdleMs: 500 };
const DROP_BOOT_HELLO = fileURLToPath(new URL('./support/drop-boot-hello.js', import.meta.url));

async function clean(): Promise<Uint8Array> {
  const proxy = new FaultProxy({ seed: 1 });
  const session = await Session.connect(new SerialTransport({ path: await proxy.start() }), linkOptions);
  try {
    await session.configure(config);
    await session.trainStream(samples);
    assert.equal(session.step, SAMPLES);
    return (await session.getCheckpoint()).weights;
  } finally {
    await session.close();
    await proxy.close();
  }
}

interface Outcome {
  weights: Uint8Array;
  summary: RecoverySummary;
  log: LogRecord[];
  resets: number;
  trainedSamples: Set<number>;
}

async function withResets(proxy: FaultProxy, options: { snapshotEvery: number; maxResets?: number }): Promise<Outcome> {
  const path = await proxy.start();
  const log: LogRecord[] = [];
  const trainedSamples = new Set<number>();
  const run = await RecoveringSession.start({
    connect: () => new SerialTransport({ path }),
    config,
    session: {
      ...linkOptions,
      log: {
        append: (r) => {
          log.push(r);
        },
      },
    },
    snapshotEvery: options.snapshotEvery,
    maxResets: options.maxResets,
  });
  try {
    const summary = await run.trainStream(samples, { onResult: (r) => trainedSamples.add(r.index) });
    const { weights } = await run.getCheckpoint();
    return { weights, summary, log, resets: proxy.stats.resets, trainedSamples };
  } finally {
    await run.close();
    await proxy.close();
  }
}

describe('device resets mid-stream', { skip }, () => {
  let reference: Uint8Array;

  test('resets at scheduled byte counts: every sample trained, weights as without resets, resets logged', { timeout: 120_000 }, async () => {
    reference = await clean();
    const got = await withResets(new FaultProxy({ seed: 2, resetsAfterBytes: [9_000, 24_000] }), { snapshotEvery: 40 });
    assert.equal(got.resets, 2, 'the proxy reset the device twice');
    assert.equal(got.summary.resets, 2);
    assert.equal(got.summary.trained, SAMPLES);
    assert.equal(got.summary.step, SAMPLES, 'the device step continues from the snapshot: nothing trained twice into the state');
    assert.ok(got.summary.replayed > 0, 'samples after the snapshot were trained again');
    assert.equal(got.trainedSamples.size, SAMPLES, 'every sample index reported');
    assert.deepEqual(got.weights, reference);
    const resets = got.log.filter((r): r is ResetRecord => r.type === 'reset');
    assert.equal(resets.length, 2);
    assert.deepEqual(
      resets.map((r) => r.reset),
      [1, 2],
    );
    assert.equal(
      resets.reduce((n, r) => n + r.replayed, 0),
      got.summary.replayed,
    );
    for (const r of resets) assert.equal(r.fromSample % 40, 0, 'restored from a snapshot boundary');
  });

  test('reset while the host sequence wraps and the boot HELLO is lost: seen as a reset (HELLO), weights exact', { timeout: 120_000 }, async () => {
    reference ??= await clean();
    let boots = 0;
    // The first device starts its link at 65500, so the host's seq wraps
    // during the run; the fresh device after the reset starts at 0 and its boot HELLO is lost.
    const proxy = new FaultProxy({
      seed: 3,
      resetsAfterBytes: [3_700],
      startDevice: () => {
        const first = boots++ === 0;
        const args = deviceChildArgs(first ? { firstSeq: 65500 } : {});
        return first
          ? spawn(process.execPath, ['--no-warnings', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
          : spawn(process.execPath, ['--no-warnings', DROP_BOOT_HELLO, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      },
    });
    const got = await withResets(proxy, { snapshotEvery: 1000 });
    assert.equal(got.resets, 1);
    assert.equal(got.summary.trained, SAMPLES);
    assert.deepEqual(got.weights, reference);
    const resets = got.log.filter((r): r is ResetRecord => r.type === 'reset');
    assert.equal(resets.length, 1);
    assert.match(resets[0]!.reason, /LINK_DESYNC/, 'the fresh device answered with HELLO, not an ACK the host could take as applied');
  });

  test('more resets than allowed: DeviceResetLimitError', { timeout: 120_000 }, async () => {
    const proxy = new FaultProxy({ seed: 4, resetsAfterBytes: [6_000, 15_000] });
    await assert.rejects(withResets(proxy, { snapshotEvery: 40, maxResets: 1 }), (err: unknown) => {
      assert.ok(err instanceof DeviceResetLimitError, String(err));
      assert.equal(err.limit, 1);
      assert.match(err.message, /--max-resets/);
      return true;
    });
  });

  test(
    'ffedge stream --snapshot-every survives a reset on a port: same weights as a run without it, summary and log say so',
    { timeout: 180_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ffedge-reset-'));
      const cli = async (proxy: FaultProxy, name: string): Promise<{ stdout: string; weights: Uint8Array; log: LogRecord[] }> => {
        const path = await proxy.start();
        try {
          const r = await ffedge(
            'stream',
            '--port',
            path,
            '--source',
            'imu',
            '--train-size',
            '240',
            '--eval-samples',
            '20',
            '--snapshot-every',
            '50',
            '--save-checkpoint',
            join(dir, `${name}.ckpt`),
            '--log',
            join(dir, `${name}.jsonl`),
            '--quiet',
          );
          assert.equal(r.code, 0, r.stderr);
          const log = readFileSync(join(dir, `${name}.jsonl`), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as LogRecord);
          return { stdout: r.stdout, weights: (await readCheckpointFile(join(dir, `${name}.ckpt`))).weights, log };
        } finally {
          await proxy.close();
        }
      };
      try {
        const without = await cli(new FaultProxy({ seed: 5 }), 'clean');
        const withReset = await cli(new FaultProxy({ seed: 5, resetsAfterBytes: [90_000] }), 'reset');
        assert.match(without.stdout, /device resets: 0; samples trained again from snapshots: 0/);
        assert.match(withReset.stdout, /device resets: 1; samples trained again from snapshots: [1-9]/);
        assert.match(withReset.stdout, /Device resets: 1, recovered from snapshots/);
        assert.equal(withReset.log.filter((r) => r.type === 'reset').length, 1);
        assert.deepEqual(withReset.weights, without.weights);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
