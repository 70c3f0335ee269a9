// Goodness plots as a standalone SVG, no dependencies.
//
// Small multiples sharing one step axis:
//   - one panel per layer: positive and negative goodness (gpos, gneg), and
//     the threshold theta when the meta record's config has one: FF learns
//     when gpos rises above theta and gneg falls below it (Hinton 2022);
//   - loss per layer;
//   - accuracy: eval records (points) and the running train accuracy from
//     `predicted` (dashed), when present;
//   - sparsity per layer: active fraction (solid) and Hoyer sparseness (dashed);
//   - continual learning (host/continual), when the log has task-eval records:
//     accuracy on each task's held-out set after each task (one line per task)
//     and the windowed prequential accuracy (dashed); task boundaries (grey)
//     and drift alarms (red) are drawn as vertical lines on every panel.
// Train series are smoothed with a centred moving average over `smoothing`
// records (default: about 1/60 of the run) and thinned to `maxPoints`, always
// keeping the first and last point so the lines span the data's step range.
//
// Each panel's <g> carries data-x-domain, data-y-domain and data-plot-rect,
// and each line data-series, so tests (and tools) can map pixels back to data.
//
// Non-goals: interactivity (see live-dashboard.ts), log scales, PNG output
// (convert with rsvg-convert or a browser).

import { writeFileAtomic } from '../files/atomic-write.js';
import { readLog, type LogRecord, type ParseLogOptions } from './records.js';

export interface PlotSeries {
  id: string;
  label: string;
  color: string;
  /** SVG stroke-dasharray, e.g. '5 3'. */
  dash?: string;
  /** Draw a dot at each point (sparse series such as evals). */
  markers?: boolean;
  /** Show in the legend; default true. */
  legend?: boolean;
  x: number[];
  /** NaN = gap. */
  y: number[];
}

export interface PlotPanel {
  id: string;
  title: string;
  yLabel: string;
  series: PlotSeries[];
  /** Fixed y range (e.g. [0, 1] for fractions); default: nice range around the data. */
  yDomain?: [number, number];
  /** Reference lines, e.g. the goodness threshold. */
  hlines?: { y: number; label: string }[];
  /** Vertical markers at a step: task boundaries and drift alarms. */
  vlines?: { x: number; label: string; kind: 'boundary' | 'drift' }[];
}

export interface PlotModel {
  title: string;
  subtitle: string;
  xLabel: string;
  xDomain: [number, number];
  panels: PlotPanel[];
}

export interface PlotOptions {
  title?: string;
  /** Moving-average window in records; default max(1, round(n / 60)). 1 = raw. */
  smoothing?: number;
  /** Most points per line; default 600. */
  maxPoints?: number;
  /** Total width in px; default 1000. */
  width?: number;
  /** Height of one panel in px; default 240. */
  panelHeight?: number;
  /** Panels per row; default 2. */
  columns?: number;
}

// Okabe-Ito palette: distinguishable with colour-vision deficiencies.
const POS = '#0072B2';
const NEG = '#D55E00';
const LAYER_COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'];
const layerColor = (l: number) => LAYER_COLORS[l % LAYER_COLORS.length];

/**
 * Centred moving average over `window` values (window/2 each side, shrinking
 * at the ends), skipping NaN; NaN where a window holds no number.
 */
export function movingAverage(values: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) throw new TypeError(`window must be a positive integer, got ${window}`);
  const n = values.length;
  const sum = new Float64Array(n + 1),
    cnt = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const ok = !Number.isNaN(v);
    sum[i + 1] = sum[i] + (ok ? v : 0);
    cnt[i + 1] = cnt[i] + (ok ? 1 : 0);
  }
  const left = Math.floor((window - 1) / 2),
    right = window - 1 - left;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - left),
      b = Math.min(n, i + right + 1);
    const c = cnt[b] - cnt[a];
    out[i] = c > 0 ? (sum[b] - sum[a]) / c : Number.NaN;
  }
  return out;
}

/** Indices 0..n-1 thinned to at most `max`, evenly, always with the first and last. */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}

/**
 * "Nice" tick step near range/(target-1): 1, 2 or 5 x 10^k (P. Heckbert,
 * "Nice numbers for graph labels", Graphics Gems, 1990).
 */
export function niceStep(range: number, target = 5): number {
  const raw = Math.abs(range) / Math.max(1, target - 1);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/** Tick values inside [lo, hi] at a nice step. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  const step = niceStep(hi - lo, target);
  const out: number[] = [];
  const start = Math.ceil(lo / step - 1e-9);
  for (let k = start; k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/**
 * [lo, hi] widened to multiples of a nice step, and that step, so the ticks
 * fall on both ends of the axis (a flat series gets +-1 or +-10%).
 */
function niceDomain(lo: number, hi: number, target: number): { domain: [number, number]; step: number } {
  if (!(lo <= hi)) return { domain: [0, 1], step: niceStep(1, target) };
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  const round = (v: number) => Number(v.toPrecision(12));
  return { domain: [round(Math.floor(lo / step + 1e-9) * step), round(Math.ceil(hi / step - 1e-9) * step)], step };
}

function formatTick(v: number, step: number): string {
  if (Math.abs(step) >= 1000 && Math.abs(v) >= 1000 && v % 1000 === 0) return `${v / 1000}k`;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(decimals, 6));
}

/** Text safe in XML/HTML content and quoted attribute values (the five predefined entities). */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const px = (v: number) => (Math.round(v * 100) / 100).toString();

/** Builds the panels from log records (no layout; see renderSvg). */
export function buildGoodnessPlot(records: Iterable<LogRecord>, options: PlotOptions = {}): PlotModel {
  const { maxPoints = 600 } = options;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new TypeError(`options.maxPoints must be an integer >= 2, got ${maxPoints}`);
  if (options.smoothing !== undefined && (!Number.isInteger(options.smoothing) || options.smoothing < 1)) {
    throw new TypeError(`options.smoothing must be a positive integer, got ${options.smoothing}`);
  }
  type Row = { step: number; values: (number | null)[][]; label: number; predicted?: number };
  const train: Row[] = [];
  const evals: { step: number; accuracy: number }[] = [];
  const taskEvals: { step: number; task: number; accuracy: number }[] = [];
  const preq: { step: number; accuracy: number }[] = [];
  const vlines: NonNullable<PlotPanel['vlines']> = [];
  let threshold: number | undefined;
  let layers = 0;
  let configText = '';
  for (const r of records) {
    if (r.type === 'train') {
      if (r.layers === null) continue; // reply lost: nothing to plot
      train.push({
        step: r.step,
        label: r.label,
        predicted: r.predicted,
        values: r.layers.map((m) => [m.gpos, m.gneg, m.loss, m.active, m.hoyer]),
      });
      layers = Math.max(layers, r.layers.length);
    } else if (r.type === 'eval') {
      evals.push({ step: r.step, accuracy: r.accuracy });
    } else if (r.type === 'task-eval') {
      taskEvals.push({ step: r.step, task: r.task, accuracy: r.accuracy });
    } else if (r.type === 'prequential') {
      preq.push({ step: r.step, accuracy: r.windowAccuracy });
    } else if (r.type === 'boundary') {
      if (r.from !== null) vlines.push({ x: r.step, label: `task ${r.task}${r.name ? ` ${r.name}` : ''}`, kind: 'boundary' });
    } else if (r.type === 'drift') {
      vlines.push({ x: r.step, label: 'drift', kind: 'drift' });
    } else if (r.type === 'meta' && threshold === undefined) {
      const th = r.config?.threshold;
      if (typeof th === 'number' && Number.isFinite(th)) threshold = th;
      const algo = r.config?.algorithm;
      if (typeof algo === 'string') configText = `, ${algo}`;
    }
  }
  train.sort((a, b) => a.step - b.step);
  evals.sort((a, b) => a.step - b.step);
  const window = options.smoothing ?? Math.max(1, Math.round(train.length / 60));

  let xlo = Infinity,
    xhi = -Infinity;
  for (const r of [...train, ...evals, ...taskEvals]) {
    xlo = Math.min(xlo, r.step);
    xhi = Math.max(xhi, r.step);
  }
  if (xlo > xhi) [xlo, xhi] = [0, 1];
  if (xlo === xhi) [xlo, xhi] = [xlo - 1, xhi + 1];

  /** A smoothed, thinned line over the train rows that have layer `l`. */
  const line = (l: number, metric: number, id: string, label: string, color: string, dash?: string): PlotSeries => {
    const rows = train.filter((r) => r.values.length > l);
    const raw = rows.map((r) => r.values[l][metric] ?? Number.NaN);
    const smooth = movingAverage(raw, window);
    const keep = thinIndices(rows.length, maxPoints);
    return {
      id,
      label,
      color,
      ...(dash ? { dash } : {}),
      x: keep.map((i) => rows[i].step),
      y: keep.map((i) => smooth[i]),
    };
  };

  const panels: PlotPanel[] = [];
  for (let l = 0; l < layers; l++) {
    panels.push({
      id: `layer${l + 1}`,
      title: `Layer ${l + 1}: goodness`,
      yLabel: 'goodness',
      series: [line(l, 0, 'gpos', 'positive (gpos)', POS), line(l, 1, 'gneg', 'negative (gneg)', NEG)],
      ...(threshold !== undefined ? { hlines: [{ y: threshold, label: `threshold ${threshold}` }] } : {}),
    });
  }
  if (layers > 0) {
    panels.push({
      id: 'loss',
      title: 'Loss per layer',
      yLabel: 'loss',
      series: Array.from({ length: layers }, (_, l) => line(l, 2, `loss${l + 1}`, `layer ${l + 1}`, layerColor(l))),
    });
  }
  const predicted = train.filter((r) => r.predicted !== undefined && r.label >= 0);
  if (evals.length > 0 || predicted.length > 0) {
    const series: PlotSeries[] = [];
    if (evals.length > 0) {
      series.push({ id: 'eval', label: 'eval', color: '#000000', markers: evals.length <= 60, x: evals.map((e) => e.step), y: evals.map((e) => e.accuracy) });
    }
    if (predicted.length > 0) {
      const smooth = movingAverage(
        predicted.map((r) => (r.predicted === r.label ? 1 : 0)),
        Math.max(window, 25),
      );
      const keep = thinIndices(predicted.length, maxPoints);
      series.push({
        id: 'train-acc',
        label: 'train (running)',
        color: '#009E73',
        dash: '5 3',
        x: keep.map((i) => predicted[i].step),
        y: keep.map((i) => smooth[i]),
      });
    }
    panels.push({ id: 'accuracy', title: 'Accuracy', yLabel: 'accuracy', series, yDomain: [0, 1] });
  }
  if (layers > 0) {
    const series: PlotSeries[] = [];
    for (let l = 0; l < layers; l++) {
      series.push(line(l, 3, `active${l + 1}`, `layer ${l + 1}`, layerColor(l)));
      series.push({ ...line(l, 4, `hoyer${l + 1}`, `layer ${l + 1} Hoyer`, layerColor(l), '5 3'), legend: false });
    }
    panels.push({ id: 'sparsity', title: 'Sparsity: active fraction (solid), Hoyer (dashed)', yLabel: 'fraction', series, yDomain: [0, 1] });
  }
  if (taskEvals.length > 0) {
    taskEvals.sort((a, b) => a.step - b.step);
    const tasks = Math.max(...taskEvals.map((e) => e.task)) + 1;
    const series: PlotSeries[] = Array.from({ length: tasks }, (_, j) => {
      const mine = taskEvals.filter((e) => e.task === j);
      return {
        id: `task${j}`,
        label: `task ${j}`,
        color: layerColor(j),
        markers: mine.length <= 60,
        x: mine.map((e) => e.step),
        y: mine.map((e) => e.accuracy),
      };
    });
    if (preq.length > 0) {
      series.push({
        id: 'prequential',
        label: 'prequential (window)',
        color: '#555555',
        dash: '4 3',
        x: preq.map((p) => p.step),
        y: preq.map((p) => p.accuracy),
      });
    }
    panels.push({ id: 'tasks', title: 'Accuracy per task (held out), boundaries grey, drift alarms red', yLabel: 'accuracy', series, yDomain: [0, 1] });
  }
  if (vlines.length > 0) for (const p of panels) p.vlines = vlines;
  const smoothNote = window > 1 ? `moving average over ${window} records` : 'unsmoothed';
  return {
    title: options.title ?? 'ff-edge goodness log',
    subtitle: `${train.length.toLocaleString('en-US')} train records, ${evals.length} evals${configText}; ${smoothNote}`,
    xLabel: 'step',
    xDomain: [xlo, xhi],
    panels,
  };
}

/** Lays out and draws a plot model as an SVG document string. */
export function renderSvg(model: PlotModel, options: PlotOptions = {}): string {
  const { width = 1000, panelHeight = 240, columns = 2 } = options;
  if (!(width >= 300)) throw new TypeError(`options.width must be >= 300, got ${width}`);
  if (!(panelHeight >= 120)) throw new TypeError(`options.panelHeight must be >= 120, got ${panelHeight}`);
  if (!Number.isInteger(columns) || columns < 1) throw new TypeError(`options.columns must be a positive integer, got ${columns}`);
  const outer = 16,
    gapX = 24,
    gapY = 18,
    header = 64;
  const panelW = (width - 2 * outer - (columns - 1) * gapX) / columns;
  const rows = Math.max(1, Math.ceil(model.panels.length / columns));
  const height = header + rows * panelHeight + (rows - 1) * gapY + outer;
  const m = { left: 58, right: 12, top: 44, bottom: 38 };
  const [x0, x1] = model.xDomain;
  const xTicks = niceTicks(x0, x1, Math.max(3, Math.round((panelW - m.left - m.right) / 70)));
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : niceStep(x1 - x0);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}" ` +
      `font-family="Helvetica, Arial, 'DejaVu Sans', sans-serif" font-size="11" fill="#222">`,
  );
  out.push(`<title>${escapeXml(model.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${px(height)}" fill="#ffffff"/>`);
  out.push(`<text x="${outer}" y="30" font-size="19" font-weight="bold">${escapeXml(model.title)}</text>`);
  out.push(`<text x="${outer}" y="50" font-size="12" fill="#555">${escapeXml(model.subtitle)}</text>`);

  model.panels.forEach((panel, k) => {
    const gx = outer + (k % columns) * (panelW + gapX);
    const gy = header + Math.floor(k / columns) * (panelHeight + gapY);
    // Legend: rows of swatch + label in series order, each row right-aligned, wrapping as needed.
    const right = gx + panelW - m.right;
    const room = panelW - m.left - m.right;
    const entryWidth = (s: PlotSeries) => 22 + s.label.length * 6.2 + 12;
    const packed: PlotSeries[][] = [[]];
    let used = 0;
    for (const s of panel.series) {
      if (s.legend === false) continue;
      const w = entryWidth(s);
      if (used + w > room && packed[packed.length - 1].length > 0) {
        packed.push([]);
        used = 0;
      }
      packed[packed.length - 1].push(s);
      used += w;
    }
    const legendRows = packed.map((row) => {
      let x = right - row.reduce((a, s) => a + entryWidth(s), 0) + 12;
      return row.map((s) => {
        const at = { series: s, x };
        x += entryWidth(s);
        return at;
      });
    });
    const extra = (legendRows.length - 1) * 14;
    const plot = { x: gx + m.left, y: gy + m.top + extra, w: panelW - m.left - m.right, h: panelHeight - m.top - m.bottom - extra };
    let ylo = Infinity,
      yhi = -Infinity;
    for (const s of panel.series)
      for (const v of s.y)
        if (!Number.isNaN(v)) {
          ylo = Math.min(ylo, v);
          yhi = Math.max(yhi, v);
        }
    for (const h of panel.hlines ?? []) {
      ylo = Math.min(ylo, h.y);
      yhi = Math.max(yhi, h.y);
    }
    const yTarget = Math.max(3, Math.round(plot.h / 40));
    const nice = panel.yDomain ? undefined : niceDomain(ylo, yhi, yTarget);
    const [y0, y1] = panel.yDomain ?? nice!.domain;
    const sx = (v: number) => plot.x + ((v - x0) / (x1 - x0)) * plot.w;
    const sy = (v: number) => plot.y + plot.h - ((v - y0) / (y1 - y0)) * plot.h;

    out.push(
      `<g data-panel="${escapeXml(panel.id)}" data-x-domain="${x0} ${x1}" data-y-domain="${y0} ${y1}" ` +
        `data-plot-rect="${px(plot.x)} ${px(plot.y)} ${px(plot.w)} ${px(plot.h)}">`,
    );
    out.push(`<text x="${px(gx)}" y="${px(gy + 14)}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<rect x="${px(plot.x)}" y="${px(plot.y)}" width="${px(plot.w)}" height="${px(plot.h)}" fill="#fafafa" stroke="#bbbbbb"/>`);

    // Grid, ticks and tick labels.
    const yStep = nice?.step ?? niceStep(y1 - y0, yTarget);
    const yTicks: number[] = [];
    for (let k = Math.ceil(y0 / yStep - 1e-9); k * yStep <= y1 + yStep * 1e-9; k++) yTicks.push(Number((k * yStep).toPrecision(12)));
    for (const t of yTicks) {
      const y = px(sy(t));
      out.push(`<line x1="${px(plot.x)}" y1="${y}" x2="${px(plot.x + plot.w)}" y2="${y}" stroke="#e4e4e4"/>`);
      out.push(`<line x1="${px(plot.x - 4)}" y1="${y}" x2="${px(plot.x)}" y2="${y}" stroke="#888"/>`);
      out.push(`<text x="${px(plot.x - 7)}" y="${y}" dy="0.35em" text-anchor="end" fill="#444">${formatTick(t, yStep)}</text>`);
    }
    for (const t of xTicks) {
      const x = px(sx(t));
      out.push(`<line x1="${x}" y1="${px(plot.y)}" x2="${x}" y2="${px(plot.y + plot.h)}" stroke="#eeeeee"/>`);
      out.push(`<line x1="${x}" y1="${px(plot.y + plot.h)}" x2="${x}" y2="${px(plot.y + plot.h + 4)}" stroke="#888"/>`);
      out.push(`<text x="${x}" y="${px(plot.y + plot.h + 16)}" text-anchor="middle" fill="#444">${formatTick(t, xStep)}</text>`);
    }
    out.push(`<text x="${px(plot.x + plot.w / 2)}" y="${px(plot.y + plot.h + 32)}" text-anchor="middle" fill="#444">${escapeXml(model.xLabel)}</text>`);
    const ylx = gx + 12,
      yly = plot.y + plot.h / 2;
    out.push(
      `<text x="${px(ylx)}" y="${px(yly)}" text-anchor="middle" transform="rotate(-90 ${px(ylx)} ${px(yly)})" fill="#444">${escapeXml(panel.yLabel)}</text>`,
    );

    for (const h of panel.hlines ?? []) {
      const y = px(sy(h.y));
      out.push(
        `<line data-hline="${escapeXml(h.label)}" x1="${px(plot.x)}" y1="${y}" x2="${px(plot.x + plot.w)}" y2="${y}" stroke="#666" stroke-dasharray="2 3"/>`,
      );
      const box = labelBox(
        h.label,
        sy(h.y),
        plot,
        panel.series.map((series) => ({ x: Array.from(series.x, sx), y: Array.from(series.y, sy) })),
      );
      out.push(
        `<text data-hline-label="${escapeXml(h.label)}" data-box="${px(box.x0)} ${px(box.y0)} ${px(box.x1)} ${px(box.y1)}" x="${px(box.anchorX)}" y="${px(box.y1 - 2)}" ` +
          `text-anchor="${box.anchor}" font-size="10" fill="#666" stroke="#fafafa" stroke-width="3" paint-order="stroke">${escapeXml(h.label)}</text>`,
      );
    }

    for (const v of panel.vlines ?? []) {
      if (v.x < x0 || v.x > x1) continue;
      const x = px(sx(v.x));
      const color = v.kind === 'drift' ? '#D55E00' : '#888888';
      out.push(
        `<line data-vline="${v.kind}" x1="${x}" y1="${px(plot.y)}" x2="${x}" y2="${px(plot.y + plot.h)}" stroke="${color}" stroke-dasharray="${v.kind === 'drift' ? '1 2' : '4 2'}"><title>${escapeXml(v.label)}</title></line>`,
      );
    }

    for (const s of panel.series) {
      let d = '';
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isNaN(s.y[i])) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${px(sx(s.x[i]))},${px(sy(s.y[i]))}`;
        pen = true;
      }
      if (d !== '') {
        const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
        out.push(`<path data-series="${escapeXml(s.id)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6" stroke-linejoin="round"${dash}/>`);
      }
      if (s.markers) {
        for (let i = 0; i < s.x.length; i++) {
          if (!Number.isNaN(s.y[i])) out.push(`<circle cx="${px(sx(s.x[i]))}" cy="${px(sy(s.y[i]))}" r="2.5" fill="${s.color}"/>`);
        }
      }
    }

    legendRows.forEach((row, r) => {
      const ly = gy + 30 + r * 14;
      for (const { series: s, x } of row) {
        const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
        out.push(`<line x1="${px(x)}" y1="${px(ly)}" x2="${px(x + 18)}" y2="${px(ly)}" stroke="${s.color}" stroke-width="2"${dash}/>`);
        out.push(`<text x="${px(x + 22)}" y="${px(ly)}" dy="0.35em" font-size="10.5" fill="#333">${escapeXml(s.label)}</text>`);
      }
    });
    out.push('</g>');
  });
  if (model.panels.length === 0) {
    out.push(`<text x="${width / 2}" y="${header + 40}" text-anchor="middle" fill="#888">no train or eval records to plot</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Records -> SVG in one call. */
export function goodnessPlotSvg(records: Iterable<LogRecord>, options: PlotOptions = {}): string {
  return renderSvg(buildGoodnessPlot(records, options), options);
}

/** Reads a JSONL log and writes its SVG plot. */
/** Pixel width of a 10px Helvetica/Arial label, generously (digits and letters ~0.6 em). */
const labelWidth = (text: string): number => text.length * 6 + 4;

interface LabelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  anchor: 'start' | 'end';
  anchorX: number;
}

/** Does the polyline (pixel coordinates) pass through the box? Exact for straight segments. */
function crosses(line: { x: number[]; y: number[] }, b: LabelBox): boolean {
  for (let i = 0; i < line.x.length; i++) {
    const [xa, ya] = [line.x[i], line.y[i]];
    if (Number.isNaN(ya)) continue;
    if (xa >= b.x0 && xa <= b.x1 && ya >= b.y0 && ya <= b.y1) return true;
    const j = i + 1;
    if (j >= line.x.length || Number.isNaN(line.y[j])) continue;
    const [xb, yb] = [line.x[j], line.y[j]];
    const lo = Math.max(Math.min(xa, xb), b.x0),
      hi = Math.min(Math.max(xa, xb), b.x1);
    if (lo > hi) continue;
    const at = (x: number) => (xb === xa ? ya : ya + ((x - xa) / (xb - xa)) * (yb - ya));
    const ylo = Math.min(at(lo), at(hi)),
      yhi = Math.max(at(lo), at(hi));
    if (yhi >= b.y0 && ylo <= b.y1) return true;
  }
  return false;
}

/**
 * Where a reference line's label goes: above or below the line, at the right
 * or the left end, the first place no curve passes through (else the one
 * fewest curves cross), so the label never hides the data it annotates.
 */
function labelBox(label: string, y: number, plot: { x: number; y: number; w: number; h: number }, lines: { x: number[]; y: number[] }[]): LabelBox {
  const w = labelWidth(label),
    h = 12;
  const candidates: LabelBox[] = [];
  for (const side of ['end', 'start'] as const) {
    for (const dy of [-(h + 1), 1]) {
      const x0 = side === 'end' ? plot.x + plot.w - 2 - w : plot.x + 2;
      const y0 = Math.min(Math.max(y + dy, plot.y), plot.y + plot.h - h);
      candidates.push({ x0, y0, x1: x0 + w, y1: y0 + h, anchor: side, anchorX: side === 'end' ? x0 + w - 2 : x0 + 2 });
    }
  }
  let best = candidates[0],
    fewest = Infinity;
  for (const c of candidates) {
    const n = lines.filter((line) => crosses(line, c)).length;
    if (n < fewest) {
      best = c;
      fewest = n;
    }
    if (n === 0) break;
  }
  return best;
}

export async function writeGoodnessPlot(logPath: string, svgPath: string, options: PlotOptions & ParseLogOptions = {}): Promise<void> {
  const records: LogRecord[] = [];
  for await (const r of readLog(logPath, options)) records.push(r);
  await writeFileAtomic(svgPath, goodnessPlotSvg(records, options));
}
