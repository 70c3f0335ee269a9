// The README's `npx ffedge ...` lines, run as written from the package root,
// and the bin's execute bit (without it `npx ffedge`, `npm link` and global
// installs fail with "sh: 1: ffedge: Permission denied").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, wasmPath } from '../host/paths.js';
import { cliPath, runCommand } from './cli-run.js';

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
/** `npx ffedge ...` lines of the README's sh blocks, without their trailing comments. */
const commands = readme
  .split('\n')
  .filter((l) => l.startsWith('npx ffedge '))
  .map((l) => l.replace(/\s+#.*$/, '').trim());

test('the bin is executable and runs through its #! line', async () => {
  const bin = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).bin.ffedge as string;
  assert.equal(join(packageRoot, bin), cliPath);
  assert.ok((statSync(cliPath).mode & 0o111) === 0o111, `mode ${statSync(cliPath).mode.toString(8)}: npm run build must chmod it`);
  const direct = await runCommand(cliPath, ['--version']);
  assert.equal(direct.code, 0, direct.stderr);
  assert.match(direct.stdout, /^\d+\.\d+\.\d+/);
});

test('README: npx ffedge --help', async () => {
  assert.ok(commands.includes('npx ffedge --help'), `README lines: ${commands.join(' | ')}`);
  const r = await runCommand('sh', ['-c', 'npx ffedge --help'], { cwd: packageRoot, timeoutMs: 90000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: ffedge/);
  assert.match(r.stdout, /Exit codes/);
});

test('README: npx ffedge stream', { skip: existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built' }, async () => {
  assert.ok(commands.includes('npx ffedge stream'), `README lines: ${commands.join(' | ')}`);
  const r = await runCommand('sh', ['-c', 'npx ffedge stream'], { cwd: packageRoot, timeoutMs: 120000 });
  const log = /^log: +(\S+)$/m.exec(r.stdout)?.[1];
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trained 6000 samples .*final accuracy 0\.\d+ on 500 held-out samples/);
    const accuracy = Number(/final accuracy ([0-9.]+)/.exec(r.stdout)![1]);
    assert.ok(accuracy > 0.6, `the README's first command should learn the IMU gestures (chance 0.2): ${accuracy}`);
  } finally {
    if (log) for (const f of [log, log.replace(/\.jsonl$/, '.svg')]) rmSync(f, { force: true });
  }
});
