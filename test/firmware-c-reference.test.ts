// The plain C reference of one FF training step (host/bench/c-reference/ff-ref.c)
// against the learner (ff-core.wasm):
//  * natively (gcc -O2 -ffp-contract=off): after 300 steps its weights and every
//    step's per-layer stats are bit-identical to ff-core.wasm in V8;
//  * on the Cortex-M4 (QEMU): the C reference and ff-core.wasm through wasm2c, in the
//    bench harness, end with the same weights, and so does ff-core.wasm in V8 replaying
//    the harness's samples; the instruction counts are printed (npm run bench:firmware
//    gives the full table).
// Skipped (not failed) when a toolchain is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { Learner } from '../host/learner/learner.js';
import { SENSOR_DEMO_MODEL } from '../host/budget.js';
import { benchSamples, buildM4Bench, fnv1a, runM4Bench } from '../host/bench/firmware.js';
import { missingTools, repoRoot, sensorWindows } from './firmware-driver.js';

const run = promisify(execFile);
const referenceDir = join(repoRoot, 'host', 'bench', 'c-reference');
const coreBuilt = existsSync(join(repoRoot, 'build', 'ff-core.wasm')) ? false : 'build/ff-core.wasm not built (npm run build:wasm)';
const STEPS = 300;

/** The job native-main.c reads: config, count, then (label, inputs) per sample. */
function job(config: LearnerConfig, samples: Array<{ label: number; values: Float32Array }>): Buffer {
  const blob = encodeConfig(config);
  const parts: Buffer[] = [Buffer.alloc(4), Buffer.from(blob), Buffer.alloc(4)];
  parts[0]!.writeUInt32LE(blob.length);
  parts[2]!.writeUInt32LE(samples.length);
  for (const s of samples) {
    const label = Buffer.alloc(4);
    label.writeInt32LE(s.label);
    parts.push(label, Buffer.from(s.values.buffer, s.values.byteOffset, s.values.byteLength));
  }
  return Buffer.concat(parts);
}

describe('C reference, native (gcc): bit-identical to ff-core.wasm in V8', { skip: coreBuilt || missingTools(['gcc', 'make']) }, () => {
  let work = '';
  let binary = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-cref-'));
    await run('make', ['-s', '-C', referenceDir, `BUILD=${work}`]);
    binary = join(work, 'native', 'ff-ref');
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const configs: Array<[string, LearnerConfig]> = [
    ['the demo sensor model 64-32-32', SENSOR_DEMO_MODEL],
    [
      '3 layers, weight decay, other threshold/temperature/seed',
      { ...SENSOR_DEMO_MODEL, layers: [48, 24, 16], weightDecay: 0.01, threshold: 0.5, temperature: 0.7, seed: 99, beta1: 0.8 },
    ],
  ];
  for (const [name, config] of configs) {
    test(`${name}: ${STEPS} steps, every stat and every weight bit for bit`, async () => {
      const samples = sensorWindows(STEPS, 77, config.inputSize, config.classes);
      const layers = config.layers.length;
      const r = spawnSync(binary, [], { input: job(config, samples), maxBuffer: 1 << 26 });
      assert.equal(r.status, 0, r.stderr.toString());
      const learner = await Learner.load();
      const { paramsBytes } = learner.configure(config);
      const statBytes = layers * 6 * 4;
      assert.equal(r.stdout.length, STEPS * statBytes + paramsBytes);
      let firstDiff = '';
      samples.forEach((s, step) => {
        const stats = learner.train(s.values, [s.label]);
        const mine = new Float32Array(stats.layers.flatMap((l) => [l.goodnessPositive, l.goodnessNegative, l.loss, l.active, l.hoyer, l.peerPenalty]));
        const theirs = r.stdout.subarray(step * statBytes, (step + 1) * statBytes);
        if (!firstDiff && !Buffer.from(mine.buffer).equals(theirs)) {
          firstDiff = `step ${step}: wasm ${Array.from(mine)} vs C ${Array.from(new Float32Array(theirs.buffer.slice(theirs.byteOffset, theirs.byteOffset + statBytes)))}`;
        }
      });
      assert.equal(firstDiff, '', 'per-step stats');
      const weights = Buffer.from(learner.exportWeights());
      const cWeights = r.stdout.subarray(STEPS * statBytes);
      if (!weights.equals(cWeights)) {
        const a = new Float32Array(weights.buffer.slice(weights.byteOffset)),
          b = new Float32Array(cWeights.buffer.slice(cWeights.byteOffset));
        let max = 0;
        for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
        assert.fail(`weights differ, max |difference| ${max}`);
      }
    });
  }

  test('refuses an option it does not implement, naming the config slot', () => {
    const r = spawnSync(binary, [], { input: job({ ...SENSOR_DEMO_MODEL, softmaxHead: true }, []) });
    assert.equal(r.status, 3);
    assert.match(r.stderr.toString(), /config slot 6 has a value this reference does not support/);
  });
});

describe(
  'C reference and wasm2c on the Cortex-M4 (QEMU -icount shift=0)',
  { skip: coreBuilt || missingTools(['make', 'wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm']) },
  () => {
    let work = '';
    before(() => {
      work = mkdtempSync(join(tmpdir(), 'ffedge-m4bench-'));
    });
    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('the same weights from the C reference, the wasm2c build and V8; instructions per step', async () => {
      const steps = 10;
      const elves = await buildM4Bench({ steps, build: work });
      const [cref, wasm2c] = [await runM4Bench(elves.cref), await runM4Bench(elves.wasm2c, true)];
      console.log(`# M4 instructions per step: wasm2c ${wasm2c.perStep}, C reference ${cref.perStep}, ratio ${(wasm2c.perStep / cref.perStep).toFixed(2)}`);
      assert.equal(cref.steps, steps);
      assert.equal(wasm2c.weightsFnv, cref.weightsFnv, 'wasm2c and the C reference end with the same weights on the M4');
      // V8 replaying the harness's samples reaches the same weights.
      const learner = await Learner.load();
      learner.configure(SENSOR_DEMO_MODEL);
      const samples = benchSamples(SENSOR_DEMO_MODEL.inputSize);
      for (let k = 0; k < steps; k++) learner.trainFast(samples[k % samples.length]!, [k % SENSOR_DEMO_MODEL.classes]);
      assert.equal(fnv1a(learner.exportWeights()), cref.weightsFnv, 'ff-core.wasm in V8');
      assert.ok(cref.perStep > 10_000 && wasm2c.perStep > cref.perStep, `${cref.perStep} / ${wasm2c.perStep}`);
    });
  },
);
