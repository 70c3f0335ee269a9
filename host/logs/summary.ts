// Summary of a goodness log: is each layer separating positive from negative
// data, is the loss falling, how accurate is the model, how sparse are the
// layers, how healthy was the link. Rendered as fixed-width text tables.
//
// Windows: "first" and "last" are the train records whose step lies in the
// first / last `windowFraction` (default 10%) of the logged step range. Per
// layer and window: mean gpos, mean gneg, separation = mean gpos - mean gneg
// (positive and growing is what FF wants, Hinton 2022), mean loss, mean active
// fraction and Hoyer sparseness (papers/000). The loss trend is the
// least-squares slope of loss against step, per 1000 steps. Null metrics are
// left out of means. Layers are numbered from 1.
//
// Accuracy: eval records as a series (step, accuracy, n); and, when train
// records carry `predicted`, the running train accuracy (predicted == label,
// labelled samples only) per window.
//
// Non-goals: statistics beyond means and a slope; plotting (plot-svg.ts).

import { describeArenaFree } from '../protocol/messages.js';
import { accuracyMatrix, continualMetrics, type ContinualMetrics } from '../continual/metrics.js';
import {
  readLog,
  type ContinualSummaryRecord,
  type EndRecord,
  type EvalRecord,
  type LinkRecord,
  type LogRecord,
  type MetaRecord,
  type ParseLogOptions,
  type RecordType,
} from './records.js';

export interface SummaryOptions {
  /** Fraction of the step range in the first/last window, in (0, 1]; default 0.1. */
  windowFraction?: number;
}

export interface WindowMeans {
  fromStep: number;
  toStep: number;
  /** Train records in the window that have this layer. */
  count: number;
  gpos: number | null;
  gneg: number | null;
  /** gpos - gneg (null if either is). */
  separation: number | null;
  loss: number | null;
  active: number | null;
  hoyer: number | null;
}

export interface LayerSummary {
  /** 1-based. */
  layer: number;
  count: number;
  first: WindowMeans;
  last: WindowMeans;
  overall: WindowMeans;
  /** Least-squares d(loss)/d(step) x 1000; null without two distinct steps. */
  lossSlopePer1k: number | null;
}

export interface WindowAccuracy {
  /** Labelled train records with a prediction. */
  n: number;
  accuracy: number | null;
}

export interface TrainAccuracy {
  overall: WindowAccuracy;
  first: WindowAccuracy;
  last: WindowAccuracy;
}

export interface EvalPoint {
  t: number;
  step: number;
  accuracy: number;
  n: number;
}

/** The continual-learning part of a log (host/continual): R, its metrics, boundaries, drift alarms, prequential accuracy. */
export interface ContinualLogSummary {
  tasks: number;
  taskNames: string[] | null;
  R: (number | null)[][];
  baseline: (number | null)[] | null;
  /** null until every row of R is in the log. */
  metrics: ContinualMetrics | null;
  boundaries: number;
  /** Stream positions of drift alarms. */
  driftAlarms: number[];
  /** Last prequential record; null when there is none (the device sent no predictions). */
  prequential: { accuracy: number; n: number; window: number; windowAccuracy: number } | null;
  scenario: string | null;
}

type CoreType = 'meta' | 'train' | 'eval' | 'link' | 'end';

export interface LogSummary {
  counts: Record<CoreType, number>;
  /** Step range of the train records; null if there are none. */
  steps: { first: number; last: number } | null;
  /** Wall time between the first and last record's `t`. */
  durationMs: number | null;
  windowFraction: number;
  layers: LayerSummary[];
  evals: EvalPoint[];
  bestEval: EvalPoint | null;
  lastEval: EvalPoint | null;
  trainAccuracy: TrainAccuracy;
  /** Last link record (counters are cumulative). */
  link: LinkRecord | null;
  /** First meta record. */
  meta: MetaRecord | null;
  /** Present when the log has continual-learning records. */
  continual: ContinualLogSummary | null;
  /** Train records of samples trained whose reply was lost (no metrics; in counts.train). */
  repliesLost: number;
  /** The run's closing record: how it ended, trained for certain, in doubt (null if the log has none). */
  end: EndRecord | null;
  /** Device resets the host recovered from (`reset` records), and the samples it trained again from snapshots; null if none. */
  resets: { count: number; replayed: number } | null;
}

/** Per-layer columns: one entry per train record that has the layer (NaN = null). */
interface LayerColumns {
  step: number[];
  gpos: number[];
  gneg: number[];
  loss: number[];
  active: number[];
  hoyer: number[];
}

const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN);

/** Accumulates records one at a time (e.g. while streaming a file), then summarises. */
export class SummaryBuilder {
  private readonly counts: Record<CoreType, number> = { meta: 0, train: 0, eval: 0, link: 0, end: 0 };
  private readonly taskEvals: { afterTask: number; task: number; accuracy: number }[] = [];
  private readonly driftAlarms: number[] = [];
  private boundaries = 0;
  private resets = 0;
  private replayed = 0;
  private prequential: ContinualLogSummary['prequential'] = null;
  private continualSummary: ContinualSummaryRecord | null = null;
  private repliesLost = 0;
  private end: EndRecord | null = null;
  private readonly layers: LayerColumns[] = [];
  private readonly predictions: { step: number; correct: boolean }[] = [];
  private readonly evals: EvalPoint[] = [];
  private link: LinkRecord | null = null;
  private meta: MetaRecord | null = null;
  private tMin = Infinity;
  private tMax = -Infinity;

  add(record: LogRecord): void {
    if (record.type in this.counts) this.counts[record.type as CoreType]++;
    this.tMin = Math.min(this.tMin, record.t);
    this.tMax = Math.max(this.tMax, record.t);
    switch (record.type) {
      case 'meta':
        this.meta ??= record;
        break;
      case 'link':
        this.link = record;
        break;
      case 'eval':
        this.evals.push({ t: record.t, step: record.step, accuracy: record.accuracy, n: record.n });
        break;
      case 'end':
        this.end = record;
        break;
      case 'train':
        if (record.layers === null) {
          this.repliesLost++;
          break;
        }
        record.layers.forEach((m, i) => {
          const c = (this.layers[i] ??= { step: [], gpos: [], gneg: [], loss: [], active: [], hoyer: [] });
          c.step.push(record.step);
          c.gpos.push(num(m.gpos));
          c.gneg.push(num(m.gneg));
          c.loss.push(num(m.loss));
          c.active.push(num(m.active));
          c.hoyer.push(num(m.hoyer));
        });
        if (record.predicted !== undefined && record.label >= 0) {
          this.predictions.push({ step: record.step, correct: record.predicted === record.label });
        }
        break;
      case 'task-eval':
        this.taskEvals.push({ afterTask: record.afterTask, task: record.task, accuracy: record.accuracy });
        break;
      case 'boundary':
        this.boundaries++;
        break;
      case 'drift':
        this.driftAlarms.push(record.sample);
        break;
      case 'prequential':
        this.prequential = { accuracy: record.accuracy, n: record.n, window: record.window, windowAccuracy: record.windowAccuracy };
        break;
      case 'continual-summary':
        this.continualSummary = record;
        break;
      case 'reset':
        this.resets++;
        this.replayed += record.replayed;
        break;
    }
  }

  private continual(): ContinualLogSummary | null {
    const s = this.continualSummary;
    if (this.taskEvals.length === 0 && !s && this.boundaries === 0) return null;
    const m = accuracyMatrix(this.taskEvals, s?.tasks);
    const complete = m.tasks > 0 && m.R.every((row) => row.every((v) => v !== null));
    const names = s && Array.isArray(s.taskNames) ? (s.taskNames as string[]) : null;
    return {
      tasks: m.tasks,
      taskNames: names,
      R: m.R,
      baseline: m.baseline,
      metrics: complete ? continualMetrics(m.R, m.baseline) : null,
      boundaries: this.boundaries,
      driftAlarms: [...this.driftAlarms],
      prequential: this.prequential,
      scenario: typeof s?.description === 'string' ? s.description : null,
    };
  }

  finish(options: SummaryOptions = {}): LogSummary {
    const f = options.windowFraction ?? 0.1;
    if (!(f > 0 && f <= 1)) throw new TypeError(`options.windowFraction must be in (0, 1], got ${f}`);
    let lo = Infinity,
      hi = -Infinity;
    for (const c of this.layers)
      for (const s of c.step) {
        lo = Math.min(lo, s);
        hi = Math.max(hi, s);
      }
    const steps = lo <= hi ? { first: lo, last: hi } : null;
    const span = steps ? hi - lo : 0;
    const firstTo = lo + f * span,
      lastFrom = hi - f * span;
    const inFirst = (s: number) => s <= firstTo;
    const inLast = (s: number) => s >= lastFrom;

    const layers = this.layers.map((c, i): LayerSummary => ({
      layer: i + 1,
      count: c.step.length,
      first: windowMeans(c, inFirst, lo, firstTo),
      last: windowMeans(c, inLast, lastFrom, hi),
      overall: windowMeans(c, () => true, lo, hi),
      lossSlopePer1k: slope(c.step, c.loss, 1000),
    }));

    const accuracyIn = (keep: (s: number) => boolean): WindowAccuracy => {
      let n = 0,
        ok = 0;
      for (const p of this.predictions)
        if (keep(p.step)) {
          n++;
          if (p.correct) ok++;
        }
      return { n, accuracy: n > 0 ? ok / n : null };
    };

    const evals = [...this.evals].sort((a, b) => a.step - b.step || a.t - b.t);
    let bestEval: EvalPoint | null = null;
    for (const e of evals) if (!bestEval || e.accuracy > bestEval.accuracy) bestEval = e;
    return {
      counts: { ...this.counts },
      steps,
      durationMs: this.tMin <= this.tMax ? this.tMax - this.tMin : null,
      windowFraction: f,
      layers,
      evals,
      bestEval,
      lastEval: evals.length > 0 ? evals[evals.length - 1] : null,
      trainAccuracy: { overall: accuracyIn(() => true), first: accuracyIn(inFirst), last: accuracyIn(inLast) },
      link: this.link,
      meta: this.meta,
      continual: this.continual(),
      repliesLost: this.repliesLost,
      end: this.end,
      resets: this.resets > 0 ? { count: this.resets, replayed: this.replayed } : null,
    };
  }
}

function mean(values: number[], keep: (i: number) => boolean): number | null {
  let s = 0,
    n = 0;
  for (let i = 0; i < values.length; i++) {
    if (keep(i) && !Number.isNaN(values[i])) {
      s += values[i];
      n++;
    }
  }
  return n > 0 ? s / n : null;
}

function windowMeans(c: LayerColumns, inWindow: (step: number) => boolean, fromStep: number, toStep: number): WindowMeans {
  const keep = (i: number) => inWindow(c.step[i]);
  let count = 0;
  for (const s of c.step) if (inWindow(s)) count++;
  const gpos = mean(c.gpos, keep),
    gneg = mean(c.gneg, keep);
  return {
    fromStep,
    toStep,
    count,
    gpos,
    gneg,
    separation: gpos !== null && gneg !== null ? gpos - gneg : null,
    loss: mean(c.loss, keep),
    active: mean(c.active, keep),
    hoyer: mean(c.hoyer, keep),
  };
}

/** Least-squares slope of y on x, times `per`; NaN y values skipped. */
function slope(x: number[], y: number[], per: number): number | null {
  let n = 0,
    sx = 0,
    sy = 0;
  for (let i = 0; i < x.length; i++)
    if (!Number.isNaN(y[i])) {
      n++;
      sx += x[i];
      sy += y[i];
    }
  if (n < 2) return null;
  const mx = sx / n,
    my = sy / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(y[i])) continue;
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? (sxy / sxx) * per : null;
}

/** Summarises records held in memory. */
export function summarize(records: Iterable<LogRecord>, options: SummaryOptions = {}): LogSummary {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.finish(options);
}

/** Summarises a log file, streaming it. */
export async function summarizeFile(path: string, options: SummaryOptions & ParseLogOptions = {}): Promise<LogSummary> {
  const b = new SummaryBuilder();
  for await (const r of readLog(path, options)) b.add(r);
  return b.finish(options);
}

// ---- text rendering

export type Align = 'left' | 'right';

/**
 * Fixed-width table: every column as wide as its widest cell, two spaces
 * between columns, a dashed rule under the header. Lines have no trailing
 * spaces unless the last column is right-aligned.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths.map((w, c) => ((align[c] ?? 'right') === 'left' ? (cells[c] ?? '').padEnd(w) : (cells[c] ?? '').padStart(w))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => l.replace(/\s+$/, '')).join('\n');
}

/** Compact, aligned number formatting: 4 significant-ish digits, '-' for null. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(Math.max(0, digits - 3));
  if (a >= 10) return v.toFixed(Math.max(0, digits - 2));
  return v.toFixed(digits - 1);
}

const int = (v: number) => v.toLocaleString('en-US');
const signed = (v: number | null) => (v === null ? '-' : (v > 0 ? '+' : '') + formatNumber(v));

function describeConfig(meta: MetaRecord | null, width: number): string | null {
  const config = meta?.config;
  if (!config) return null;
  const parts = Object.entries(config).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('-') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  const text = parts.join(' ');
  return text.length > width ? text.slice(0, width - 3) + '...' : text;
}

export interface RenderOptions {
  /** At most this many eval rows (first and last always kept); default 12. */
  maxEvalRows?: number;
  title?: string;
}

/** One line on how a run ended, from its `end` record. */
export function describeEnd(end: EndRecord): string {
  const doubt = end.inDoubt > 0 ? `; up to ${int(end.inDoubt)} more sent past the last record may also have been trained` : '';
  return end.ok
    ? `run completed: ${int(end.trained)} samples trained${doubt}`
    : `run stopped (${end.reason.split(':')[0]}): ${int(end.trained)} samples trained for certain${doubt}`;
}

/** The summary as plain text for a terminal (ASCII only, fixed width). */
export function renderSummary(s: LogSummary, options: RenderOptions = {}): string {
  const out: string[] = [];
  const { maxEvalRows = 12, title = 'Goodness log summary' } = options;
  out.push(title);
  const c = s.counts;
  const range = s.steps ? `steps ${int(s.steps.first)}..${int(s.steps.last)}` : 'no train records';
  const wall = s.durationMs !== null ? `, ${formatNumber(s.durationMs / 1000)} s wall time` : '';
  const lost = s.repliesLost > 0 ? ` (${int(s.repliesLost)} with the reply lost)` : '';
  out.push(`  records: ${int(c.train)} train${lost}, ${int(c.eval)} eval, ${int(c.link)} link, ${int(c.meta)} meta; ${range}${wall}`);
  if (s.end) out.push(`  ${describeEnd(s.end)}`);
  const config = describeConfig(s.meta, 100);
  if (config) out.push(`  config: ${config}`);
  if (s.meta?.device) {
    const device = { ...s.meta.device } as Record<string, unknown>;
    if (typeof device.arenaFree === 'number') device.arenaFree = describeArenaFree(device.arenaFree);
    out.push(`  device: ${describeConfig({ type: 'meta', t: 0, config: device }, 100)}`);
  }

  if (s.layers.length > 0 && s.steps) {
    const pct = `${Number((s.windowFraction * 100).toFixed(1))}%`;
    const l0 = s.layers[0];
    out.push(
      `  windows: first ${pct} = steps ${int(l0.first.fromStep)}..${int(Math.floor(l0.first.toStep))}, ` +
        `last ${pct} = steps ${int(Math.ceil(l0.last.fromStep))}..${int(l0.last.toStep)}`,
    );
    out.push('', 'Goodness per layer (window means; separation = gpos - gneg)');
    out.push(
      renderTable(
        ['layer', 'gpos first', 'gpos last', 'gneg first', 'gneg last', 'sep first', 'sep last', 'sep change'],
        s.layers.map((l) => [
          String(l.layer),
          formatNumber(l.first.gpos),
          formatNumber(l.last.gpos),
          formatNumber(l.first.gneg),
          formatNumber(l.last.gneg),
          formatNumber(l.first.separation),
          formatNumber(l.last.separation),
          signed(l.first.separation !== null && l.last.separation !== null ? l.last.separation - l.first.separation : null),
        ]),
      ),
    );
    out.push('', 'Loss and sparsity per layer');
    out.push(
      renderTable(
        ['layer', 'loss first', 'loss last', 'loss /1k steps', 'active first', 'active last', 'hoyer first', 'hoyer last'],
        s.layers.map((l) => [
          String(l.layer),
          formatNumber(l.first.loss),
          formatNumber(l.last.loss),
          signed(l.lossSlopePer1k),
          formatNumber(l.first.active),
          formatNumber(l.last.active),
          formatNumber(l.first.hoyer),
          formatNumber(l.last.hoyer),
        ]),
      ),
    );
  }

  if (s.evals.length > 0) {
    const best = s.bestEval!;
    out.push('', `Evaluation accuracy (${s.evals.length} evals; best ${formatNumber(best.accuracy)} at step ${int(best.step)})`);
    let shown = s.evals;
    if (shown.length > maxEvalRows) {
      const keep = new Set<number>();
      for (let k = 0; k < maxEvalRows; k++) keep.add(Math.round((k * (s.evals.length - 1)) / Math.max(1, maxEvalRows - 1)));
      shown = s.evals.filter((_, i) => keep.has(i));
    }
    out.push(
      renderTable(
        ['step', 'accuracy', 'n'],
        shown.map((e) => [int(e.step), formatNumber(e.accuracy), int(e.n)]),
      ),
    );
  }

  const ta = s.trainAccuracy;
  if (ta.overall.n > 0) {
    out.push(
      '',
      `Train accuracy from predictions: first ${formatNumber(ta.first.accuracy)} (n ${int(ta.first.n)}), ` +
        `last ${formatNumber(ta.last.accuracy)} (n ${int(ta.last.n)}), overall ${formatNumber(ta.overall.accuracy)} (n ${int(ta.overall.n)})`,
    );
  }
  if (s.continual) out.push('', renderContinual(s.continual));
  if (s.resets) {
    out.push(
      '',
      `Device resets: ${int(s.resets.count)}, recovered from snapshots; ${int(s.resets.replayed)} samples trained again ` +
        '(their train records appear twice: the later one counts)',
    );
  }
  if (s.link) {
    const l = s.link;
    out.push(
      '',
      `Link (cumulative): ${int(l.framesDropped)} frames dropped, ${int(l.crcErrors)} CRC errors, ` +
        `${int(l.retransmits)} retransmits, ${int(l.duplicates)} duplicates`,
    );
  }
  return out.join('\n') + '\n';
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : (v * 100).toFixed(1));
const points = (v: number | null) => (v === null ? 'n/a' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(1)} points`);

/** R (in %), ACC/BWT/FWT and prequential accuracy as text. */
export function renderContinual(c: ContinualLogSummary): string {
  const out: string[] = [];
  const alarms = c.driftAlarms.length;
  out.push(
    `Continual learning: ${c.tasks} tasks, ${c.boundaries} boundaries, ${alarms} drift alarm${alarms === 1 ? '' : 's'}` +
      (alarms > 0 ? ` (at samples ${c.driftAlarms.slice(0, 10).join(', ')}${alarms > 10 ? ', ...' : ''})` : ''),
  );
  if (c.scenario) out.push(`  scenario: ${c.scenario}`);
  out.push(renderAccuracyMatrix(c.R, c.baseline, c.taskNames));
  if (c.metrics) {
    const m = c.metrics;
    out.push(`ACC ${pct(m.acc)}%   BWT ${points(m.bwt)}   FWT ${points(m.fwt)}   (Lopez-Paz & Ranzato 2017; BWT < 0 = forgetting)`);
  } else {
    out.push('ACC/BWT/FWT: n/a (R is incomplete: the run stopped before its last task)');
  }
  const p = c.prequential;
  out.push(
    p
      ? `Prequential (test-then-train) accuracy: ${pct(p.accuracy)}% over ${p.n.toLocaleString('en-US')} samples; last ${p.window}: ${pct(p.windowAccuracy)}%`
      : 'Prequential accuracy: n/a (device sent no predictions)',
  );
  return out.join('\n');
}

/** R as a table in percent: one row per "after task i" (and "untrained" for b), one column per task. */
export function renderAccuracyMatrix(
  R: readonly (readonly (number | null)[])[],
  baseline: readonly (number | null)[] | null,
  names: readonly string[] | null = null,
): string {
  const T = R.length;
  const header = ['R[i][j] (%)', ...Array.from({ length: T }, (_, j) => `task ${j}${names?.[j] ? ` ${names[j]}` : ''}`)];
  const rows: string[][] = [];
  if (baseline) rows.push(['untrained (b)', ...baseline.map(pct)]);
  R.forEach((row, i) => rows.push([`after task ${i}`, ...row.map(pct)]));
  return renderTable(header, rows, ['left']);
}
