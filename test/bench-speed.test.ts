// The speed bench's machinery (host/bench/speed.ts), not its timings: a --quick
// run on one tiny model with every runtime this machine has (native builds in a
// temporary folder), then the shape of the report, the ratios recomputed from
// the run's own samples, and the same-work check. No assertion on speed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateTargets, runSpeedBench, type SpeedReport, type SpeedResult } from '../host/bench/speed.js';
import { benchModel, parseSpeedLine, RUNTIMES } from '../host/bench/speed-runtimes.js';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

test('benchModel: parameters of the label-prepended network', () => {
  assert.equal(benchModel('784-500-500').params, (794 + 1) * 500 + (500 + 1) * 500);
  assert.equal(benchModel('32-16').params, (42 + 1) * 16);
  assert.deepEqual(benchModel('64-64').config.layers, [64]);
  assert.throws(() => benchModel('784'), TypeError);
  assert.throws(() => benchModel('784-x'), TypeError);
});

test("parseSpeedLine reads the native drivers' line", () => {
  const line = parseSpeedLine(
    'ffedge-speed impl=c-strict params=688 warmup=2 steps=5 repeats=3 ns_per_step=2500.0 ns=2400.5,2500.0,2600.0 weights_fnv=0x0badf00d status=0\n',
  );
  assert.deepEqual(line, { impl: 'c-strict', params: 688, nsPerStep: [2400.5, 2500, 2600], weightsFnv: 0x0badf00d, status: 0 });
  assert.throws(() => parseSpeedLine('nothing here'), /no ffedge-speed line/);
});

test('evaluateTargets: the flatness window and the SIMD target from known ratios', () => {
  const row = (
    model: string,
    params: number,
    runtime: SpeedResult['runtime'],
    nsPerParam: number,
    vsFast: number | null,
    vsStrict: number | null,
  ): SpeedResult => ({
    model,
    params,
    runtime,
    nsPerStep: nsPerParam * params,
    nsPerParam,
    samples: [],
    rounds: 1,
    steps: 1,
    repeats: 1,
    warmup: 0,
    timeVsCStrict: vsStrict,
    timeVsCFastMath: vsFast,
    sameWeightsAsCStrict: null,
  });
  const t = evaluateTargets([
    row('32-16', 688, 'v8-simd', 9, null, null), // under 10k parameters: not part of the window
    row('96-96', 10272, 'v8-simd', 2.0, null, null),
    row('784-500', 397500, 'v8-simd', 2.2, null, null),
    row('784-500-500', 648000, 'v8-simd', 1.8, 1.2, 0.5),
    row('96-96', 10272, 'c-strict', 3, null, 1),
    row('784-500-500', 648000, 'c-strict', 5, null, 1),
  ]);
  assert.equal(t.simdVsFastMath.speedVsCFastMath!.toFixed(4), (1 / 1.2).toFixed(4));
  assert.equal(t.simdVsFastMath.speedVsCStrict, 2);
  assert.equal(t.simdVsFastMath.met, true);
  const simd = t.flatness.find((f) => f.runtime === 'v8-simd')!;
  assert.deepEqual(simd.models, ['96-96', '784-500', '784-500-500']);
  assert.equal(simd.median, 2.0);
  assert.ok(Math.abs(simd.low - -0.1) < 1e-12 && Math.abs(simd.high - 0.1) < 1e-12 && simd.met);
  const strict = t.flatness.find((f) => f.runtime === 'c-strict')!;
  assert.equal(strict.met, false, '3 and 5 ns/param are 25% off their median 4');
});

describe('runSpeedBench --quick on one tiny model', () => {
  let dir = '';
  let report: SpeedReport;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ffedge-speed-'));
    report = await runSpeedBench({ quick: true, sizes: ['32-16'], buildDir: join(dir, 'build'), outDir: join(dir, 'out') });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every runtime is either measured or skipped with a reason', () => {
    assert.deepEqual(
      report.runtimes.map((r) => r.id),
      RUNTIMES.map((r) => r.id),
    );
    for (const r of report.runtimes) {
      if (r.available)
        assert.ok(
          report.results.some((x) => x.runtime === r.id),
          `${r.id} available but not measured`,
        );
      else assert.match(r.skipped ?? '', /\S/, `${r.id} skipped without a reason`);
    }
    const skippedText =
      report.runtimes
        .filter((r) => !r.available)
        .map((r) => r.id)
        .join(', ') || 'none';
    console.log(`# measured: ${report.results.map((r) => r.runtime).join(', ')}; skipped: ${skippedText}`);
    assert.ok(report.results.some((r) => r.runtime === 'v8-scalar') && report.results.some((r) => r.runtime === 'v8-simd'));
  });

  test("the JSON on disk has the report's fields", async () => {
    const onDisk = JSON.parse(await readFile(join(dir, 'out', 'speed.json'), 'utf8')) as SpeedReport;
    assert.equal(onDisk.version, 1);
    assert.equal(onDisk.quick, true);
    assert.deepEqual(onDisk.models, [{ name: '32-16', inputSize: 32, layers: [16], params: 688 }]);
    assert.deepEqual(onDisk.method, { rounds: 1, repeats: 3, targetMs: null, steps: 5, reference: 'c-strict' });
    assert.equal(onDisk.results.length, report.results.length);
    for (const key of ['machine', 'options', 'runtimes', 'results', 'm4', 'wasm', 'targets', 'seconds'] as const) assert.ok(key in onDisk, key);
    assert.deepEqual(
      onDisk.wasm.map((w) => w.build),
      ['scalar', 'simd'],
    );
    for (const w of onDisk.wasm) assert.ok(w.bytes > 0 && w.compileMs >= 0 && w.instantiateMs >= 0);
    assert.equal(onDisk.m4.length, 0, '--quick does not run QEMU');
  });

  test('each figure is the median of its runs, per parameter too', () => {
    for (const r of report.results) {
      assert.equal(r.samples.length, r.rounds * r.repeats, r.runtime);
      assert.ok(
        r.samples.every((ns) => ns > 0),
        r.runtime,
      );
      assert.equal(r.nsPerStep, median(r.samples));
      assert.equal(r.nsPerParam, r.nsPerStep / r.params);
    }
  });

  test('ratios come from the C reference timed in the same run', (t) => {
    const strict = report.results.find((r) => r.runtime === 'c-strict');
    if (!strict) {
      t.skip('no C strict on this machine: ratios are null');
      return;
    }
    assert.equal(strict.timeVsCStrict, 1);
    for (const r of report.results) {
      // One round: the ratio is this run's median over C strict's median.
      assert.ok(Math.abs(r.timeVsCStrict! - median(r.samples) / median(strict.samples)) < 1e-12, r.runtime);
      const fast = report.results.find((x) => x.runtime === 'c-fast-math');
      if (fast) assert.ok(Math.abs(r.timeVsCFastMath! - median(r.samples) / median(fast.samples)) < 1e-12, r.runtime);
    }
  });

  test('the bit-exact runtimes did the same work (same weights as C strict)', (t) => {
    const checked = report.results.filter((r) => r.sameWeightsAsCStrict !== null);
    if (checked.length === 0) {
      t.skip('no C strict on this machine');
      return;
    }
    for (const r of checked) assert.equal(r.sameWeightsAsCStrict, true, `${r.runtime} ended with other weights than C strict`);
    assert.deepEqual(
      checked.map((r) => r.runtime).sort(),
      RUNTIMES.filter((x) => x.bitExact && report.results.some((r) => r.runtime === x.id))
        .map((x) => x.id)
        .sort(),
    );
  });

  test('markdown and SVG name every measured runtime', async () => {
    const md = await readFile(join(dir, 'out', 'speed.md'), 'utf8');
    const svg = await readFile(join(dir, 'out', 'speed.svg'), 'utf8');
    assert.match(md, /\| 32-16 \| 688 \|/);
    assert.match(md, /wasm2c of the SIMD build: not possible with the installed wabt 1\.0\.32/);
    assert.ok(svg.startsWith('<svg'));
    for (const r of report.results) {
      const label = RUNTIMES.find((x) => x.id === r.runtime)!.label;
      assert.ok(md.includes(label), `${label} missing from speed.md`);
      if (r.runtime !== 'ts-reference') assert.ok(svg.includes(`data-series="${r.runtime}"`), `${r.runtime} missing from speed.svg`);
    }
  });
});
