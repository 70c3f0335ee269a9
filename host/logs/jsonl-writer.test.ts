import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JsonlWriter, openJsonlWriter } from './jsonl-writer.js';
import { loadLog, type LogRecord, type TrainRecord } from './records.js';
import { exampleLog } from '../../test/support/example-log.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ffedge-writer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('append + close writes every record as one line, readable by loadLog', async () => {
  const path = join(dir, 'a.jsonl');
  const records = exampleLog({ steps: 300, layers: 2 });
  const log = openJsonlWriter(path);
  for (const r of records) await log.append(r);
  await log.close();
  await log.close(); // idempotent
  assert.equal(log.written, records.length);
  const text = await readFile(path, 'utf8');
  assert.equal(text.split('\n').length - 1, records.length);
  assert.equal(Buffer.byteLength(text), log.bytes);
  assert.deepEqual(await loadLog(path), records);
});

test('reopening appends, never truncates', async () => {
  const path = join(dir, 'b.jsonl');
  const [meta, ...rest] = exampleLog({ steps: 20, layers: 1 });
  await writeFile(path, JSON.stringify(meta) + '\n');
  const log = new JsonlWriter(path);
  for (const r of rest) await log.append(r);
  await log.close();
  assert.deepEqual(await loadLog(path), [meta, ...rest]);
});

test('invalid records are refused with a TypeError and nothing is written; NaN becomes null', async () => {
  const path = join(dir, 'c.jsonl');
  const log = openJsonlWriter(path, { fsync: 'always' });
  const good = exampleLog({ steps: 1, layers: 1 })[1] as TrainRecord;
  await assert.rejects(log.append({ ...good, step: -1 }), { name: 'TypeError', message: /record: step must be an integer >= 0/ });
  await assert.rejects(log.append({ type: 'bogus' } as unknown as LogRecord), { name: 'TypeError', message: /record: type/ });
  const diverged: TrainRecord = { ...good, layers: [{ ...good.layers[0], loss: Number.NaN, gpos: Infinity }] };
  await log.append(diverged);
  await log.close();
  const back = await loadLog(path);
  assert.equal(back.length, 1);
  assert.equal((back[0] as TrainRecord).layers[0].loss, null);
  assert.equal((back[0] as TrainRecord).layers[0].gpos, null);
  await assert.rejects(log.append(good), /closed/);
  assert.throws(() => openJsonlWriter(join(dir, 'no', 'such', 'dir.jsonl')), { code: 'ENOENT' });
  assert.throws(() => openJsonlWriter(path, { fsync: 'sometimes' as 'never' }), { name: 'TypeError', message: /options\.fsync/ });
});

test('pipeline from a fast source honours backpressure and loses nothing', async () => {
  const path = join(dir, 'd.jsonl');
  const records = exampleLog({ steps: 5000, layers: 3 });
  const writer = openJsonlWriter(path, { highWaterMark: 4, fsync: 'never' });
  await pipeline(Readable.from(records), writer);
  assert.deepEqual(await loadLog(path), records);
});

// The crash contract: a record is in the OS once write()/append() returns, so
// killing the process right after (SIGKILL, uncaught exception, process.exit)
// loses nothing. A buffered async stream (fs.createWriteStream) fails this test.
const writerUrl = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), 'jsonl-writer.js')).href;

async function crashChild(path: string, count: number, how: 'SIGKILL' | 'throw' | 'exit'): Promise<{ code: number | null; signal: string | null }> {
  const script = `
    import { openJsonlWriter } from ${JSON.stringify(writerUrl)};
    const log = openJsonlWriter(${JSON.stringify(path)});
    for (let i = 0; i < ${count}; i++) {
      // Fire and forget: no await, the process dies in this same tick.
      log.write({ type: 'train', t: i, seq: i, step: i, label: i % 10,
        layers: [{ gpos: i / 7, gneg: 1 / (i + 1), loss: 0.5, active: 0.25, hoyer: 0.5 }] });
    }
    ${how === 'SIGKILL' ? "process.kill(process.pid, 'SIGKILL');" : how === 'throw' ? "throw new Error('boom');" : 'process.exit(3);'}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  if (how === 'throw') assert.match(stderr, /boom/);
  return { code, signal };
}

for (const how of ['SIGKILL', 'throw', 'exit'] as const) {
  test(`records written before a crash (${how}) are all in the file`, async () => {
    const path = join(dir, `crash-${how}.jsonl`);
    const count = 2000;
    const { code, signal } = await crashChild(path, count, how);
    if (how === 'SIGKILL') assert.equal(signal, 'SIGKILL');
    else assert.notEqual(code, 0);
    const records = await loadLog(path, { strict: true });
    assert.equal(records.length, count);
    records.forEach((r, i) => assert.equal((r as TrainRecord).seq, i));
  });
}
