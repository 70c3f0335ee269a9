import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

const work = mkdtempSync(join(tmpdir(), 'atomic-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('writes the whole file and leaves nothing beside it', async () => {
  await writeFileAtomic(join(work, 'a.bin'), new Uint8Array([1, 2, 3]));
  writeFileAtomicSync(join(work, 'b.txt'), 'hello');
  await writeFileAtomic(join(work, 'b.txt'), 'replaced');
  assert.deepEqual([...readFileSync(join(work, 'a.bin'))], [1, 2, 3]);
  assert.equal(readFileSync(join(work, 'b.txt'), 'utf8'), 'replaced');
  assert.deepEqual(readdirSync(work).sort(), ['a.bin', 'b.txt']);
});

test('a directory as the target: an EISDIR error and no stray temporary file', async () => {
  const dir = join(work, 'dir');
  mkdirSync(dir);
  await assert.rejects(writeFileAtomic(dir, 'x'), { code: 'EISDIR' });
  assert.throws(() => writeFileAtomicSync(dir, 'x'), { code: 'EISDIR' });
  assert.deepEqual(
    readdirSync(work).filter((f) => f.endsWith('.tmp') || f.endsWith('.partial')),
    [],
  );
});

test('a missing folder: ENOENT, nothing created', async () => {
  await assert.rejects(writeFileAtomic(join(work, 'none', 'x'), 'x'), { code: 'ENOENT' });
  assert.throws(() => writeFileAtomicSync(join(work, 'none', 'x'), 'x'), { code: 'ENOENT' });
});

test('a symbolic link stays a link; the file it points to gets the bytes', async () => {
  const dir = join(work, 'real');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.bin'), 'old');
  const link = join(work, 'link.bin');
  symlinkSync(join(dir, 'model.bin'), link);
  await writeFileAtomic(link, 'new');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readFileSync(join(dir, 'model.bin'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['model.bin']);
});

// A device such as /dev/full must be written in place, never renamed over (that replaces the node).
// A FIFO stands in for it here, so a wrong implementation damages nothing outside the test folder.
test('a FIFO is written in place and stays a FIFO', { skip: spawnSync('mkfifo', ['--version']).status === 0 ? false : 'mkfifo missing' }, async () => {
  const fifo = join(work, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  let read = '';
  reader.stdout.on('data', (d: Buffer) => {
    read += d;
  });
  const closed = new Promise((r) => reader.on('close', r));
  await writeFileAtomic(fifo, 'through the pipe');
  await closed;
  assert.equal(read, 'through the pipe');
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  rmSync(fifo);
});
