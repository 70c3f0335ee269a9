// The rule-comparison harness (host/compare): its metrics on cases with known
// answers, its command line, and a quick run end to end (table, JSON, SVG).

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { activity, activeFraction, hoyer, ensembleOverlap, linearCka } from '../host/compare/metrics.js';
import { compareRules, compareMarkdown, compareSvg, writeCompare, ruleConfig, parseArgs } from '../host/compare/index.js';
import { ALGORITHMS, OUTPUT_LAYER_ALGORITHMS } from '../host/learner/config.js';
import { parseXml, findAll } from './support/xml-check.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../host/compare/main.js', import.meta.url));

function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

test('linear CKA: 1 for the same representation up to rotation and scale, small for unrelated ones', () => {
  const rnd = random(3);
  const rows = Array.from({ length: 200 }, () => Array.from({ length: 6 }, rnd));
  const x = activity(rows);
  assert.ok(Math.abs(linearCka(x, x) - 1) < 1e-12);
  // Rotate the first two coordinates by 30 degrees, scale everything by 3, append a copy: still CKA 1.
  const c = Math.cos(Math.PI / 6),
    s = Math.sin(Math.PI / 6);
  const turned = activity(
    rows.map((r) => {
      const t = [3 * (c * r[0] - s * r[1]), 3 * (s * r[0] + c * r[1]), ...r.slice(2).map((v) => 3 * v)];
      return [...t, ...t];
    }),
  );
  assert.ok(Math.abs(linearCka(x, turned) - 1) < 1e-9, `${linearCka(x, turned)}`);
  const other = activity(Array.from({ length: 200 }, () => Array.from({ length: 6 }, random(7))));
  const unrelated = activity(Array.from({ length: 200 }, () => Array.from({ length: 6 }, rnd)));
  assert.ok(linearCka(x, unrelated) < 0.2, `${linearCka(x, unrelated)}`);
  assert.ok(Number.isNaN(linearCka(x, activity(rows.map(() => [1, 1])))), 'a constant representation has no CKA');
  assert.ok(other.count === 200);
  assert.throws(() => linearCka(x, activity(rows.slice(1))), TypeError);
});

test('sparsity and class ensembles on hand-made activities', () => {
  const oneHot = activity([
    [0, 2, 0, 0],
    [0, 0, 0, 5],
  ]);
  assert.equal(activeFraction(oneHot), 2 / 8);
  assert.ok(Math.abs(hoyer(oneHot) - 1) < 1e-12);
  const flat = activity([[1, 1, 1, 1]]);
  assert.equal(activeFraction(flat), 1);
  assert.ok(Math.abs(hoyer(flat)) < 1e-12);
  // Two classes on disjoint units: overlap 0; on the same units: overlap 1.
  const disjoint = activity([
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
  ]);
  assert.equal(ensembleOverlap(disjoint, [0, 0, 1, 1], 2, 0.2), 0);
  assert.equal(ensembleOverlap(disjoint, [0, 1, 0, 1], 2, 0.2), 1);
  assert.throws(() => ensembleOverlap(disjoint, [0, 1, 0, 1], 2, 0), RangeError);
});

test("every rule gets the same config but its output layer and the spiking rule's goodness scale", () => {
  const split = {
    train: { count: 100, inputSize: 20, inputs: new Float32Array(2000), labels: new Int32Array(100) },
    classes: 4,
    hidden: [16, 8],
    epochs: 2,
    overlay: 'prepend' as const,
    overlayValue: 1,
  };
  const ff = ruleConfig('ff', split);
  for (const algorithm of ALGORITHMS) {
    const c = ruleConfig(algorithm, split);
    assert.deepEqual(c.layers, OUTPUT_LAYER_ALGORITHMS.includes(algorithm) ? [16, 8, 4] : [16, 8], algorithm);
    const { layers, algorithm: _a, rule, threshold, temperature, ...rest } = c;
    const { layers: _l, algorithm: _b, rule: _r, threshold: t0, temperature: T0, ...base } = ff;
    assert.deepEqual(rest, base, algorithm);
    if (algorithm !== 'spiking-ff') assert.deepEqual([threshold, temperature], [t0, T0], algorithm);
  }
});

test('command line: defaults, lists, and mistakes named', () => {
  const d = parseArgs([]);
  assert.equal(d.out, 'out/compare');
  assert.equal(d.options.quick, false);
  assert.equal(d.options.wasm, 'simd');
  const q = parseArgs(['--quick', '--datasets', 'imu', '--rules', 'ff,backprop', '--epochs', '3', '--build', 'scalar', '--out', 'x']);
  assert.deepEqual(
    [q.options.quick, q.options.datasets, q.options.algorithms, q.options.epochs, q.options.wasm, q.out],
    [true, ['imu'], ['ff', 'backprop'], 3, 'scalar', 'x'],
  );
  assert.throws(() => parseArgs(['--fast']), { name: 'TypeError', message: /unknown option '--fast' \(see --help\)/ });
  assert.throws(() => parseArgs(['--build', 'gpu']), {
    name: 'TypeError',
    message: /--build <build>' argument 'gpu' is invalid. Allowed choices are simd, scalar/,
  });
  assert.throws(() => parseArgs(['--epochs']), { name: 'TypeError', message: /--epochs <n>' argument missing/ });
  assert.throws(() => parseArgs(['--epochs', '-1']), { name: 'TypeError', message: /--epochs <n>' argument '-1' is invalid. It must be an integer >= 0/ });
  assert.equal(parseArgs(['--help']).help, true);
});

test('node dist/host/compare/main.js --help prints the usage', async () => {
  const { stdout } = await run(process.execPath, [main, '--help']);
  assert.match(stdout, /^Usage: node dist\/host\/compare\/main.js \[options\]/);
  assert.match(stdout, /--quick/);
});

test('a quick comparison writes one table (markdown + JSON) and an SVG with every rule', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-compare-'));
  try {
    const result = await compareRules({ quick: true, datasets: ['imu'], timeBudgetSeconds: 5 });
    const [imu] = result.datasets;
    assert.deepEqual(
      imu.rules.map((r) => r.algorithm),
      [...ALGORITHMS],
    );
    for (const r of imu.rules) {
      assert.equal(r.error, undefined, `${r.algorithm}: ${r.error}`);
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.samples > 0 && r.arenaBytes > 0 && r.wasmBytes === result.wasmBytes, r.algorithm);
      assert.equal(r.layers.length, 2, r.algorithm);
      for (const l of r.layers)
        assert.ok(
          l.active >= 0 && l.active <= 1 && l.hoyer >= 0 && l.hoyer <= 1 + 1e-9 && l.ensembleOverlap >= 0 && l.ensembleOverlap <= 1,
          `${r.algorithm} ${JSON.stringify(l)}`,
        );
    }
    const n = ALGORITHMS.length;
    assert.equal(imu.cka.matrix.length, n);
    imu.cka.matrix.forEach((row, i) =>
      row.forEach((v, j) => {
        assert.ok(v >= -1e-9 && v <= 1 + 1e-9, `cka[${i}][${j}] = ${v}`);
        assert.ok(Math.abs(v - imu.cka.matrix[j][i]) < 1e-9, 'symmetric');
      }),
    );
    // hebbian-ff is ff with a rescaled step: under Adam they learn the same representation.
    assert.ok(imu.cka.matrix[0][1] > 0.95, `ff vs hebbian-ff CKA ${imu.cka.matrix[0][1]}`);

    const markdown = compareMarkdown(result);
    assert.match(
      markdown,
      /\| rule \| test accuracy \| head accuracy \| train s \| samples\/s \| arena bytes \| wasm bytes \| active \| Hoyer \| ensemble overlap \|/,
    );
    for (const a of ALGORITHMS) assert.match(markdown, new RegExp(`^\\| ${a} \\|`, 'm'));
    const svg = parseXml(compareSvg(result));
    assert.equal(svg.name, 'svg');
    const bars = findAll(svg, (e) => e.name === 'rect' && e.attrs['data-value'] !== undefined && e.attrs['data-algorithm'] !== undefined);
    assert.deepEqual(
      bars.map((b) => b.attrs['data-algorithm']),
      [...ALGORITHMS],
    );
    assert.equal(findAll(svg, (e) => e.attrs['data-column'] !== undefined).length, n * n);

    const paths = await writeCompare(result, dir);
    const json = JSON.parse(await readFile(paths.json, 'utf8'));
    assert.equal(json.datasets[0].rules.length, n);
    assert.equal((await readFile(paths.markdown, 'utf8')).trim(), markdown.trim());
    parseXml(await readFile(paths.svg, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('representationMetrics reads any configured learner; unlabelled samples count for sparsity, not ensembles', async () => {
  const { Learner } = await import('../host/learner/learner.js');
  const { representationMetrics } = await import('../host/compare/compare.js');
  const learner = await Learner.load();
  learner.configure({ inputSize: 12, layers: [10, 8, 3], classes: 3, algorithm: 'backprop' });
  const rnd = random(5);
  const data = {
    count: 30,
    inputSize: 12,
    inputs: Float32Array.from({ length: 360 }, rnd),
    labels: Int32Array.from({ length: 30 }, (_, i) => (i === 0 ? -1 : i % 3)),
  };
  const { layers, activities } = representationMetrics(learner, data, 3);
  assert.deepEqual(
    layers.map((l) => l.width),
    [10, 8],
    'hidden layers only',
  );
  assert.equal(activities[0].count, 30);
  for (const l of layers) assert.ok(l.active >= 0 && l.active <= 1 && Number.isFinite(l.ensembleOverlap), JSON.stringify(l));
});
