// Full-state snapshot in-process: a learner restored from a snapshot taken
// after k samples, fed samples k..N, ends byte-identical to the uninterrupted
// run, for every piece of state a rule keeps (docs/protocol.md §5.13).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Learner } from './learner.js';
import { LearnerStateError } from './errors.js';
import type { LearnerConfig } from './config.js';

const N = 40,
  K = 17,
  D = 24,
  C = 4;

function samples(seed: number): { x: Float32Array; y: number[] } {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const y = Array.from({ length: N }, (_, i) => (i < N / 2 ? Math.floor(next() * 2) : 2 + Math.floor(next() * 2)));
  const x = new Float32Array(N * D).map((_, i) => (y[Math.floor(i / D)] === i % C ? 1 : 0) + next() * 0.5);
  return { x, y };
}

const base: LearnerConfig = { inputSize: D, layers: [16, 12], classes: C, batch: 1, seed: 5, learningRate: 0.02 };
const cases: Array<[string, LearnerConfig]> = [
  ['ff, adam, schedule, peer norm, hard negatives', { ...base, decaySteps: 30, finalRate: 0.1, peerWeight: 0.03, negatives: 'hard', softmaxHead: true }],
  ['ff, sgd momentum', { ...base, optimizer: 'sgd' }],
  ['hebbian-ff with eligibility traces', { ...base, algorithm: 'hebbian-ff', rule: [0.5, 0, 0, 0] }],
  ['spiking-ff with traces', { ...base, algorithm: 'spiking-ff', rule: [4, 0.5, 1, 0.5] }],
  ['pepita-mirror (learned F)', { ...base, algorithm: 'pepita-mirror', layers: [16, C], rule: [0.05, 0.01, 0.1, 0] }],
  [
    'continual: prequential, reservoir replay, drift restarting the schedule',
    {
      ...base,
      softmaxHead: true,
      decaySteps: 20,
      finalRate: 0.5,
      prequential: 'goodness',
      replay: { mode: 'reservoir', capacity: 6, ratio: 1.5 },
      drift: { detector: 'page-hinkley', signal: 'error', threshold: 0.5, minSamples: 3, reaction: 'restart-schedule' },
    },
  ],
];

async function run(config: LearnerConfig, from: number, to: number, learner?: Learner): Promise<Learner> {
  const l = learner ?? (await Learner.load());
  if (!learner) l.configure(config);
  const { x, y } = samples(11);
  for (let i = from; i < to; i++) l.train(x.subarray(i * D, (i + 1) * D), [y[i]]);
  return l;
}

for (const [name, config] of cases) {
  test(`snapshot restore is exact: ${name}`, async () => {
    const whole = await run(config, 0, N);
    const first = await run(config, 0, K);
    const blob = first.exportState();
    const restored = await Learner.load();
    restored.configure(config);
    restored.importState(blob);
    assert.deepEqual(restored.exportState(), blob, "the restored learner's state is the snapshot");
    await run(config, K, N, restored);
    assert.deepEqual(restored.exportWeights(), whole.exportWeights());
    assert.deepEqual(restored.exportState(), whole.exportState());
    // Control: weights alone (optimizer restarted) do not continue exactly.
    const weightsOnly = await Learner.load();
    weightsOnly.configure(config);
    weightsOnly.importWeights(first.exportWeights());
    await run(config, K, N, weightsOnly);
    assert.notDeepEqual(weightsOnly.exportWeights(), whole.exportWeights());
  });
}

test('a snapshot of another config or a damaged one is refused and leaves the learner unconfigured', async () => {
  const a = await run(base, 0, 5);
  const blob = a.exportState();
  const other = await Learner.load();
  other.configure({ ...base, seed: 6 });
  // Same shape, same size: the config fingerprint tells them apart.
  assert.throws(
    () => other.importState(blob),
    (e: unknown) => e instanceof LearnerStateError && /same config/.test((e as Error).message),
  );
  assert.throws(() => other.train(new Float32Array(D), [0]), LearnerStateError);
  const short = await Learner.load();
  short.configure(base);
  assert.throws(() => short.importState(blob.subarray(1)), LearnerStateError);
  const bad = blob.slice();
  bad[0] ^= 1;
  assert.throws(() => short.importState(bad), LearnerStateError);
});
