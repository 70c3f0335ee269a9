import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGoodnessPlot, escapeXml, goodnessPlotSvg, movingAverage, niceTicks, thinIndices, writeGoodnessPlot } from './plot-svg.js';
import { findAll, parseXml, type XmlElement } from '../../test/support/xml-check.js';
import { exampleLog } from '../../test/support/example-log.js';
import type { LogRecord, TrainRecord } from './records.js';

test('escapeXml: the five predefined entities, so text and quoted attributes stay well-formed', () => {
  assert.equal(escapeXml(`a < b && c > "d" 'e'`), 'a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos;');
  const doc = parseXml(`<a t="${escapeXml(`"'<&>`)}" u='${escapeXml(`"'<&>`)}'>${escapeXml('<b>&amp;</b>')}</a>`);
  assert.deepEqual([doc.attrs.t, doc.attrs.u, doc.text], [`"'<&>`, `"'<&>`, '<b>&amp;</b>']);
});

test('the XML checker accepts well-formed documents and rejects broken ones', () => {
  const ok = parseXml('<?xml version="1.0"?>\n<!-- c --><a x="1" y=\'&lt;2&gt;\'><b/>t &amp; &#65;&#x42;<![CDATA[<raw>]]></a>\n');
  assert.equal(ok.name, 'a');
  assert.equal(ok.attrs.y, '<2>');
  assert.equal(ok.text, 't & AB<raw>');
  const bad: [string, RegExp][] = [
    ['<a><b></a></b>', /does not match/],
    ['<a x=1/>', /not quoted/],
    ['<a>fish & chips</a>', /'&' not starting an entity/],
    ['<a/><b/>', /more than one root/],
    ['<a x="1" x="2"/>', /duplicate attribute/],
    ['<a><b>', /never closed/],
    ['<a x="<"/>', /'<' in the value/],
    ['<a>&nbsp;</a>', /unknown entity/],
    ['</a>', /without a start tag/],
    ['<a x="1"y="2"/>', /separated by whitespace/],
    ['text', /text outside the root/],
    ['', /no root element/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseXml(doc), { name: 'XmlError', message: re }, doc);
});

test('movingAverage matches a naive centred mean and skips NaN', () => {
  const v = [1, 5, Number.NaN, 2, 8, 3, 3, Number.NaN, Number.NaN, Number.NaN, 4];
  for (const w of [1, 2, 3, 4, 7]) {
    const got = movingAverage(v, w);
    const left = Math.floor((w - 1) / 2),
      right = w - 1 - left;
    v.forEach((_, i) => {
      const win = v.slice(Math.max(0, i - left), i + right + 1).filter((x) => !Number.isNaN(x));
      const expected = win.length ? win.reduce((a, b) => a + b) / win.length : Number.NaN;
      assert.ok(Object.is(got[i], expected) || Math.abs(got[i] - expected) < 1e-12, `w ${w} i ${i}: ${got[i]} vs ${expected}`);
    });
  }
  assert.throws(() => movingAverage(v, 0), { name: 'TypeError', message: /window/ });
});

test('niceTicks are 1/2/5 x 10^k steps inside the range; thinIndices keeps both ends', () => {
  for (const [lo, hi] of [
    [0, 1],
    [0, 899],
    [-3.2, 7.9],
    [1234, 1290],
    [0.001, 0.0042],
  ]) {
    const t = niceTicks(lo, hi, 5);
    assert.ok(t.length >= 2 && t.length <= 10, `${lo}..${hi}: ${t}`);
    assert.ok(t[0] >= lo - 1e-12 && t[t.length - 1] <= hi + 1e-12);
    const step = t[1] - t[0];
    const mant = step / 10 ** Math.floor(Math.log10(step));
    assert.ok(
      [1, 2, 5].some((m) => Math.abs(mant - m) < 1e-9),
      `step ${step}`,
    );
  }
  assert.deepEqual(thinIndices(5, 10), [0, 1, 2, 3, 4]);
  const th = thinIndices(1001, 10);
  assert.equal(th.length, 10);
  assert.equal(th[0], 0);
  assert.equal(th[9], 1000);
});

interface PanelInfo {
  g: XmlElement;
  xDomain: number[];
  yDomain: number[];
  rect: number[];
}

function panels(svg: XmlElement): Map<string, PanelInfo> {
  const out = new Map<string, PanelInfo>();
  for (const g of findAll(svg, (e) => e.name === 'g' && 'data-panel' in e.attrs)) {
    out.set(g.attrs['data-panel'], {
      g,
      xDomain: g.attrs['data-x-domain'].split(' ').map(Number),
      yDomain: g.attrs['data-y-domain'].split(' ').map(Number),
      rect: g.attrs['data-plot-rect'].split(' ').map(Number),
    });
  }
  return out;
}

/** Path points mapped back to data coordinates, plus the count of subpaths. */
function pathData(p: PanelInfo, id: string): { pts: [number, number][]; subpaths: number } {
  const path = findAll(p.g, (e) => e.name === 'path' && e.attrs['data-series'] === id)[0];
  assert.ok(path, `series ${id}`);
  const d = path.attrs.d;
  assert.match(d, /^M[-\d.]+,[-\d.]+([ML][-\d.]+,[-\d.]+)*$/);
  const [rx, ry, rw, rh] = p.rect;
  const pts = [...d.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map((m) => {
    const x = Number(m[1]),
      y = Number(m[2]);
    assert.ok(x >= rx - 0.01 && x <= rx + rw + 0.01 && y >= ry - 0.01 && y <= ry + rh + 0.01, `point ${x},${y} outside the plot area`);
    return [p.xDomain[0] + ((x - rx) / rw) * (p.xDomain[1] - p.xDomain[0]), p.yDomain[0] + ((ry + rh - y) / rh) * (p.yDomain[1] - p.yDomain[0])] as [
      number,
      number,
    ];
  });
  return { pts, subpaths: (d.match(/M/g) ?? []).length };
}

test('valid SVG whose unsmoothed lines span exactly the data extent', () => {
  const records = exampleLog({ steps: 400, layers: 3, evalEvery: 50, seed: 9 });
  const train = records.filter((r): r is TrainRecord => r.type === 'train');
  const svgText = goodnessPlotSvg(records, { smoothing: 1, maxPoints: 10_000 });
  const svg = parseXml(svgText);
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attrs.xmlns, 'http://www.w3.org/2000/svg');
  const ps = panels(svg);
  assert.deepEqual([...ps.keys()], ['layer1', 'layer2', 'layer3', 'loss', 'accuracy', 'sparsity']);
  const steps = train.map((r) => r.step);
  const xTol = (p: PanelInfo) => (0.011 * (p.xDomain[1] - p.xDomain[0])) / p.rect[2];
  const yTol = (p: PanelInfo) => (0.011 * (p.yDomain[1] - p.yDomain[0])) / p.rect[3];
  for (let l = 0; l < 3; l++) {
    const p = ps.get(`layer${l + 1}`)!;
    for (const [id, k] of [
      ['gpos', 'gpos'],
      ['gneg', 'gneg'],
    ] as const) {
      const { pts } = pathData(p, id);
      assert.equal(pts.length, train.length);
      const xs = pts.map((q) => q[0]),
        ys = pts.map((q) => q[1]);
      const values = train.map((r) => r.layers[l][k]!);
      assert.ok(Math.abs(Math.min(...xs) - Math.min(...steps)) <= xTol(p));
      assert.ok(Math.abs(Math.max(...xs) - Math.max(...steps)) <= xTol(p));
      assert.ok(Math.abs(Math.min(...ys) - Math.min(...values)) <= yTol(p), `layer ${l + 1} ${id} min`);
      assert.ok(Math.abs(Math.max(...ys) - Math.max(...values)) <= yTol(p), `layer ${l + 1} ${id} max`);
      // Every point lands on its record.
      pts.forEach(([x, y], i) => assert.ok(Math.abs(x - train[i].step) <= xTol(p) && Math.abs(y - values[i]) <= yTol(p)));
    }
    // Threshold from the meta record drawn at theta = 2.
    const h = findAll(p.g, (e) => e.name === 'line' && 'data-hline' in e.attrs)[0];
    const y = Number(h.attrs.y1);
    const theta = p.yDomain[0] + ((p.rect[1] + p.rect[3] - y) / p.rect[3]) * (p.yDomain[1] - p.yDomain[0]);
    assert.ok(Math.abs(theta - 2) <= yTol(p));
  }
  const acc = ps.get('accuracy')!;
  assert.deepEqual(acc.yDomain, [0, 1]);
  const evals = records.filter((r) => r.type === 'eval');
  const ev = pathData(acc, 'eval').pts;
  assert.equal(ev.length, evals.length);
  assert.equal(findAll(acc.g, (e) => e.name === 'circle').length, evals.length);
  assert.ok(pathData(ps.get('loss')!, 'loss3').pts.length === train.length);
  assert.ok(pathData(ps.get('sparsity')!, 'hoyer2').pts.length === train.length);
  // Tick labels and legend text are present.
  const texts = findAll(svg, (e) => e.name === 'text').map((e) => e.text);
  for (const t of ['step', 'positive (gpos)', 'negative (gneg)', 'threshold 2', 'Loss per layer', '0', '400']) {
    assert.ok(texts.includes(t), `text '${t}' missing; have ${texts.slice(0, 30).join(' | ')}`);
  }
});

test('smoothing and thinning keep the step extent; nulls break lines; titles are escaped', () => {
  const base = exampleLog({ steps: 3000, layers: 1, seed: 2 });
  const svg = parseXml(goodnessPlotSvg(base, { maxPoints: 50, title: 'a <b> & "c"' }));
  assert.equal(findAll(svg, (e) => e.name === 'title')[0].text, 'a <b> & "c"');
  const p = panels(svg).get('layer1')!;
  const { pts } = pathData(p, 'gpos');
  assert.ok(pts.length <= 50);
  const xTol = (0.011 * (p.xDomain[1] - p.xDomain[0])) / p.rect[2];
  assert.ok(Math.abs(pts[0][0] - 0) <= xTol && Math.abs(pts[pts.length - 1][0] - 2999) <= xTol);

  const rec = (step: number, gneg: number | null): TrainRecord => ({
    type: 'train',
    t: step,
    seq: step,
    step,
    label: 0,
    layers: [{ gpos: 3, gneg, loss: 0.5, active: 0.5, hoyer: 0.5 }],
  });
  const gappy: LogRecord[] = [rec(0, 1), rec(1, 1.5), rec(2, null), rec(3, 0.5), rec(4, 0.25)];
  const g = panels(parseXml(goodnessPlotSvg(gappy, { smoothing: 1 }))).get('layer1')!;
  assert.equal(pathData(g, 'gneg').subpaths, 2);
  assert.equal(pathData(g, 'gpos').subpaths, 1);
  assert.equal(
    buildGoodnessPlot(gappy).panels.some((q) => q.id === 'accuracy'),
    false,
    'no accuracy panel without evals or predictions',
  );
  // No records at all: still a valid document.
  assert.equal(parseXml(goodnessPlotSvg([])).name, 'svg');
  assert.throws(() => goodnessPlotSvg(base, { maxPoints: 1 }), { name: 'TypeError', message: /maxPoints/ });
});

test('writeGoodnessPlot reads a log file and writes the same SVG', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ffedge-plot-'));
  try {
    const records = exampleLog({ steps: 300, layers: 2 });
    const log = join(dir, 'run.jsonl'),
      svg = join(dir, 'run.svg');
    await writeFile(log, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeGoodnessPlot(log, svg);
    assert.equal(await readFile(svg, 'utf8'), goodnessPlotSvg(records));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the threshold label sits where no curve passes (it used to cover curves ending near theta)', () => {
  // gpos and gneg climb from 0 to just around theta = 2: at the right end both curves hug the
  // threshold line above and below, where the label used to be drawn; the left end is free.
  const n = 300;
  const records: LogRecord[] = [{ type: 'meta', t: 0, config: { threshold: 2 } }];
  for (let i = 1; i <= n; i++) {
    const f = i / n;
    records.push({
      type: 'train',
      t: i,
      seq: i,
      step: i,
      label: 0,
      layers: [{ gpos: 2.12 * f, gneg: 1.88 * f, loss: 1 - f / 2, active: 0.5, hoyer: 0.3 }],
    } as TrainRecord);
  }
  const doc = parseXml(goodnessPlotSvg(records));
  const labels = findAll(doc, (e) => e.name === 'text' && e.text.startsWith('threshold'));
  assert.ok(labels.length >= 1);
  for (const label of labels) {
    // The text's box from its anchor point: 10px type, ~6px per character, baseline 2px above the box's bottom.
    const x = Number(label.attrs.x),
      y = Number(label.attrs.y),
      w = label.text.length * 6 + 4;
    const [x0, x1] = label.attrs['text-anchor'] === 'end' ? [x - w + 2, x + 2] : [x - 2, x + w - 2];
    const [y0, y1] = [y + 2 - 12, y + 2];
    const panel = findAll(doc, (e) => e.name === 'g' && 'data-panel' in e.attrs && findAll(e, (t) => t === label).length > 0)[0];
    for (const path of findAll(panel, (e) => e.name === 'path' && typeof e.attrs.d === 'string')) {
      const pts = [...path.attrs.d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      for (let i = 0; i + 1 < pts.length; i++) {
        const [[xa, ya], [xb, yb]] = [pts[i], pts[i + 1]];
        const lo = Math.max(Math.min(xa, xb), x0),
          hi = Math.min(Math.max(xa, xb), x1);
        if (lo > hi) continue;
        const at = (x: number) => (xb === xa ? ya : ya + ((x - xa) / (xb - xa)) * (yb - ya));
        const overlaps = Math.max(at(lo), at(hi)) >= y0 && Math.min(at(lo), at(hi)) <= y1;
        assert.ok(!overlaps, `label ${label.text} box ${x0},${y0}-${x1},${y1} crosses a curve near x ${lo.toFixed(0)}`);
      }
    }
  }
});
