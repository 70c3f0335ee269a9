// `ffedge logs summary FILE` and `ffedge logs csv FILE`: host/logs on a goodness log.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { exportCsv, loadLog, renderSummary, serveDashboard, summarizeFile, writeGoodnessPlot } from '../logs/index.js';
import { lastConfusion, renderConfusion } from '../logs/confusion.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';
import { writingTo } from './output-files.js';
import { plotPathFor } from './stream.js';

function checkLog(file: string): string {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`log ${file} does not exist (ffedge stream writes one under out/, or --log PATH)`);
  checkInputFile('log', path);
  return path;
}

export async function logsSummaryCommand(file: string, flags: { svg?: string; plot?: boolean }): Promise<void> {
  const path = checkLog(file);
  const notes: string[] = [];
  const summary = await summarizeFile(path, { onTruncatedTail: (line) => notes.push(`note: skipped a truncated last line (${line})`) });
  process.stdout.write(renderSummary(summary, { title: `Goodness log summary: ${file}` }));
  const confusion = lastConfusion(await loadLog(path));
  if (confusion) process.stdout.write(`\n${renderConfusion(confusion)}\n`);
  for (const n of notes) process.stderr.write(`${n}\n`);
  if (flags.plot !== false) {
    const svg = resolve(flags.svg ?? plotPathFor(path));
    await writingTo('--svg', svg, () => writeGoodnessPlot(path, svg, { title: file }));
    process.stdout.write(`\nplot: ${svg}\n`);
  }
}

export async function logsCsvCommand(file: string, flags: { out?: string; meta?: boolean }): Promise<void> {
  const path = checkLog(file);
  const out = resolve(flags.out ?? path.replace(/\.jsonl$/i, '') + '.csv');
  const { records, rows } = await writingTo('--out', out, () => exportCsv(path, out, { includeMeta: flags.meta ?? false }));
  process.stdout.write(`${out}: ${rows} rows from ${records} records\n`);
}

/**
 * `ffedge logs live FILE`: serves a page on 127.0.0.1 that follows the log as
 * it grows (plot, summary, newest records) until Ctrl-C. The file may not
 * exist yet: start it before `ffedge stream --log FILE`.
 */
export async function logsLiveCommand(file: string, flags: { port?: string }): Promise<void> {
  const port = flags.port === undefined ? 8080 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${JSON.stringify(flags.port)}`);
  let server;
  try {
    server = await serveDashboard(resolve(file), port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${port} is in use by another program: pass another --port (0 = any free port)`);
    if (code === 'EACCES') throw new UsageError(`--port ${port} needs privileges: pass a port above 1023 (0 = any free port)`);
    throw err;
  }
  process.stdout.write(`live view of ${file}: ${server.url}  (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => void server.close().then(done));
    process.once('SIGTERM', () => void server.close().then(done));
  });
}
