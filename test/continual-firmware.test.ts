// On-device continual learning on the bare-metal Cortex-M4F firmware (wasm2c +
// arm-none-eabi-gcc, under qemu-system-arm), against the virtual device:
//
//  1. a class-incremental IMU scenario (2 tasks: {idle, shake} -> {circle, tap}),
//     96-64-32 with prequential prediction, a class-balanced replay buffer and
//     Page-Hinkley drift detection on goodness (restarting a decaying schedule):
//     every GOODNESS record (prediction and drift flag included) and the final
//     weights byte-identical on both, and the predictions and alarms equal to
//     ff-core.wasm trained in-process;
//  2. IMU class-incremental (5 gestures, 192 inputs) with a replay buffer of at
//     most 16 KiB: the firmware's RAM (stack + statics + the wasm pool sized by
//     `ffedge budget`, from the ELF) within 128 KiB, and the device accepts and
//     trains the config in exactly the arena the budget said.
// A missing toolchain skips, it does not fail.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { Learner } from '../host/learner/learner.js';
import { quantize, sampleToFloat32, type Sample } from '../host/protocol/messages.js';
import { launchQemu } from '../host/transport/qemu-launch.js';
import { budget } from '../host/budget.js';
import { M4_SMALL_STACK } from '../host/bench/firmware.js';
import { classIncremental } from '../host/continual/scenarios.js';
import { generateImuGestures, mixSeed } from '../host/sources/index.js';
import { DeviceDriver, expectMessage, missingTools, repoRoot, serialLink, wasiLink, type ByteLink } from './firmware-driver.js';

const run = promisify(execFile);
const deviceWasm = join(repoRoot, 'build', 'ff-device.wasm');
const skip =
  (existsSync(deviceWasm) ? false : 'build/ff-device.wasm not built (npm run build:wasm)') ||
  missingTools(['wasm2c', 'arm-none-eabi-gcc', 'arm-none-eabi-size', 'qemu-system-arm', 'make']);

/** IMU windows of `steps` readings, as int8 samples on the wire, in the scenario's stream order. */
function imuStream(steps: number, groups: number[][], perTask: number, seed: number): Sample[] {
  const base = {
    name: 'imu',
    inputSize: steps * 6,
    classes: 5,
    channels: 6,
    train: generateImuGestures(300 * groups.length, { seed, steps }),
    eval: generateImuGestures(50, { seed: mixSeed(seed, 1), steps }),
  };
  return [...classIncremental(base, groups, { seed, samplesPerTask: perTask }).stream()].map((s) => ({
    kind: 'positive' as const,
    label: s.label,
    ...quantize(s.inputs, 'int8'),
  }));
}

async function buildFirmware(build: string, vars: Record<string, number>): Promise<string> {
  await run('make', [
    '-s',
    '-C',
    join(repoRoot, 'firmware-targets', 'cortex-m4-qemu'),
    `WASM=${deviceWasm}`,
    `BUILD=${build}`,
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
  ]);
  return join(build, 'fw.elf');
}

/** RAM of the ELF: every section placed in the part's SRAM (as test/firmware-m4-64k.test.ts). */
async function elfRam(elf: string): Promise<number> {
  const { stdout } = await run('arm-none-eabi-size', ['-A', '-d', elf]);
  let ram = 0;
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m && Number(m[3]) >= 0x20000000 && Number(m[3]) < 0x20400000) ram += Number(m[2]);
  }
  return ram;
}

interface Outcome {
  goodness: Uint8Array[];
  predictions: (number | null)[];
  drifts: boolean[];
  weights: Uint8Array;
  arenaUsed: number;
}

async function drive(link: ByteLink, config: LearnerConfig, samples: Sample[]): Promise<Outcome> {
  const driver = new DeviceDriver(link);
  try {
    await driver.hello();
    const [configured] = await driver.requests([{ type: 'CONFIGURE', config: encodeConfig(config) }]);
    const ok = expectMessage(configured!, 'CONFIG_OK');
    const replies = await driver.requests(
      samples.map((s) => ({ type: 'SAMPLE' as const, ...s })),
      120_000,
    );
    const records = replies.map((r) => expectMessage(r, 'GOODNESS'));
    const { blob } = await driver.checkpoint();
    return {
      goodness: replies.map((r) => r.payload),
      predictions: records.map((r) => r.prediction),
      drifts: records.map((r) => r.drift),
      weights: blob,
      arenaUsed: ok.arenaUsed,
    };
  } finally {
    await driver.close();
  }
}

describe('continual learning on the Cortex-M4 firmware', { skip }, () => {
  let work = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-continual-m4-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test(
    '2-task IMU scenario with prequential, replay and drift: GOODNESS records and weights byte-identical to the virtual device',
    { timeout: 300_000 },
    async () => {
      const RAM = 131072;
      const config: LearnerConfig = {
        inputSize: 96,
        layers: [64, 32],
        classes: 5,
        softmaxHead: false,
        decaySteps: 200,
        finalRate: 0.2,
        prequential: 'goodness',
        replay: { mode: 'class-balanced', capacity: 20, storage: 'raw', ratio: 1 },
        // Sensitive on purpose, so that this short stream raises an alarm (at the task boundary).
        drift: { detector: 'page-hinkley', signal: 'goodness', delta: 0.05, threshold: 5, minSamples: 30, reaction: 'restart-schedule' },
      };
      const samples = imuStream(
        16,
        [
          [0, 1],
          [2, 3],
        ],
        150,
        3,
      );
      const elf = await buildFirmware(join(work, 'fw'), { RAM_BYTES: RAM });
      const qemu = await launchQemu({ elf });
      const m4 = drive(await serialLink('cortex-m4-qemu', qemu.path), config, samples).finally(() => qemu.close());
      m4.catch(() => {
        /* awaited below */
      });
      const virtual = await drive(wasiLink(deviceWasm, RAM), config, samples);
      const firmware = await m4;

      // The in-process learner (ff-core.wasm) on the same dequantised samples: the same predictions and alarms.
      const learner = await Learner.load();
      learner.configure(config);
      const predictions: (number | null)[] = [],
        drifts: boolean[] = [];
      for (const s of samples) {
        learner.trainFast(sampleToFloat32(s), [s.label]);
        predictions.push(learner.lastPredictions()[0]!);
        drifts.push(learner.lastDrifts()[0]!);
      }
      const alarms = drifts.flatMap((d, i) => (d ? [i] : []));
      const hits = predictions.filter((p, i) => p === samples[i]!.label).length;
      console.log(
        `# ${samples.length} samples: drift alarms at ${alarms}; prequential accuracy ${(hits / samples.length).toFixed(3)}; arena ${firmware.arenaUsed} bytes`,
      );
      assert.deepEqual(virtual.predictions, predictions, 'virtual device predictions = ff-core.wasm');
      assert.deepEqual(virtual.drifts, drifts, 'virtual device alarms = ff-core.wasm');
      assert.ok(alarms.length > 0, 'the stream raised an alarm: the flag is exercised');
      assert.ok(
        predictions.every((p) => p !== null),
        'every labelled sample predicted',
      );
      assert.ok(Buffer.from(learner.exportWeights()).equals(Buffer.from(virtual.weights)), 'virtual device weights = ff-core.wasm');

      assert.equal(firmware.arenaUsed, virtual.arenaUsed, 'same arena layout');
      assert.equal(firmware.goodness.length, samples.length);
      const differs = firmware.goodness.findIndex((g, i) => !Buffer.from(g).equals(Buffer.from(virtual.goodness[i]!)));
      assert.equal(
        differs,
        -1,
        `GOODNESS record ${differs} differs: ${Buffer.from(firmware.goodness[differs] ?? []).toString('hex')} vs ${Buffer.from(virtual.goodness[differs] ?? []).toString('hex')}`,
      );
      assert.ok(Buffer.from(firmware.weights).equals(Buffer.from(virtual.weights)), 'weights byte-identical');
    },
  );

  test('IMU class-incremental (5 gestures) with a <= 16 KiB replay buffer: the firmware within 128 KiB of RAM', { timeout: 300_000 }, async () => {
    const RAM_TOTAL = 128 * 1024;
    const { stackBytes: STACK, callDepth: CALL_DEPTH } = M4_SMALL_STACK;
    // 192 inputs (32 readings x 6 axes): a buffered sample takes 8 + 192 bytes, so 81 fit in 16 KiB.
    const config: LearnerConfig = {
      inputSize: 192,
      layers: [32, 32],
      classes: 5,
      softmaxHead: false,
      prequential: 'goodness',
      replay: { mode: 'class-balanced', capacity: 81, storage: 'raw', ratio: 1 },
    };
    const b = await budget({ target: 'wasi', config });
    assert.ok(b.ram.replayBuffer > 0 && b.ram.replayBuffer <= 16 * 1024, `replay buffer ${b.ram.replayBuffer} bytes`);
    const pool = Math.ceil(b.ram.linearMemory / 16) * 16;
    const elf = await buildFirmware(join(work, 'ram'), { RAM_BYTES: pool, STACK_BYTES: STACK, CALL_DEPTH: CALL_DEPTH });
    const ram = await elfRam(elf);
    console.log(
      `# RAM in use: ${ram} bytes (stack ${STACK}, wasm pool ${pool}: arena ${b.ram.arena} of which replay buffer ${b.ram.replayBuffer}; statics ${ram - STACK - pool}) of ${RAM_TOTAL}`,
    );
    assert.ok(ram <= RAM_TOTAL, `${ram} bytes of RAM`);

    const samples = imuStream(32, [[0], [1], [2], [3], [4]], 20, 5);
    const qemu = await launchQemu({ elf });
    try {
      const out = await drive(await serialLink('cortex-m4-qemu', qemu.path), config, samples);
      assert.equal(out.arenaUsed, b.ram.arena, 'the device lays out the arena the budget reported');
      assert.equal(out.goodness.length, samples.length, 'every sample trained');
      assert.ok(
        out.predictions.every((p) => p !== null),
        'predicted before training',
      );
    } finally {
      await qemu.close();
    }
  });
});
