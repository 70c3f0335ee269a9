// The live dashboard (host/logs/live-dashboard.ts) in a real browser: headless
// Chromium loads the page of `ffedge logs live` while the log grows, and the
// counts and per-class accuracy it shows must be those of the whole log file
// (the same counts the plot reports). Skipped without the Debian `chromium`
// package (scripts/setup-toolchains.sh installs it).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalRecord, LogRecord } from '../host/logs/records.js';
import { cliPath, runCommand } from './cli-run.js';
import { exampleLog } from './support/example-log.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const hasChromium = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(join(tmpdir(), 'ffedge-dashboard-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The page after its scripts ran, as Chromium serialises the DOM. Flags that work as root in a container. */
async function dumpDom(url: string, waitMs: number): Promise<string> {
  const profile = mkdtempSync(join(work, 'profile-'));
  const r = await runCommand(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      `--timeout=${waitMs}`,
      '--dump-dom',
      url,
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const textOf = (html: string, id: string): string => {
  const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
  return (m?.[1] ?? '').replace(/&amp;/g, '&');
};
const line = (r: LogRecord): string => JSON.stringify(r) + '\n';

test(
  "headless Chromium shows the whole log's counts and the latest per-class accuracy",
  { skip: hasChromium ? false : 'Debian package chromium is not installed (scripts/setup-toolchains.sh)', timeout: 120_000 },
  async () => {
    const log = join(work, 'run.jsonl');
    const classes = ['idle', 'shake', 'circle', 'tap', 'tilt'];
    // Larger than the page's 64 KiB backlog: the page starts at the tail and must still count everything.
    const first = exampleLog({ steps: 1500, layers: 2, classes: 5 });
    writeFileSync(log, first.map(line).join(''));
    const server = spawn(process.execPath, [cliPath, 'logs', 'live', log, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('close', (code) => reject(new Error(`ffedge logs live exited ${code}`)));
      });
      // The run goes on while the page is served: more training, a final evaluation, its confusion matrix.
      const more: LogRecord[] = exampleLog({ steps: 200, layers: 2, classes: 5, seed: 7 })
        .filter((r) => r.type === 'train')
        .map((r) => ({ ...r, step: (r as { step: number }).step + 1500 }) as LogRecord);
      const finalEval: EvalRecord = {
        type: 'eval',
        t: Date.now(),
        step: 1700,
        accuracy: 0.74,
        n: 500,
        perClass: [0.91, 0.62, 0.55, 0.875, 0.8],
        mode: 'goodness',
      };
      appendFileSync(
        log,
        more.map(line).join('') +
          line(finalEval) +
          line({ type: 'meta', t: Date.now(), confusion: { step: 1700, mode: 'goodness', classes, matrix: classes.map(() => classes.map(() => 20)) } }),
      );
      const all = [...first, ...more, finalEval];
      const trainCount = all.filter((r) => r.type === 'train').length;
      const evalCount = all.filter((r) => r.type === 'eval').length;
      const expectedCounts = `${trainCount.toLocaleString('en-US')} train records, ${evalCount} evals`;
      const expectedPerClass = 'per class: idle 0.910, shake 0.620, circle 0.550, tap 0.875, tilt 0.800';

      let html = '';
      // The page may render before the last appended lines reach it, or (on a loaded machine) before
      // its event stream connects: each attempt gives it longer.
      for (let attempt = 0; attempt < 5; attempt++) {
        html = await dumpDom(url, 3000 * (attempt + 1));
        if (textOf(html, 'counts') === expectedCounts && textOf(html, 'perclass') === expectedPerClass) break;
      }
      assert.match(html, /id="status" class="live"/, 'the event stream connected');
      assert.equal(textOf(html, 'counts'), expectedCounts);
      assert.equal(textOf(html, 'perclass'), expectedPerClass);
      assert.match(textOf(html, 'eval'), /^eval accuracy 0\.740 at step 1700 \(n 500\)$/);
      // The plot the page shows reports the same count of train records.
      const svg = await (await fetch(new URL('plot.svg', url))).text();
      assert.ok(svg.includes(`${trainCount.toLocaleString('en-US')} train records`), 'plot subtitle counts the same records');
    } finally {
      server.kill('SIGTERM');
    }
  },
);
