// Continual learning through the real device program (build/ff-device.wasm,
// in process): two tasks streamed with prequential prediction and replay on.
// Each GOODNESS record's prediction must be the one the in-process learner
// (ff-core.wasm, same config and samples) made before training, sample by
// sample; the replay effect on the first task is measured and printed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { wasmPath } from '../host/paths.js';
import { runDeviceInProcess } from '../host/budget.js';
import { encodeMessage, type Message } from '../host/protocol/messages.js';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { Learner } from '../host/learner/learner.js';
import { Xoshiro128 } from '../host/learner/reference/prng.js';

const D = 8,
  C = 4;

/** Gaussian-ish blobs: class c centred on +-1 in inputs 2c, 2c+1. */
function sample(rng: Xoshiro128, label: number): Float32Array {
  const x = Float32Array.from({ length: D }, () => (rng.nextUnit() - 0.5) * 0.6);
  x[2 * label] += 1;
  x[2 * label + 1] -= 1;
  return x;
}

function stream(seed: number): { x: Float32Array; label: number }[] {
  const rng = new Xoshiro128(seed);
  const out: { x: Float32Array; label: number }[] = [];
  for (const task of [
    [0, 1],
    [2, 3],
  ]) {
    for (let i = 0; i < 150; i++) {
      const label = task[rng.nextBelow(2)]!;
      out.push({ x: sample(rng, label), label });
    }
  }
  return out;
}

const base: LearnerConfig = {
  inputSize: D,
  classes: C,
  layers: [16, 16],
  overlay: 'prepend',
  learningRate: 0.01,
  seed: 3,
  prequential: 'goodness',
};
const withReplay: LearnerConfig = { ...base, replay: { mode: 'reservoir', capacity: 32, ratio: 1 } };

test("ff-device.wasm returns each sample's prequential prediction in GOODNESS, equal to the in-process learner's, with replay on", async () => {
  const data = stream(7);
  const frames: Uint8Array[] = [encodeMessage({ type: 'CONFIGURE', config: encodeConfig(withReplay) }, 0)];
  data.forEach((s, i) => frames.push(encodeMessage({ type: 'SAMPLE', kind: 'positive', label: s.label, encoding: 'f32', values: s.x }, i + 1)));
  const input = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    input.set(f, at);
    at += f.length;
  }
  const replies = (await runDeviceInProcess(wasmPath('ff-device'), 0, input)).slice(1); // boot HELLO
  assert.equal(replies[0]!.type, 'CONFIG_OK');
  const records = replies.slice(1).filter((m): m is Extract<Message, { type: 'GOODNESS' }> => m.type === 'GOODNESS');
  assert.equal(records.length, data.length);

  const learner = await Learner.load();
  learner.configure(withReplay);
  assert.equal(learner.replay().bytes, 32 * (8 + D) + 2 * C * 4);
  data.forEach((s, i) => {
    learner.train(s.x, [s.label]);
    assert.equal(records[i]!.prediction, learner.lastPredictions()[0], `sample ${i}`);
    assert.equal(records[i]!.drift, false);
  });
  assert.equal(learner.replay().filled, 32);
  const correct = records.filter((r, i) => r.prediction === data[i]!.label).length;
  console.log(`prequential accuracy over the two-task stream (device, replay on): ${(correct / data.length).toFixed(3)}`);
  assert.ok(records.every((r) => r.prediction !== null && r.prediction >= 0 && r.prediction < C));
});

test('replay keeps the first task better than fine-tuning (in-process learner, same stream; measured, printed)', async () => {
  const data = stream(7);
  const rng = new Xoshiro128(123);
  const heldOut = Array.from({ length: 200 }, (_, i) => ({ label: i % 2, x: sample(rng, i % 2) }));
  const firstTaskAccuracy = async (config: LearnerConfig): Promise<number> => {
    const learner = await Learner.load();
    learner.configure(config);
    for (const s of data) learner.train(s.x, [s.label]);
    return heldOut.filter((s) => learner.predict(s.x).label === s.label).length / heldOut.length;
  };
  const fineTune = await firstTaskAccuracy(base);
  const replayed = await firstTaskAccuracy(withReplay);
  console.log(`task 1 accuracy after task 2: fine-tune ${fineTune.toFixed(3)}, replay (32 samples, ratio 1) ${replayed.toFixed(3)}`);
  assert.ok(replayed > fineTune, `replay ${replayed} vs fine-tune ${fineTune}`);
});

test('int4 replay storage: half-size slots (12 + D/2 bytes), replay still keeps the first task', async () => {
  const int4: LearnerConfig = { ...base, replay: { mode: 'reservoir', capacity: 32, ratio: 1, storage: 'int4' } };
  const learner = await Learner.load();
  learner.configure(int4);
  assert.equal(learner.replay().bytes, 32 * (12 + Math.ceil(Math.ceil(D / 2) / 4) * 4) + 2 * C * 4);
  const data = stream(7);
  for (const s of data) learner.train(s.x, [s.label]);
  assert.equal(learner.replay().filled, 32);
  const fine = await Learner.load();
  fine.configure(base);
  for (const s of data) fine.train(s.x, [s.label]);
  const rng = new Xoshiro128(123);
  const heldOut = Array.from({ length: 200 }, (_, i) => ({ label: i % 2, x: sample(rng, i % 2) }));
  const acc = (l: Learner) => heldOut.filter((s) => l.predict(s.x).label === s.label).length / heldOut.length;
  console.log(`task 1 accuracy after task 2: fine-tune ${acc(fine).toFixed(3)}, int4 replay (32 samples) ${acc(learner).toFixed(3)}`);
  assert.ok(acc(learner) > acc(fine), `int4 replay ${acc(learner)} vs fine-tune ${acc(fine)}`);
});

test('seenLabelsOnly: refused for a rule that reads no label overlay (pepita), with a message naming the option', async () => {
  const learner = await Learner.load();
  assert.throws(() => learner.configure({ inputSize: D, classes: C, layers: [16, C], algorithm: 'pepita', seenLabelsOnly: true }), /seenLabelsOnly/);
  learner.configure({ ...base, seenLabelsOnly: true }); // ff: accepted
});
