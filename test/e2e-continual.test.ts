// A continual-learning scenario end to end on the virtual device (ff-device.wasm
// under node:wasi): the runner through a real session, then `ffedge continual`
// and `ffedge logs summary` as a user runs them.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, type RecordSink } from '../host/session/index.js';
import { VirtualDeviceTransport } from '../host/transport/index.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { classIncremental, type BaseData } from '../host/continual/scenarios.js';
import { runScenario } from '../host/continual/runner.js';
import { continualMetrics } from '../host/continual/metrics.js';
import { runConfig } from '../host/continual/strategies.js';
import { parseLog, type LogRecord } from '../host/logs/records.js';
import { wasmPath } from '../host/paths.js';

const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';
const execFileAsync = promisify(execFile);
const cli = fileURLToPath(new URL('../host/cli.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ffedge-continual-'));
after(() => rmSync(work, { recursive: true, force: true }));

const base: BaseData = {
  name: 'imu',
  inputSize: 96,
  classes: 5,
  channels: 6,
  train: imuGestureDataset(300, { seed: 11, steps: 16 }).packed,
  eval: imuGestureDataset(100, { seed: 12, steps: 16 }).packed,
};

async function run(): Promise<{ records: LogRecord[]; result: Awaited<ReturnType<typeof runScenario>> }> {
  const records: LogRecord[] = [];
  const log: RecordSink = {
    append: (r) => {
      records.push(r);
    },
  };
  const session = await Session.connect(new VirtualDeviceTransport(), { log, heartbeatIdleMs: 300 });
  try {
    const scenario = classIncremental(
      base,
      [
        [0, 1],
        [2, 3, 4],
      ],
      { seed: 5 },
    );
    const config = runConfig({ inputSize: 96, layers: [32, 16], classes: 5, learningRate: 0.003 }, 'fine-tune', 'ff');
    const result = await runScenario(session, scenario, config, { log, prequentialEvery: 50 });
    return { records, result };
  } finally {
    await session.close();
  }
}

/** Runs the compiled CLI; resolves with its exit code and output (a non-zero exit is a result, not an error). */
async function ffedge(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cli, ...args], { timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('continual learning on the virtual device', { skip }, () => {
  test('fine-tune through a scenario: R, b, boundaries and the summary record; the same seed gives the same R', async () => {
    const { records, result } = await run();
    assert.equal(result.R.length, 2);
    assert.equal(result.trained, 300);
    const boundaries = records.filter((r) => r.type === 'boundary');
    assert.deepEqual(
      boundaries.map((b) => [b.sample, b.task, b.from]),
      [
        [0, 0, null],
        [120, 1, 0],
      ],
    );
    // b (2 evals), then a row of 2 after each task.
    const evals = records.filter((r) => r.type === 'task-eval');
    assert.deepEqual(
      evals.map((e) => e.afterTask),
      [-1, -1, 0, 0, 1, 1],
    );
    // Training on task 0 helps task 0.
    assert.ok(result.R[0]![0]! > result.baseline[0]!, `R[0][0] = ${result.R[0]![0]} vs b[0] = ${result.baseline[0]}`);
    const summary = records.find((r) => r.type === 'continual-summary');
    assert.ok(summary && summary.type === 'continual-summary');
    assert.deepEqual(summary.R, result.R);
    assert.deepEqual({ acc: summary.acc, bwt: summary.bwt, fwt: summary.fwt }, continualMetrics(result.R, result.baseline));
    // Boundaries come before the train records of their task.
    const firstTask1Train = records.findIndex((r) => r.type === 'train' && (r as { sample?: number }).sample === 120);
    assert.ok(records.indexOf(boundaries[1]!) < firstTask1Train);
    if (result.prequential === null) {
      assert.equal(result.predictionsMissing, 300, 'no predictions: every sample counted as missing');
      assert.equal(records.filter((r) => r.type === 'prequential').length, 0);
    } else {
      assert.ok(result.prequential >= 0 && result.prequential <= 1);
      assert.equal(result.prequentialN, 300);
    }
    const again = await run();
    assert.deepEqual(again.result.R, result.R, 'deterministic learner, same seed: same accuracy matrix');
    assert.deepEqual(again.result.baseline, result.baseline);
  });

  test('`ffedge continual` writes the table, R matrices, logs and plots; `logs summary` prints R', async () => {
    const out = join(work, 'run');
    const r = await ffedge('continual', '--train-size', '500', '--eval-samples', '100', '--out', out, '-q');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /fine-tune\s+ff\s+\d+\.\d\s+-?\d+\.\d/);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(json.runs.length, 1);
    assert.equal(json.runs[0].R.length, 5);
    assert.equal(json.scenario.boundaries.length, 5);
    assert.match(readFileSync(join(out, 'results.txt'), 'utf8'), /R for fine-tune, ff/);
    assert.match(readFileSync(join(out, 'fine-tune-ff.svg'), 'utf8'), /data-panel="tasks"/);
    const records = parseLog(readFileSync(join(out, 'fine-tune-ff.jsonl'), 'utf8'));
    assert.equal(records.filter((x) => x.type === 'train').length, 500);
    const s = await ffedge('logs', 'summary', join(out, 'fine-tune-ff.jsonl'), '--svg', join(out, 's.svg'));
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /R\[i\]\[j\] \(%\)\s+task 0 idle/);
    assert.match(s.stdout, /after task 4/);
    assert.match(s.stdout, /ACC \d+\.\d%\s+BWT -?\d+\.\d points/);
  });

  test('bad input: unknown scenario, strategy, rule or drift lists the valid ones (exit 2); --help works', async () => {
    const help = await ffedge('continual', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--scenario/);
    const cases: [string[], RegExp][] = [
      [['--scenario', 'split'], /class-incremental, domain-drift, recurring, task-column/],
      [['--strategies', 'fine-tune,ewc'], /unknown strategy "ewc": use fine-tune, replay, replay\+detection/],
      [['--rules', 'sgd'], /unknown rule "sgd": use ff, hebbian-ff, pepita, backprop/],
      [['--scenario', 'domain-drift', '--drift', 'warp:2'], /gain:K, offset:B, noise:S, rotate:DEG/],
      [['--scenario', 'recurring'], /needs B: --drift SPEC/],
    ];
    for (const [args, message] of cases) {
      const r = await ffedge('continual', ...args, '--train-size', '100', '--out', join(work, 'bad'), '-q');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
