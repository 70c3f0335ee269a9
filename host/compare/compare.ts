// One harness for every learning rule (papers/004): the same data split, the
// same seed, the same hidden layers and the same memory budget for each rule
// in the learner (host/learner/config.ts: ALGORITHMS), trained in-process on
// ff-core.wasm (the SIMD build by default). For each dataset and rule it
// measures test accuracy (the rule's own prediction), training seconds,
// samples/s, arena bytes, wasm bytes and the representation of its hidden
// layers on test samples (active fraction, Hoyer sparseness, class-ensemble
// overlap: metrics.ts), and a linear-CKA matrix between the rules' top hidden
// layers. Results: CompareResult (JSON), compareMarkdown(), compareSvg().
//
// Settings are one per dataset, the same for every rule (RULE_SETTINGS lists
// the only per-rule ones): Adam, eta 0.003 falling linearly to 5% over the run
// (head 0.001), batch 16, seed 1, mean-squares goodness with theta 2, rule
// parameters at their defaults (RULE_PARAMETERS). The spiking rule's goodness
// is of spike rates in [0, 1], so it gets theta 0.2 and T 0.1. Representations
// are read with the true label overlaid where a rule reads labels: the network
// seeing a positive sample, as papers/000 measures it.
//
// Non-goals: hyper-parameter search, several seeds, confidence intervals.

import { readFile, stat, mkdir, writeFile } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { Learner } from '../learner/learner.js';
import { fit, evaluate } from '../learner/fit.js';
import { ArenaTooSmallError, LearnerError } from '../learner/errors.js';
import { ALGORITHMS, OUTPUT_LAYER_ALGORITHMS, RULE_PARAMETERS, type Algorithm, type LearnerConfig } from '../learner/config.js';
import { loadMnist, MNIST_CLASSES, MNIST_INPUT_SIZE } from '../sources/mnist.js';
import { generateImuGestures, GESTURES } from '../sources/imu-gestures.js';
import type { PackedSamples } from '../sources/sample.js';
import { wasmPath, packageRoot } from '../paths.js';
import { activity, activeFraction, hoyer, ensembleOverlap, linearCka, type Activity } from './metrics.js';
import { escapeXml, niceTicks } from '../logs/plot-svg.js';

export const COMPARE_DATASETS = ['mnist', 'imu'] as const;
export type CompareDataset = (typeof COMPARE_DATASETS)[number];

export interface CompareOptions {
  /** Default: both. */
  datasets?: CompareDataset[];
  /** Default: every algorithm. */
  algorithms?: Algorithm[];
  /** Epochs per rule; default 4 on MNIST, 10 on IMU (1 and 2 in quick mode). */
  epochs?: number;
  /**
   * Training seconds per rule and dataset at most; default 120 (10 quick): a
   * safety cap, not a setting. A rule stopped by it has seen fewer samples
   * (the table says so), which makes the result depend on the machine's load.
   */
  timeBudgetSeconds?: number;
  /** Small subsets, narrow layers and few epochs: seconds, for tests and smoke runs. */
  quick?: boolean;
  /** Seed of the weights and of the epoch order; default 1. */
  seed?: number;
  /** Linear-memory bytes every rule may use (setMemoryLimit); default 16 MiB. */
  memoryLimit?: number;
  /** "simd" (default), "scalar", or a path to an ff-core wasm. */
  wasm?: string;
  /** Test samples whose hidden activities are measured; default 500 (100 quick). */
  representationSamples?: number;
  /** The command to record in the result (default: this process's arguments). */
  command?: string;
  /** Called as each rule starts and ends (for progress output). */
  onProgress?: (event: CompareProgress) => void;
}

export type CompareProgress =
  | { phase: 'start'; dataset: CompareDataset; algorithm: Algorithm; index: number; total: number }
  | { phase: 'done'; dataset: CompareDataset; algorithm: Algorithm; index: number; total: number; result: RuleResult };

export interface LayerRepresentation {
  layer: number;
  width: number;
  active: number;
  hoyer: number;
  ensembleOverlap: number;
}

export interface RuleResult {
  algorithm: Algorithm;
  /** Set when the rule could not run (e.g. its arena does not fit the budget); the figures are then NaN. */
  error?: string;
  /** Test accuracy of the rule's own prediction (FF family by goodness, "ed" by its energy head, output family by its output). */
  accuracy: number;
  /** Test accuracy of the softmax head, where the rule has one besides its own prediction. */
  headAccuracy?: number;
  trainSeconds: number;
  samples: number;
  samplesPerSecond: number;
  epochs: number;
  stoppedByBudget: boolean;
  arenaBytes: number;
  paramsBytes: number;
  wasmBytes: number;
  /** Hidden layers only (the output family's output layer is not a representation). */
  layers: LayerRepresentation[];
  /** Means over the hidden layers. */
  active: number;
  hoyer: number;
  ensembleOverlap: number;
  /** The layer used for CKA: the top hidden layer. */
  ckaLayer: number;
  config: LearnerConfig;
}

export interface DatasetResult {
  dataset: CompareDataset;
  description: string;
  trainCount: number;
  testCount: number;
  inputSize: number;
  classes: number;
  hidden: number[];
  epochs: number;
  rules: RuleResult[];
  /** Linear CKA between the rules' top hidden layers on the same test samples (NaN where a rule failed). */
  cka: { algorithms: Algorithm[]; matrix: number[][]; samples: number };
}

export interface CompareResult {
  createdAt: string;
  command: string;
  node: string;
  wasm: string;
  wasmBytes: number;
  /** Size of the scalar release build build/ff-core.wasm (the one for MCUs), if built. */
  coreWasmBytes: number | null;
  memoryLimit: number;
  seed: number;
  quick: boolean;
  datasets: DatasetResult[];
}

/** The only per-rule settings, and why (see the top of the file). */
export const RULE_SETTINGS: Partial<Record<Algorithm, Partial<LearnerConfig>>> = {
  'spiking-ff': { threshold: 0.2, temperature: 0.1 },
};

interface Split {
  description: string;
  train: PackedSamples;
  test: PackedSamples;
  classes: number;
  hidden: number[];
  epochs: number;
  overlay: 'replace' | 'prepend';
  overlayValue: number;
}

function subset(data: PackedSamples, count: number): PackedSamples {
  // Evenly spaced samples: the stored MNIST order is digit-major, so this keeps the classes balanced.
  const n = Math.min(count, data.count);
  const inputs = new Float32Array(n * data.inputSize),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * data.count) / n);
    inputs.set(data.inputs.subarray(k * data.inputSize, (k + 1) * data.inputSize), i * data.inputSize);
    labels[i] = data.labels[k];
  }
  return { count: n, inputSize: data.inputSize, inputs, labels };
}

function loadSplit(dataset: CompareDataset, quick: boolean, epochs: number | undefined): Split {
  if (dataset === 'mnist') {
    const { train, test } = loadMnist();
    return {
      description: quick ? 'MNIST split (host/sources/mnist.ts), quick subset' : 'MNIST, the fixed split of host/sources/mnist.ts',
      train: quick ? subset(train, 600) : train,
      test: quick ? subset(test, 200) : test,
      classes: MNIST_CLASSES,
      hidden: quick ? [32, 32] : [256, 256],
      epochs: epochs ?? (quick ? 1 : 4),
      overlay: 'replace',
      overlayValue: 3,
    };
  }
  const total = quick ? 400 : 2500,
    trainCount = quick ? 300 : 2000;
  const all = generateImuGestures(total, { seed: 1 });
  const part = (from: number, to: number): PackedSamples => ({
    count: to - from,
    inputSize: all.inputSize,
    inputs: all.inputs.slice(from * all.inputSize, to * all.inputSize),
    labels: all.labels.slice(from, to),
  });
  return {
    description: `synthetic IMU gestures (host/sources/imu-gestures.ts, seed 1): windows 0..${trainCount - 1} train, ${trainCount}..${total - 1} test`,
    train: part(0, trainCount),
    test: part(trainCount, total),
    classes: GESTURES.length,
    hidden: quick ? [32, 32] : [128, 128],
    epochs: epochs ?? (quick ? 2 : 10),
    overlay: 'prepend',
    overlayValue: 1,
  };
}

/** The config a rule runs with on a split: the same for every rule but RULE_SETTINGS and the output layer. */
export function ruleConfig(
  algorithm: Algorithm,
  split: Pick<Split, 'train' | 'classes' | 'hidden' | 'epochs' | 'overlay' | 'overlayValue'>,
  seed = 1,
): LearnerConfig {
  const batch = 16;
  const output = OUTPUT_LAYER_ALGORITHMS.includes(algorithm);
  return {
    inputSize: split.train.inputSize,
    classes: split.classes,
    layers: output ? [...split.hidden, split.classes] : [...split.hidden],
    algorithm,
    goodness: 'mean-squares',
    threshold: 2,
    temperature: 1,
    optimizer: 'adam',
    learningRate: 0.003,
    headLearningRate: 0.001,
    decaySteps: split.epochs * Math.ceil(split.train.count / batch),
    finalRate: 0.05,
    negatives: 'random',
    overlay: split.overlay,
    overlayValue: split.overlayValue,
    batch,
    seed,
    rule: [...RULE_PARAMETERS[algorithm].defaults],
    ...RULE_SETTINGS[algorithm],
  };
}

async function wasmFile(choice: string | undefined): Promise<string> {
  if (choice === undefined || choice === 'simd') return wasmPath('ff-core.simd');
  if (choice === 'scalar') return wasmPath('ff-core');
  return choice;
}

/** A path inside the package as relative to its root (results carry no machine paths). */
function relativeToPackage(path: string): string {
  const inside = relative(packageRoot, path);
  return isAbsolute(path) && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Trains and measures every rule on every dataset. */
export async function compareRules(options: CompareOptions = {}): Promise<CompareResult> {
  const quick = options.quick ?? false;
  const datasets = options.datasets ?? [...COMPARE_DATASETS];
  const algorithms = options.algorithms ?? [...ALGORITHMS];
  for (const d of datasets)
    if (!COMPARE_DATASETS.includes(d)) throw new TypeError(`datasets: unknown dataset ${JSON.stringify(d)}; use ${COMPARE_DATASETS.join(', ')}`);
  for (const a of algorithms) if (!ALGORITHMS.includes(a)) throw new TypeError(`algorithms: unknown rule ${JSON.stringify(a)}; use ${ALGORITHMS.join(', ')}`);
  if (options.epochs !== undefined && !(Number.isInteger(options.epochs) && options.epochs >= 1))
    throw new TypeError(`epochs must be a positive integer, got ${options.epochs}`);
  const budget = options.timeBudgetSeconds ?? (quick ? 10 : 120);
  if (!(budget > 0)) throw new TypeError(`timeBudgetSeconds must be > 0, got ${budget}`);
  const memoryLimit = options.memoryLimit ?? 16 * 1024 * 1024;
  if (!Number.isInteger(memoryLimit) || memoryLimit < 0) throw new TypeError(`memoryLimit must be a non-negative integer (bytes), got ${memoryLimit}`);
  const seed = options.seed ?? 1;
  const representationSamples = options.representationSamples ?? (quick ? 100 : 500);
  const file = await wasmFile(options.wasm);
  const bytes = await readFile(file).catch((e: Error) => {
    throw new Error(`cannot read ${file}: ${e.message} (build it with npm run build:wasm)`);
  });
  const wasmBytes = bytes.length;

  const results: DatasetResult[] = [];
  const total = datasets.length * algorithms.length;
  let index = 0;
  for (const dataset of datasets) {
    const split = loadSplit(dataset, quick, options.epochs);
    const probe = subset(split.test, representationSamples);
    const rules: RuleResult[] = [];
    const top: Array<Activity | null> = [];
    for (const algorithm of algorithms) {
      options.onProgress?.({ phase: 'start', dataset, algorithm, index, total });
      const config = ruleConfig(algorithm, split, seed);
      const { result, representation } = await runRule(bytes, wasmBytes, memoryLimit, config, split, probe, budget);
      rules.push(result);
      top.push(representation);
      options.onProgress?.({ phase: 'done', dataset, algorithm, index, total, result });
      index++;
    }
    const matrix = top.map((x, i) => top.map((y, j) => (x && y ? (i === j ? 1 : linearCka(x, y)) : NaN)));
    results.push({
      dataset,
      description: split.description,
      trainCount: split.train.count,
      testCount: split.test.count,
      inputSize: split.train.inputSize,
      classes: split.classes,
      hidden: split.hidden,
      epochs: split.epochs,
      rules,
      cka: { algorithms, matrix, samples: probe.count },
    });
  }
  return {
    createdAt: new Date().toISOString(),
    command:
      options.command ??
      process.argv
        .slice(1)
        .map((a) => relativeToPackage(a))
        .join(' '),
    node: process.version,
    wasm: relativeToPackage(file),
    wasmBytes,
    coreWasmBytes: await fileSize(wasmPath('ff-core')),
    memoryLimit,
    seed,
    quick,
    datasets: results,
  };
}

async function runRule(
  bytes: Uint8Array,
  wasmBytes: number,
  memoryLimit: number,
  config: LearnerConfig,
  split: Split,
  probe: PackedSamples,
  budget: number,
): Promise<{ result: RuleResult; representation: Activity | null }> {
  const algorithm = config.algorithm!;
  const failed = (error: string): { result: RuleResult; representation: null } => ({
    result: {
      algorithm,
      error,
      accuracy: NaN,
      trainSeconds: NaN,
      samples: 0,
      samplesPerSecond: NaN,
      epochs: 0,
      stoppedByBudget: false,
      arenaBytes: NaN,
      paramsBytes: NaN,
      wasmBytes,
      layers: [],
      active: NaN,
      hoyer: NaN,
      ensembleOverlap: NaN,
      ckaLayer: -1,
      config,
    },
    representation: null,
  });
  const learner = await Learner.load({ wasm: bytes, memoryLimit });
  let arenaBytes: number, paramsBytes: number;
  try {
    ({ arenaBytes, paramsBytes } = learner.configure(config));
  } catch (e) {
    if (e instanceof ArenaTooSmallError) return failed(`needs ${e.bytesNeeded} bytes of linear memory; the budget is ${memoryLimit}`);
    if (e instanceof LearnerError) return failed(e.message);
    throw e;
  }
  const run = await fit(learner, split.train, { epochs: split.epochs, seed: config.seed, timeBudgetSeconds: budget });
  const accuracy = evaluate(learner, split.test, 'goodness', split.classes).accuracy;
  const withHead = learner.current!.softmaxHead && algorithm !== 'ed';
  const headAccuracy = withHead ? evaluate(learner, split.test, 'head', split.classes).accuracy : undefined;

  const { layers, activities } = representationMetrics(learner, probe, split.classes);
  const hiddenCount = layers.length;
  return {
    result: {
      algorithm,
      accuracy,
      ...(headAccuracy !== undefined ? { headAccuracy } : {}),
      trainSeconds: run.trainSeconds,
      samples: run.samples,
      samplesPerSecond: run.samples / run.trainSeconds,
      epochs: run.epochs,
      stoppedByBudget: run.stoppedByBudget,
      arenaBytes,
      paramsBytes,
      wasmBytes,
      layers,
      active: mean(layers.map((l) => l.active)),
      hoyer: mean(layers.map((l) => l.hoyer)),
      ensembleOverlap: mean(layers.map((l) => l.ensembleOverlap)),
      ckaLayer: hiddenCount - 1,
      config,
    },
    representation: activities[hiddenCount - 1],
  };
}

/**
 * The hidden layers' representation of `data` (every sample; the true label
 * overlaid where the rule reads one): per layer active fraction, Hoyer
 * sparseness and class-ensemble overlap (metrics.ts), and the activities
 * themselves for CKA. For any configured learner, e.g. after an evaluation.
 */
export function representationMetrics(learner: Learner, data: PackedSamples, classes: number): { layers: LayerRepresentation[]; activities: Activity[] } {
  const config = learner.current;
  if (!config) throw new TypeError('representationMetrics: configure the learner first');
  const hiddenCount = config.layers.length - (OUTPUT_LAYER_ALGORITHMS.includes(config.algorithm) ? 1 : 0);
  const D = data.inputSize;
  const perLayer: number[][][] = Array.from({ length: hiddenCount }, () => []);
  for (let s = 0; s < data.count; s++) {
    const label = data.labels[s];
    const layers = learner.represent(data.inputs.subarray(s * D, (s + 1) * D), label >= 0 && label < classes ? label : -1);
    for (let l = 0; l < hiddenCount; l++) perLayer[l].push(Array.from(layers[l]));
  }
  const activities = perLayer.map((rows) => activity(rows));
  const labelled = Array.from(data.labels, (y) => (y >= 0 && y < classes ? y : -1));
  const keep = labelled.map((y, i) => (y >= 0 ? i : -1)).filter((i) => i >= 0);
  const layers = activities.map((a, l) => ({
    layer: l,
    width: a.width,
    active: activeFraction(a),
    hoyer: hoyer(a),
    ensembleOverlap:
      keep.length === a.count
        ? ensembleOverlap(a, labelled, classes)
        : ensembleOverlap(
            activity(keep.map((i) => perLayer[l][i])),
            keep.map((i) => labelled[i]),
            classes,
          ),
  }));
  return { layers, activities };
}

// ---- output ----

const SHORT: Record<Algorithm, string> = {
  ff: 'FF',
  'hebbian-ff': 'Hebb',
  'spiking-ff': 'Spike',
  pepita: 'PEP',
  'pepita-mirror': 'PEP-WM',
  ed: 'ED',
  backprop: 'BP',
  'backprop-ff': 'BP-FF',
  'feedback-alignment': 'FA',
};

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '-');
const fixed = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const whole = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '-');

/** What a --quick table is for, said where its numbers are read. */
export const QUICK_NOTE =
  '**Smoke test, not a comparison:** `--quick` trains 32-32 layers for 1-2 epochs on a few hundred samples, ' +
  'so most accuracies are near chance and rank nothing. It checks that every rule runs; run without `--quick` to compare the rules.';

/** The results as markdown: one table per dataset and its CKA matrix. */
export function compareMarkdown(result: CompareResult): string {
  const out: string[] = [];
  out.push(`# Learning rules compared${result.quick ? ' (quick run: a smoke test)' : ''}`, '');
  if (result.quick) out.push(QUICK_NOTE, '');
  out.push(
    `${result.createdAt}, Node ${result.node}, \`${result.wasm}\` (${result.wasmBytes} bytes; scalar release ff-core.wasm ${result.coreWasmBytes ?? 'not built'} bytes), ` +
      `memory budget ${result.memoryLimit} bytes per rule, seed ${result.seed}. Command: \`${result.command}\`.`,
    '',
  );
  for (const d of result.datasets) {
    out.push(`## ${d.dataset === 'mnist' ? 'MNIST' : 'IMU gestures'}`, '');
    out.push(
      `${d.description}: ${d.trainCount} train / ${d.testCount} test, ${d.inputSize} inputs, ${d.classes} classes; hidden layers ${d.hidden.join('-')}, ` +
        `${d.epochs} epochs at most per rule. Sparsity and ensembles: hidden layers on ${d.cka.samples} test samples (mean over layers).`,
      '',
    );
    out.push('| rule | test accuracy | head accuracy | train s | samples/s | arena bytes | wasm bytes | active | Hoyer | ensemble overlap |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of d.rules) {
      const note = r.error ? ` (${r.error})` : r.stoppedByBudget ? ` (time budget: ${r.samples} samples)` : '';
      out.push(
        `| ${r.algorithm}${note} | ${pct(r.accuracy)} | ${r.headAccuracy === undefined ? '' : pct(r.headAccuracy)} | ${fixed(r.trainSeconds, 1)} | ${whole(r.samplesPerSecond)} | ` +
          `${whole(r.arenaBytes)} | ${r.wasmBytes} | ${fixed(r.active)} | ${fixed(r.hoyer)} | ${fixed(r.ensembleOverlap)} |`,
      );
    }
    out.push('', `Linear CKA between the rules' top hidden layers (${d.cka.samples} test samples):`, '');
    out.push(`| | ${d.cka.algorithms.map((a) => SHORT[a]).join(' | ')} |`);
    out.push(`|---|${d.cka.algorithms.map(() => '---:').join('|')}|`);
    d.cka.matrix.forEach((row, i) => out.push(`| ${SHORT[d.cka.algorithms[i]]} | ${row.map((v) => fixed(v)).join(' | ')} |`));
    out.push('');
  }
  return out.join('\n');
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** Per dataset: test accuracy bars, sparsity bars (active, Hoyer) and the CKA heatmap, as one SVG. */
export function compareSvg(result: CompareResult): string {
  const rowHeight = 16,
    panelGap = 40,
    outer = 16,
    header = 56;
  const labelWidth = 130,
    barWidth = 230,
    cell = 28;
  const heights = result.datasets.map((d) => 60 + Math.max(d.rules.length * rowHeight, d.cka.algorithms.length * cell + 40));
  const width = outer * 2 + 2 * (labelWidth + barWidth + panelGap) + 60 + Math.max(...result.datasets.map((d) => d.cka.algorithms.length)) * cell + 40;
  const height = header + heights.reduce((a, b) => a + b, 0) + outer;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, 'DejaVu Sans', sans-serif" font-size="11" fill="#222">`,
  );
  out.push(`<title>Learning rules compared</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${outer}" y="28" font-size="18" font-weight="bold">Learning rules compared${result.quick ? ' (quick run)' : ''}</text>`);
  out.push(
    `<text x="${outer}" y="46" font-size="12" fill="#555">${escapeXml(`same split, seed ${result.seed} and memory budget per dataset; ${result.createdAt}`)}</text>`,
  );
  let y0 = header;
  result.datasets.forEach((d, k) => {
    const name = d.dataset === 'mnist' ? 'MNIST' : 'IMU gestures';
    out.push(`<g data-dataset="${d.dataset}">`);
    out.push(
      `<text x="${outer}" y="${y0 + 16}" font-size="14" font-weight="bold">${escapeXml(`${name}: ${d.trainCount} train / ${d.testCount} test, hidden ${d.hidden.join('-')}`)}</text>`,
    );
    const top = y0 + 44;
    // Accuracy bars.
    const ax = outer + labelWidth;
    out.push(`<g data-panel="accuracy"><text x="${ax}" y="${top - 8}" font-weight="bold">test accuracy</text>`);
    for (const t of niceTicks(0, 1, 5)) {
      const x = ax + t * barWidth;
      out.push(`<line x1="${num(x)}" y1="${top - 2}" x2="${num(x)}" y2="${top + d.rules.length * rowHeight}" stroke="#ddd"/>`);
      out.push(`<text x="${num(x)}" y="${top + d.rules.length * rowHeight + 12}" text-anchor="middle" fill="#555">${Math.round(t * 100)}%</text>`);
    }
    d.rules.forEach((r, i) => {
      const y = top + i * rowHeight;
      out.push(`<text x="${ax - 6}" y="${y + 11}" text-anchor="end">${escapeXml(r.algorithm)}</text>`);
      const w = Number.isFinite(r.accuracy) ? r.accuracy * barWidth : 0;
      out.push(
        `<rect x="${ax}" y="${y + 2}" width="${num(w)}" height="${rowHeight - 4}" fill="#4878a8" data-algorithm="${r.algorithm}" data-value="${r.accuracy}"/>`,
      );
      out.push(`<text x="${num(ax + w + 4)}" y="${y + 11}" fill="#333">${pct(r.accuracy)}</text>`);
    });
    out.push(`</g>`);
    // Sparsity: active fraction and Hoyer, two thin bars per rule.
    const sx = ax + barWidth + panelGap + labelWidth;
    out.push(
      `<g data-panel="sparsity"><text x="${sx}" y="${top - 8}" font-weight="bold">hidden layers: <tspan fill="#d08030">active fraction</tspan>, <tspan fill="#5a9a5a">Hoyer</tspan></text>`,
    );
    for (const t of niceTicks(0, 1, 5)) {
      const x = sx + t * barWidth;
      out.push(`<line x1="${num(x)}" y1="${top - 2}" x2="${num(x)}" y2="${top + d.rules.length * rowHeight}" stroke="#ddd"/>`);
      out.push(`<text x="${num(x)}" y="${top + d.rules.length * rowHeight + 12}" text-anchor="middle" fill="#555">${t.toFixed(1)}</text>`);
    }
    d.rules.forEach((r, i) => {
      const y = top + i * rowHeight;
      out.push(`<text x="${sx - 6}" y="${y + 11}" text-anchor="end">${escapeXml(r.algorithm)}</text>`);
      const a = Number.isFinite(r.active) ? r.active : 0,
        h = Number.isFinite(r.hoyer) ? r.hoyer : 0;
      out.push(
        `<rect x="${sx}" y="${y + 2}" width="${num(a * barWidth)}" height="5" fill="#d08030" data-algorithm="${r.algorithm}" data-active="${r.active}"/>`,
      );
      out.push(`<rect x="${sx}" y="${y + 8}" width="${num(h * barWidth)}" height="5" fill="#5a9a5a" data-algorithm="${r.algorithm}" data-hoyer="${r.hoyer}"/>`);
    });
    out.push(`</g>`);
    // CKA heatmap.
    const hx = sx + barWidth + panelGap + 40;
    const n = d.cka.algorithms.length;
    out.push(`<g data-panel="cka"><text x="${hx}" y="${top - 8}" font-weight="bold">linear CKA, top hidden layers</text>`);
    d.cka.matrix.forEach((row, i) => {
      out.push(`<text x="${hx - 4}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${SHORT[d.cka.algorithms[i]]}</text>`);
      row.forEach((v, j) => {
        const shade = Number.isFinite(v) ? Math.round(255 - 200 * Math.max(0, Math.min(1, v))) : 255;
        out.push(
          `<rect x="${hx + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${shade},${shade},255)" data-row="${d.cka.algorithms[i]}" data-column="${d.cka.algorithms[j]}" data-value="${v}"/>`,
        );
        out.push(
          `<text x="${hx + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 3}" text-anchor="middle" font-size="8" fill="${Number.isFinite(v) && v > 0.6 ? '#fff' : '#222'}">${Number.isFinite(v) ? v.toFixed(2) : '-'}</text>`,
        );
      });
    });
    d.cka.algorithms.forEach((a, j) => {
      out.push(`<text x="${hx + j * cell + cell / 2}" y="${top + n * cell + 12}" text-anchor="middle" font-size="9">${SHORT[a]}</text>`);
    });
    out.push(`</g></g>`);
    y0 += heights[k];
  });
  out.push(`</svg>`);
  return out.join('\n');
}

/** Writes compare.md, compare.json and compare.svg into `dir`; returns their paths. */
export async function writeCompare(result: CompareResult, dir: string): Promise<{ markdown: string; json: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { markdown: join(dir, 'compare.md'), json: join(dir, 'compare.json'), svg: join(dir, 'compare.svg') };
  await writeFile(paths.markdown, compareMarkdown(result) + '\n');
  await writeFile(paths.json, JSON.stringify(result, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await writeFile(paths.svg, compareSvg(result) + '\n');
  return paths;
}
