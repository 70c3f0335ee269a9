// The runner against a scripted session that already sends what the device
// side of issue 10 adds to TrainResult (prediction, drift): prequential and
// drift records, R and the summary record, without a device.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord } from '../logs/records.js';
import type { Session } from '../session/index.js';
import type { Sample } from '../sources/sample.js';
import { imuGestureDataset } from '../sources/imu-gestures.js';
import { runScenario } from './runner.js';
import { classIncremental, type BaseData } from './scenarios.js';

/** Knows only the last label it trained on (perfect forgetting); predicts right on every other sample; alarms at given steps. */
function scriptedSession(alarmSteps: number[], predictions: boolean) {
  let step = 0;
  let last = -1;
  return {
    get step() {
      return step;
    },
    async configure() {
      step = 0;
      last = -1;
      return { arenaUsed: 1, arenaFree: 1 };
    },
    async evaluate(samples: Iterable<Sample>) {
      let n = 0,
        correct = 0;
      for (const s of samples) {
        n++;
        if (s.label === last) correct++;
      }
      return { step, accuracy: n ? correct / n : 0, n, correct, perClass: [], mode: 'goodness' as const };
    },
    async trainStream(samples: Iterable<Sample>, o: { onResult?: (r: unknown) => void }) {
      let submitted = 0;
      for (const s of samples) {
        step++;
        last = s.label;
        o.onResult?.({
          index: step - 1,
          seq: step,
          label: s.label,
          step,
          layers: [],
          ...(predictions ? { prediction: step % 2 === 0 ? s.label : (s.label + 1) % 5, drift: alarmSteps.includes(step) } : {}),
        });
        submitted++;
      }
      return { submitted, trained: submitted, refused: 0, repliesLost: 0, step, seconds: 0 };
    },
  } as unknown as Session;
}

const base: BaseData = {
  name: 'imu',
  inputSize: 96,
  classes: 5,
  channels: 6,
  train: imuGestureDataset(150, { seed: 1, steps: 16 }).packed,
  eval: imuGestureDataset(50, { seed: 2, steps: 16 }).packed,
};
const scenario = classIncremental(base, [[0], [1], [2]], { seed: 1 }); // 30 samples per task

test('prediction and drift from TrainResult become prequential and drift records; R, metrics and delays come out right', async () => {
  const records: LogRecord[] = [];
  const result = await runScenario(
    scriptedSession([45, 50, 75], true),
    scenario,
    { inputSize: 96, layers: [8], classes: 5 },
    {
      log: {
        append: (r) => {
          records.push(r);
        },
      },
      prequentialEvery: 10,
      window: 10,
    },
  );
  assert.deepEqual(result.R, [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.deepEqual(result.baseline, [0, 0, 0]);
  assert.equal(result.metrics.bwt, -1);
  assert.equal(result.prequential, 0.5);
  assert.equal(result.prequentialN, 90);
  assert.deepEqual(result.driftAlarms, [44, 49, 74]); // steps are 1-based, stream positions 0-based
  assert.deepEqual(result.detection, { delays: [14, 14], falseAlarms: 1 });
  const preq = records.filter((r) => r.type === 'prequential');
  assert.equal(preq.length, 9);
  assert.deepEqual(
    preq.map((r) => r.type === 'prequential' && r.windowAccuracy),
    Array(9).fill(0.5),
  );
  assert.deepEqual(
    records.filter((r) => r.type === 'drift').map((r) => r.type === 'drift' && [r.sample, r.task]),
    [
      [44, 1],
      [49, 1],
      [74, 2],
    ],
  );
  const summary = records.at(-1);
  assert.ok(summary?.type === 'continual-summary');
  assert.equal(summary.prequential, 0.5);
  assert.equal(summary.falseAlarms, 1);
});

test('without predictions from the device, prequential accuracy is null and every sample is counted as missing', async () => {
  const records: LogRecord[] = [];
  const result = await runScenario(
    scriptedSession([], false),
    scenario,
    { inputSize: 96, layers: [8], classes: 5 },
    {
      log: {
        append: (r) => {
          records.push(r);
        },
      },
    },
  );
  assert.equal(result.prequential, null);
  assert.equal(result.predictionsMissing, 90);
  assert.equal(records.filter((r) => r.type === 'prequential').length, 0);
  const summary = records.at(-1);
  assert.ok(summary?.type === 'continual-summary' && summary.prequential === null && summary.prequentialN === 0);
});
