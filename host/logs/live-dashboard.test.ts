import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDashboard, type DashboardServer } from './live-dashboard.js';
import { openJsonlWriter } from './jsonl-writer.js';
import { exampleLog } from '../../test/support/example-log.js';
import { parseXml } from '../../test/support/xml-check.js';
import type { LogRecord } from './records.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ffedge-dash-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A minimal SSE client: collects events and lets the test wait for the n-th one. */
function sse(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let buffer = '';
  let wake: (() => void) | undefined;
  let res: IncomingMessage | undefined;
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (r) => {
      res = r;
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const ev: SseEvent = { event: 'message', data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            const m = /^([a-z-]+): ?(.*)$/i.exec(line);
            if (!m) continue;
            if (m[1] === 'id') ev.id = m[2];
            if (m[1] === 'event') ev.event = m[2];
            if (m[1] === 'data') {
              ev.data += m[2];
              isEvent = true;
            }
          }
          if (isEvent) events.push(ev);
        }
        wake?.();
      });
      resolve(r);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events,
    opened,
    async waitFor(n: number, timeoutMs = 5000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${n} events: ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return events;
    },
    close() {
      res?.destroy();
    },
  };
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

const line = (r: LogRecord) => JSON.stringify(r) + '\n';

test('serves the page, the plot and the summary on 127.0.0.1', async () => {
  const log = join(dir, 'page.jsonl');
  const records = exampleLog({ steps: 200, layers: 2 });
  await writeFile(log, records.map(line).join(''));
  const dash = await serveDashboard(log, 0, { pollIntervalMs: 20 });
  try {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(dash.port > 0);
    const page = await get(dash.url);
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /new EventSource\("events"\)/);
    assert.match(page.body, /<img id="plot"/);
    const plot = await get(dash.url + 'plot.svg');
    assert.match(plot.type, /image\/svg\+xml/);
    assert.equal(parseXml(plot.body).name, 'svg');
    const summary = await get(dash.url + 'summary.txt');
    const evals = records.filter((r) => r.type === 'eval').length;
    assert.ok(summary.body.includes(`200 train, ${evals} eval`), summary.body);
    assert.equal((await get(dash.url + 'nope')).status, 404);
    assert.equal((await get(dash.url + 'events?from=-4')).status, 400);
  } finally {
    await dash.close();
  }
});

test('streams existing and newly appended records; partial lines wait for their newline', async () => {
  const log = join(dir, 'live.jsonl');
  const records = exampleLog({ steps: 6, layers: 2, evalEvery: 3, linkEvery: 100 });
  const [first, second, third, ...later] = records;
  await writeFile(log, line(first) + line(second) + line(third));
  const dash = await serveDashboard(log, 0, { pollIntervalMs: 20 });
  const client = sse(dash.url + 'events?from=0');
  try {
    assert.match((await client.opened).headers['content-type'] ?? '', /text\/event-stream/);
    await client.waitFor(3);
    assert.deepEqual(
      client.events.map((e) => JSON.parse(e.data)),
      [first, second, third],
    );
    assert.equal(Number(client.events[2].id), (await stat(log)).size, 'id = byte offset after the line');

    // Appended through the real writer while the client listens.
    const writer = openJsonlWriter(log);
    await writer.append(later[0]);
    await writer.append(later[1]);
    await client.waitFor(5);
    assert.deepEqual(
      client.events.slice(3).map((e) => JSON.parse(e.data)),
      later.slice(0, 2),
    );

    // Half a line: nothing until the rest (and its newline) arrives.
    const text = line(later[2]);
    await appendFile(log, text.slice(0, 25));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(client.events.length, 5);
    await appendFile(log, text.slice(25));
    await client.waitFor(6);
    assert.deepEqual(JSON.parse(client.events[5].data), later[2]);

    // A bad line is reported and the stream goes on.
    await appendFile(log, '{"type":"eval","t":1}\n');
    await writer.append(later[3]);
    await writer.close();
    await client.waitFor(8);
    assert.equal(client.events[6].event, 'bad-line');
    assert.match(JSON.parse(client.events[6].data).reason, /step must be a finite number/);
    assert.deepEqual(JSON.parse(client.events[7].data), later[3]);
  } finally {
    client.close();
    await dash.close();
  }
});

test('Last-Event-ID resumes after the last seen record; default start is the tail; truncation resets', async () => {
  const log = join(dir, 'resume.jsonl');
  const records = exampleLog({ steps: 40, layers: 1, evalEvery: 1000, linkEvery: 1000 });
  await writeFile(log, records.map(line).join(''));
  const dash = await serveDashboard(log, 0, { pollIntervalMs: 20, backlogBytes: 600 });
  try {
    const all = sse(dash.url + 'events?from=0');
    await all.waitFor(records.length);
    all.close();
    const resumeAfter = all.events[9];
    const resumed = sse(dash.url + 'events', { 'last-event-id': resumeAfter.id! });
    await resumed.waitFor(records.length - 10);
    assert.deepEqual(JSON.parse(resumed.events[0].data), records[10]);
    resumed.close();

    // No start point: only whole lines from the last 600 bytes.
    const tail = sse(dash.url + 'events');
    await tail.opened;
    await new Promise((r) => setTimeout(r, 150));
    // First the counts of what lies before the tail, so the page counts the whole log as the plot does.
    assert.equal(tail.events[0].event, 'earlier');
    const earlier = JSON.parse(tail.events[0].data) as { counts: Record<string, number> };
    const got = tail.events.slice(1).map((e) => JSON.parse(e.data));
    assert.ok(got.length > 0 && got.length < records.length, `tail sent ${got.length}`);
    assert.deepEqual(got, records.slice(records.length - got.length));
    const bytes = got.reduce((n, r) => n + Buffer.byteLength(line(r)), 0);
    assert.ok(bytes <= 600);
    const before = records.slice(0, records.length - got.length);
    for (const type of new Set(before.map((r) => r.type))) assert.equal(earlier.counts[type], before.filter((r) => r.type === type).length, type);

    // The log is replaced by a shorter one: reset, then the new content.
    await writeFile(log, line(records[0]));
    await tail.waitFor(got.length + 3);
    assert.equal(tail.events[got.length + 1].event, 'reset');
    assert.deepEqual(JSON.parse(tail.events[got.length + 2].data), records[0]);
    tail.close();
  } finally {
    await dash.close();
  }
});

test('a log that does not exist yet is followed once it appears; close ends streams', async () => {
  const log = join(dir, 'later.jsonl');
  const dash: DashboardServer = await serveDashboard(log, 0, { pollIntervalMs: 20 });
  const client = sse(dash.url + 'events');
  const res = await client.opened;
  const ended = new Promise((r) => res.on('close', r));
  const [meta] = exampleLog({ steps: 1 });
  await writeFile(log, line(meta));
  await client.waitFor(1);
  assert.equal(client.events[0].event, 'record');
  assert.equal(parseXml((await get(dash.url + 'plot.svg')).body).name, 'svg');
  await dash.close();
  await ended;
});

test('bad arguments are TypeErrors; non-loopback hosts are refused', async () => {
  await assert.rejects(serveDashboard('x.jsonl', 70000), { name: 'TypeError', message: /port/ });
  await assert.rejects(serveDashboard('', 0), { name: 'TypeError', message: /logPath/ });
  await assert.rejects(serveDashboard('x.jsonl', 0, { host: '0.0.0.0' }), { name: 'TypeError', message: /loopback/ });
});
