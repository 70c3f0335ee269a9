// Live dashboard: a small HTTP server on 127.0.0.1 that tails a goodness log
// (JSONL) while it is being written and shows it in a browser.
//
//   GET /             the page: latest per-layer numbers, eval accuracy, link
//                     counters, and the SVG plot, redrawn as records arrive;
//                     with continual-learning records also the current task,
//                     the latest row of R, prequential accuracy and drift alarms
//   GET /events       Server-Sent Events, one `record` event per log line:
//                       id: <byte offset just after the line>
//                       event: record
//                       data: <the record's JSON>
//                     plus `bad-line` (a line that does not validate; the
//                     stream goes on) and `reset` (the file shrank: it was
//                     truncated or replaced; reading restarts at byte 0).
//                     A client started at the file's tail first gets one
//                     `earlier` event: {counts, lastEval, classes} of the
//                     records before its start, so the page counts the whole
//                     log, as the plot does.
//                     Start point: `?from=<byte offset>`, else the standard
//                     Last-Event-ID header (browsers send it on reconnect, so
//                     nothing is missed or repeated), else the last
//                     `backlogBytes` of the file (whole lines only).
//   GET /plot.svg     plot-svg.ts over the whole log (cached per file size)
//   GET /summary.txt  summary.ts as text
//
// The file is polled (stat every `pollIntervalMs`) rather than fs.watch'ed:
// polling behaves the same on every platform and on network filesystems. A
// log that does not exist yet is treated as empty until it appears. Only
// complete lines are sent; a line still being written waits for its newline.
//
// Non-goals: authentication (it binds to loopback only), several logs per
// server, writing anything.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { LogParseError, parseRecordLine, readLog, type LogRecord } from './records.js';
import { escapeXml, goodnessPlotSvg, type PlotOptions } from './plot-svg.js';
import { renderSummary, summarize } from './summary.js';

export interface DashboardOptions {
  /** Interface to bind; default '127.0.0.1'. Anything else must be loopback too unless allowRemote. */
  host?: string;
  /** Serve on a non-loopback address (no authentication!); default false. */
  allowRemote?: boolean;
  /** How often to stat the log; default 250 ms. */
  pollIntervalMs?: number;
  /** New /events clients without a start point get at most this much of the file's end; default 64 KiB. */
  backlogBytes?: number;
  /** Page title; default 'ff-edge live: <log path>'. */
  title?: string;
  plot?: PlotOptions;
}

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Ends all event streams and stops the server. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The complete lines in bytes [from, to) of a file, each with the offset just after its newline. */
async function* wholeLines(fh: FileHandle, from: number, to: number, stop: () => boolean): AsyncGenerator<{ line: string; end: number }> {
  const chunk = Buffer.alloc(64 * 1024);
  let pending = Buffer.alloc(0);
  let end = from;
  for (let pos = from; pos < to && !stop();) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, to - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    pending = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
    let nl: number;
    while ((nl = pending.indexOf(0x0a)) >= 0) {
      const line = pending.subarray(0, nl).toString('utf8');
      pending = pending.subarray(nl + 1);
      end += nl + 1;
      yield { line, end };
    }
  }
}

/** One /events client: reads whole lines from `offset` on each poll tick. */
class EventStream {
  private offset: number;
  private reading = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly res: ServerResponse,
    start: number,
  ) {
    this.offset = start;
  }

  close(): void {
    this.closed = true;
    this.res.end();
  }

  private send(event: string, data: string, id?: number): void {
    if (this.closed) return;
    this.res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
  }

  ping(): void {
    if (!this.closed) this.res.write(': ping\n\n');
  }

  /** Sends every complete line past `offset`. Re-entrant calls coalesce into one extra pass. */
  async pump(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.readNew();
      } while (this.again && !this.closed);
    } finally {
      this.reading = false;
    }
  }

  private async readNew(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch {
      size = 0; // not there (yet)
    }
    if (size < this.offset) {
      this.offset = 0;
      this.send('reset', JSON.stringify({ reason: 'log file shrank; restarting from byte 0' }));
    }
    if (size === this.offset) return;
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return; // removed between stat and open (rotation): try again next tick
    }
    try {
      // A last line without its newline yet is left for the next time.
      for await (const { line, end } of wholeLines(fh, this.offset, size, () => this.closed)) {
        this.offset = end;
        if (line.trim() === '') continue;
        try {
          const record = parseRecordLine(line, 0, this.path);
          this.send('record', JSON.stringify(record), this.offset);
        } catch (err) {
          if (!(err instanceof LogParseError)) throw err;
          this.send('bad-line', JSON.stringify({ endOffset: this.offset, reason: err.reason }), this.offset);
        }
      }
    } finally {
      await fh.close();
    }
  }
}

export interface EarlierRecords {
  /** Records per type in the skipped part. */
  counts: Record<string, number>;
  /** The latest eval record there, if any. */
  lastEval: LogRecord | null;
  /** Class names of the latest confusion matrix there, if any. */
  classes: string[] | null;
}

/** What lies in bytes [0, end) of the log: counted line by line, never held whole. */
export async function earlierRecords(path: string, end: number): Promise<EarlierRecords> {
  const earlier: EarlierRecords = { counts: {}, lastEval: null, classes: null };
  if (end <= 0) return earlier;
  const fh = await open(path, 'r');
  try {
    for await (const { line } of wholeLines(fh, 0, end, () => false)) {
      if (line.trim() === '') continue;
      let record: LogRecord;
      try {
        record = parseRecordLine(line, 0, path);
      } catch {
        continue;
      } // the live stream reports bad lines only from its start
      earlier.counts[record.type] = (earlier.counts[record.type] ?? 0) + 1;
      if (record.type === 'eval') earlier.lastEval = record;
      const confusion = record.type === 'meta' ? (record.confusion as { classes?: unknown } | undefined) : undefined;
      if (Array.isArray(confusion?.classes)) earlier.classes = confusion.classes.map(String);
    }
  } finally {
    await fh.close();
  }
  return earlier;
}

/** Byte offset where a new client without a start point begins: the start of a whole line near the end. */
async function tailStart(path: string, backlogBytes: number): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 0;
  }
  if (size <= backlogBytes) return 0;
  const fh = await open(path, 'r');
  try {
    const from = size - backlogBytes;
    const buf = Buffer.alloc(backlogBytes);
    const { bytesRead } = await fh.read(buf, 0, backlogBytes, from);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    return nl < 0 ? size : from + nl + 1;
  } finally {
    await fh.close();
  }
}

function page(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
  body { font: 14px/1.4 Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222; }
  h1 { font-size: 19px; margin: 0 0 4px; }
  #status { color: #666; margin-bottom: 12px; }
  #status.live::before { content: "\\25CF  "; color: #009E73; }
  #status.down::before { content: "\\25CF  "; color: #D55E00; }
  table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 12px; text-align: right; border-bottom: 1px solid #e4e4e4; }
  th { font-weight: 600; color: #444; }
  #facts span, #continual span { margin-right: 24px; }
  #drift { color: #D55E00; }
  img { max-width: 100%; border: 1px solid #eee; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<div id="status" class="down">connecting...</div>
<div id="facts"><span id="counts"></span><span id="eval"></span><span id="link"></span></div>
<div id="continual"><span id="task"></span><span id="rrow"></span><span id="preq"></span><span id="drift"></span></div>
<div id="perclass"></div>
<table id="layers"><thead><tr><th>layer</th><th>gpos</th><th>gneg</th><th>gpos - gneg</th><th>loss</th><th>active</th><th>Hoyer</th></tr></thead><tbody></tbody></table>
<img id="plot" alt="goodness plot" src="plot.svg">
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (v) => (v === null || v === undefined) ? "-" : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
const counts = { train: 0, eval: 0, link: 0, meta: 0 };
const recent = [];   // last train records, for a short running mean
let lastEval = null, lastLink = null, classes = null, dirty = false, lastPlot = 0;
let boundary = null, preq = null, drifts = 0, row = [], rowAfter = null;
const int = (n) => n.toLocaleString("en-US");
function render() {
  // Counted over the whole log (the part before this page's start arrives as "earlier"), as the plot counts.
  $("counts").textContent = int(counts.train) + " train records, " + int(counts.eval) + " evals";
  if (lastEval) $("eval").textContent = "eval accuracy " + fmt(lastEval.accuracy) + " at step " + lastEval.step + " (n " + lastEval.n + ")";
  if (lastEval && Array.isArray(lastEval.perClass)) {
    $("perclass").textContent = "per class: " + lastEval.perClass.map((a, i) => (classes && classes[i] !== undefined ? classes[i] : String(i)) + " " + fmt(a)).join(", ");
  }
  if (lastLink) $("link").textContent = "link: " + lastLink.framesDropped + " dropped, " + lastLink.crcErrors + " CRC errors, " + lastLink.retransmits + " retransmits";
  if (boundary) $("task").textContent = "task " + boundary.task + (boundary.name ? " (" + boundary.name + ")" : "") + " since sample " + boundary.sample;
  if (rowAfter !== null) $("rrow").textContent = (rowAfter < 0 ? "untrained" : "after task " + rowAfter) + ": " + row.map((a) => (a * 100).toFixed(0) + "%").join(" ");
  if (preq) $("preq").textContent = "prequential " + fmt(preq.accuracy) + " (last " + preq.window + ": " + fmt(preq.windowAccuracy) + ")";
  if (drifts > 0) $("drift").textContent = drifts + " drift alarm" + (drifts === 1 ? "" : "s");
  const body = $("layers").tBodies[0];
  body.textContent = "";
  if (recent.length === 0) return;
  const layers = recent[recent.length - 1].layers.length;
  for (let l = 0; l < layers; l++) {
    const mean = (k) => { let s = 0, n = 0; for (const r of recent) { const v = r.layers[l] && r.layers[l][k]; if (typeof v === "number") { s += v; n++; } } return n ? s / n : null; };
    const gp = mean("gpos"), gn = mean("gneg");
    const row = body.insertRow();
    for (const v of [String(l + 1), fmt(gp), fmt(gn), fmt(gp !== null && gn !== null ? gp - gn : null), fmt(mean("loss")), fmt(mean("active")), fmt(mean("hoyer"))]) row.insertCell().textContent = v;
  }
}
function refreshPlot() {
  const now = Date.now();
  if (!dirty || now - lastPlot < 2000) return;
  dirty = false; lastPlot = now;
  const next = new Image();   // load off-screen, then swap: no flicker
  next.onload = () => { $("plot").src = next.src; };
  next.src = "plot.svg?t=" + now;
}
setInterval(refreshPlot, 500);
const events = new EventSource("events");
events.onopen = () => { $("status").textContent = "live (means over the last 100 train records)"; $("status").className = "live"; };
events.onerror = () => { $("status").textContent = "disconnected, retrying..."; $("status").className = "down"; };
events.addEventListener("record", (e) => {
  const r = JSON.parse(e.data);
  counts[r.type] = (counts[r.type] || 0) + 1;
  if (r.type === "train" && r.layers) { recent.push(r); if (recent.length > 100) recent.shift(); }
  else if (r.type === "eval") lastEval = r;
  else if (r.type === "link") lastLink = r;
  else if (r.type === "boundary") boundary = r;
  else if (r.type === "prequential") preq = r;
  else if (r.type === "drift") drifts++;
  else if (r.type === "task-eval") { if (r.afterTask !== rowAfter) { rowAfter = r.afterTask; row = []; } row[r.task] = r.accuracy; }
  else if (r.type === "meta" && r.confusion && Array.isArray(r.confusion.classes)) classes = r.confusion.classes;
  dirty = true;
  render();
});
events.addEventListener("earlier", (e) => {
  const before = JSON.parse(e.data);
  for (const k in before.counts) counts[k] = (counts[k] || 0) + before.counts[k];
  if (!lastEval && before.lastEval) lastEval = before.lastEval;
  if (!classes && before.classes) classes = before.classes;
  render();
});
events.addEventListener("reset", () => { for (const k in counts) counts[k] = 0; recent.length = 0; lastEval = lastLink = classes = null; boundary = preq = rowAfter = null; drifts = 0; row = []; dirty = true; render(); });
</script>
</body>
</html>
`;
}

/**
 * Serves the dashboard for `logPath` on `port` (0 = any free port) on
 * 127.0.0.1. Resolves once listening.
 */
export async function serveDashboard(logPath: string, port: number, options: DashboardOptions = {}): Promise<DashboardServer> {
  if (typeof logPath !== 'string' || logPath === '') throw new TypeError('logPath must be a non-empty string');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port must be an integer in 0..65535, got ${port}`);
  const { host = '127.0.0.1', allowRemote = false, pollIntervalMs = 250, backlogBytes = 64 * 1024 } = options;
  if (!allowRemote && !LOOPBACK.has(host)) {
    throw new TypeError(`options.host ${host} is not a loopback address; the dashboard has no authentication (set allowRemote to override)`);
  }
  if (!(pollIntervalMs >= 10)) throw new TypeError(`options.pollIntervalMs must be >= 10, got ${pollIntervalMs}`);
  if (!Number.isInteger(backlogBytes) || backlogBytes < 0) throw new TypeError(`options.backlogBytes must be a non-negative integer, got ${backlogBytes}`);
  const title = options.title ?? `ff-edge live: ${logPath}`;
  const html = page(title);
  const streams = new Set<EventStream>();
  let plotCache: { key: string; svg: string } | undefined;

  const loadRecords = async (): Promise<LogRecord[]> => {
    const out: LogRecord[] = [];
    try {
      await stat(logPath);
    } catch {
      return out;
    }
    for await (const r of readLog(logPath)) out.push(r);
    return out;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/':
        res
          .writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
          })
          .end(html);
        return;
      case '/events': {
        const from = url.searchParams.get('from');
        const lastId = req.headers['last-event-id'];
        let start: number;
        let earlier: EarlierRecords | undefined;
        if (from !== null || lastId !== undefined) {
          start = Number(from ?? lastId);
          if (!Number.isInteger(start) || start < 0) {
            res.writeHead(400, { 'content-type': 'text/plain' }).end('from / Last-Event-ID must be a byte offset\n');
            return;
          }
        } else {
          start = await tailStart(logPath, backlogBytes);
          if (start > 0) earlier = await earlierRecords(logPath, start);
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        res.write('retry: 1000\n\n');
        if (earlier) res.write(`event: earlier\ndata: ${JSON.stringify(earlier)}\n\n`);
        const stream = new EventStream(logPath, res, start);
        streams.add(stream);
        req.on('close', () => {
          streams.delete(stream);
          stream.close();
        });
        await stream.pump();
        return;
      }
      case '/plot.svg': {
        let key = 'missing';
        try {
          const s = await stat(logPath);
          key = `${s.size}:${s.mtimeMs}`;
        } catch {
          /* empty plot */
        }
        if (plotCache?.key !== key) plotCache = { key, svg: goodnessPlotSvg(await loadRecords(), { title, ...options.plot }) };
        res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' }).end(plotCache.svg);
        return;
      }
      case '/summary.txt':
        res
          .writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end(renderSummary(summarize(await loadRecords()), { title }));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / , /events, /plot.svg or /summary.txt\n');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(err as Error).message}\n`);
    });
  });

  const poll = setInterval(() => {
    for (const s of streams) void s.pump().catch(() => s.close());
  }, pollIntervalMs);
  const ping = setInterval(() => {
    for (const s of streams) s.ping();
  }, 15_000);
  poll.unref();
  ping.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostInUrl}:${address.port}/`,
    port: address.port,
    server,
    async close() {
      clearInterval(poll);
      clearInterval(ping);
      for (const s of streams) s.close();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
