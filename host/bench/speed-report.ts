// The speed report (host/bench/speed.ts) as markdown tables and an SVG plot of
// cost per parameter against model size. The plot reuses the goodness plots'
// renderer (host/logs/plot-svg.ts); its x axis is log10(parameters) because the
// renderer draws linear axes only.

import { renderSvg, type PlotModel, type PlotSeries } from '../logs/plot-svg.js';
import type { SpeedReport, SpeedResult } from './speed.js';
import { RUNTIMES, type RuntimeId } from './speed-runtimes.js';

const COLORS: Record<RuntimeId, string> = {
  'v8-simd': '#0072B2',
  'v8-relaxed': '#F0E442',
  'v8-scalar': '#56B4E9',
  wasm2c: '#E69F00',
  'wasm2c-checked': '#D55E00',
  'c-strict': '#000000',
  'c-fast-math': '#009E73',
  'c-fast-math-exact': '#CC79A7',
  'c-simd128': '#8C564B',
  'ts-reference': '#999999',
};

/** "12.3 us", "1.23 ms": 3 significant digits. */
export function formatDuration(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toPrecision(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toPrecision(3)} us`;
  return `${ns.toPrecision(3)} ns`;
}

const ratioText = (r: number | null) => (r === null ? '' : ` (${r.toFixed(2)}x)`);
const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(0)}%`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );
}

export function speedMarkdown(report: SpeedReport): string {
  const ids = report.runtimes.filter((r) => r.available).map((r) => r.id);
  const label = (id: RuntimeId) => RUNTIMES.find((r) => r.id === id)!.label;
  const find = (model: string, id: RuntimeId): SpeedResult | undefined => report.results.find((r) => r.model === model && r.runtime === id);
  /** One row per model, one column per runtime; `cell` renders a result ('-' where a runtime has none). */
  const perModel = (runtimes: RuntimeId[], cell: (r: SpeedResult) => string | null): string =>
    table(
      ['model', 'params', ...runtimes.map(label)],
      report.models.map((model) => [
        model.name,
        model.params.toLocaleString('en-US'),
        ...runtimes.map((id) => {
          const r = find(model.name, id);
          return (r && cell(r)) ?? '-';
        }),
      ]),
    );
  const out: string[] = [];
  const m = report.machine;
  out.push(`# Training-step speed${report.quick ? ' (--quick smoke run)' : ''}`, '');
  out.push(`${report.date}, ${m.cpu} x${m.cores}, Node ${m.node} (V8 ${m.v8}), ${m.gcc ?? 'no gcc'}, ${m.wasm2c ? `wasm2c ${m.wasm2c}` : 'no wasm2c'}.`);
  out.push(
    `Every runtime: FF, batch 1, mean-squares goodness, Adam, random wrong label, label prepended, no head (the C reference's options). ` +
      `Median of ${report.method.rounds} rounds x ${report.method.repeats} timed runs of ${report.method.steps !== null ? `${report.method.steps} steps` : `~${report.method.targetMs} ms`} each; ` +
      `(Nx) = time / C strict's time in the same rounds (median of per-round ratios; < 1 is faster than C strict).`,
    '',
  );
  out.push('## Time per training step', '');
  out.push(perModel(ids, (r) => `${formatDuration(r.nsPerStep)}${ratioText(r.timeVsCStrict)}`));
  out.push('', '## Cost per parameter (ns / parameter / step)', '');
  out.push(perModel(ids, (r) => r.nsPerParam.toFixed(2)));
  const fastIds = ids.filter((id) => id !== 'c-fast-math');
  if (ids.includes('c-fast-math')) {
    out.push('', '## Speed relative to C fast-math (C fast-math time / runtime time; 1.00 = as fast)', '');
    out.push(perModel(fastIds, (r) => (r.timeVsCFastMath ? (1 / r.timeVsCFastMath).toFixed(2) : null)));
  }
  if (report.m4.length > 0) {
    out.push('', '## Cortex-M4 (QEMU mps2-an386, -icount shift=0): instructions per step, not cycles', '');
    out.push(
      table(
        ['model', 'params', 'wasm2c (bounds checks)', 'C reference', 'wasm2c / C', 'same weights'],
        report.m4.map((x) => [
          x.model,
          x.params.toLocaleString('en-US'),
          x.wasm2cInstructionsPerStep.toLocaleString('en-US'),
          x.cInstructionsPerStep.toLocaleString('en-US'),
          `${x.ratio.toFixed(2)}x`,
          x.sameWeights ? 'yes' : 'NO',
        ]),
      ),
    );
  }
  if (report.wasm.length > 0) {
    out.push('', '## The wasm builds (per build: every learning rule is in the same module)', '');
    out.push(
      table(
        ['build', 'file', 'bytes', 'compile (ms)', 'instantiate (ms)'],
        report.wasm.map((w) => [w.build, w.file, w.bytes.toLocaleString('en-US'), w.compileMs.toFixed(2), w.instantiateMs.toFixed(3)]),
      ),
    );
    out.push(
      '',
      `Compile = \`new WebAssembly.Module(bytes)\` in a fresh Node process (V8's Liftoff baseline; hot functions tier up to TurboFan in the background), median of ${report.wasm[0]!.samples}.`,
    );
  }
  out.push('', '## Targets', '');
  const t = report.targets.simdVsFastMath;
  if (t.speedVsCFastMath === null) out.push(`- V8 SIMD vs C fast-math on ${t.model}: not measured in this run.`);
  else
    out.push(
      `- V8 SIMD on ${t.model}: ${t.speedVsCFastMath.toFixed(2)}x the speed of C fast-math (target >= 0.8), ${t.speedVsCStrict!.toFixed(2)}x C strict (target > 1): **${t.met ? 'met' : 'not met'}**.`,
    );
  for (const f of report.targets.flatness) {
    out.push(
      `- ${label(f.runtime)}: ns/param/step over ${f.models.length} models of 10k..1M params spans ${pct(f.low)}..${pct(f.high)} of its median ${f.median.toFixed(2)} (target within +-20%): **${f.met ? 'met' : 'not met'}**.`,
    );
  }
  const checked = report.results.filter((r) => r.sameWeightsAsCStrict !== null);
  if (checked.length > 0) {
    const bad = checked.filter((r) => !r.sameWeightsAsCStrict);
    out.push(
      '',
      bad.length === 0
        ? `Same work: ${[...new Set(checked.map((r) => label(r.runtime)))].join(', ')} end 3 steps with weights bit-identical to C strict on every model.`
        : `WEIGHTS DIFFER from C strict: ${bad.map((r) => `${label(r.runtime)} on ${r.model}`).join(', ')}.`,
    );
  }
  const skipped = report.runtimes.filter((r) => !r.available);
  if (skipped.length > 0 || report.m4Skipped) {
    out.push('', '## Skipped', '');
    for (const r of skipped) out.push(`- ${r.label}: ${r.skipped ?? 'not available'}`);
    if (report.m4Skipped) out.push(`- Cortex-M4: ${report.m4Skipped}`);
  }
  out.push(
    '- wasm2c of the SIMD build: not possible with the installed wabt 1.0.32 (its wasm2c aborts on SIMD instructions); only the scalar build goes through wasm2c.',
  );
  if (report.results.some((r) => r.runtime === 'ts-reference'))
    out.push(`- TS reference: models up to 50,000 parameters only (float64 arrays, allocation per step).`);
  return out.join('\n') + '\n';
}

/** ns/param/step and the ratio to C strict against log10(parameters), one line per runtime. */
export function speedSvg(report: SpeedReport): string {
  const ids = report.runtimes.filter((r) => r.available && r.id !== 'ts-reference').map((r) => r.id);
  const label = (id: RuntimeId) => RUNTIMES.find((r) => r.id === id)!.label;
  const seriesOf = (pick: (r: SpeedResult) => number | null): PlotSeries[] =>
    ids.map((id) => {
      const rows = report.results.filter((r) => r.runtime === id).sort((a, b) => a.params - b.params);
      return { id, label: label(id), color: COLORS[id], markers: true, x: rows.map((r) => Math.log10(r.params)), y: rows.map((r) => pick(r) ?? Number.NaN) };
    });
  const xs = report.results.map((r) => Math.log10(r.params));
  const lo = xs.length ? Math.floor(Math.min(...xs) * 2) / 2 : 2,
    hi = xs.length ? Math.ceil(Math.max(...xs) * 2) / 2 : 6;
  const model: PlotModel = {
    title: 'FF training step: cost per parameter',
    subtitle: `${report.machine.cpu}, Node ${report.machine.node}; batch 1, Adam; medians over ${report.method.rounds} rounds (TS reference omitted: tens of ns/param)`,
    xLabel: 'parameters, log10 (3 = 1k, 4 = 10k, 5 = 100k, 6 = 1M)',
    xDomain: [lo, hi === lo ? lo + 1 : hi],
    panels: [
      { id: 'ns-per-param', title: 'Time per parameter per step', yLabel: 'ns / param / step', series: seriesOf((r) => r.nsPerParam) },
      {
        id: 'vs-c-strict',
        title: 'Time relative to C strict (same rounds)',
        yLabel: 'time / C strict',
        series: seriesOf((r) => r.timeVsCStrict),
        hlines: [{ y: 1, label: 'C strict' }],
      },
    ],
  };
  return renderSvg(model, { width: 1100, panelHeight: 380, columns: 2 });
}
