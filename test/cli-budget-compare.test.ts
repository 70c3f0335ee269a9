// `ffedge budget` and `ffedge compare` as a user runs them: the compiled CLI
// in a child process, its exit code and what it prints and writes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';

const cli = join(packageRoot, 'dist', 'host', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: packageRoot, timeout: 120_000 });
const hasArmGcc = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0 && spawnSync('wasm2c', ['--version']).status === 0;

test('ffedge budget on wasi: fits without a limit, refused with the numbers under a small one', () => {
  const ok = run('budget', '--target', 'wasi', '--layers', '32,32', '--inputs', '64');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /64-32-32 on wasi/);
  assert.match(ok.stdout, /^fits: /m);
  const small = run('budget', '--target', 'wasi', '--layers', '32,32', '--inputs', '64', '--ram', '40000');
  assert.equal(small.status, 1, small.stdout + small.stderr);
  assert.match(small.stdout, /DOES NOT FIT: .* needs \d+ bytes .* 40000/);
});

test(
  'ffedge budget on the M4: 64-32-32 with Adam fits 64 KiB with a 4 KiB stack; 64-48-32 does not, by how much',
  { skip: hasArmGcc ? false : 'arm-none-eabi-gcc or wasm2c missing: sudo bash scripts/setup-toolchains.sh' },
  () => {
    for (const optimizer of ['adam', 'sgd']) {
      const fits = run(
        'budget',
        '--target',
        'cortex-m4-qemu',
        '--layers',
        '32,32',
        '--inputs',
        '64',
        '--ram',
        '65536',
        '--stack',
        '4096',
        '--optimizer',
        optimizer,
        '--json',
      );
      assert.equal(fits.status, 0, fits.stdout + fits.stderr);
      const figures = JSON.parse(fits.stdout);
      assert.equal(figures.fits, true, optimizer);
      assert.ok(figures.ram.total <= 65536, `${optimizer}: total ${figures.ram.total}`);
    }
    const wider = run('budget', '--target', 'cortex-m4-qemu', '--layers', '48,32', '--inputs', '64', '--ram', '65536', '--stack', '4096');
    assert.equal(wider.status, 1);
    assert.match(wider.stdout, /needs (\d+) bytes of RAM .* the target has 65536: (\d+) bytes short/);
  },
);

test("ffedge budget --replay N --prequential --drift: the replay buffer's bytes are listed, and a continual config that does not fit is refused", () => {
  const plain = JSON.parse(run('budget', '--target', 'wasi', '--layers', '32,32', '--inputs', '192', '--json').stdout);
  const r = run(
    'budget',
    '--target',
    'wasi',
    '--layers',
    '32,32',
    '--inputs',
    '192',
    '--replay',
    '81',
    '--replay-mode',
    'class-balanced',
    '--prequential',
    'goodness',
    '--drift',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const figures = JSON.parse(r.stdout);
  assert.equal(plain.ram.replayBuffer, 0);
  assert.ok(figures.ram.replayBuffer > 0 && figures.ram.replayBuffer <= 16 * 1024, `buffer ${figures.ram.replayBuffer}`);
  assert.equal(figures.ram.arena - plain.ram.arena, figures.ram.replayBuffer + figures.ram.continual, 'the arena grows by the buffer and the continual state');
  const table = run('budget', '--target', 'wasi', '--layers', '32,32', '--inputs', '192', '--replay', '81');
  assert.match(table.stdout, new RegExp(`of which replay buffer\\s+${figures.ram.replayBuffer}\\n`));
  const tight = run('budget', '--target', 'wasi', '--layers', '32,32', '--inputs', '192', '--replay', '81', '--ram', String(plain.ram.linearMemory));
  assert.equal(tight.status, 1, 'fits without the buffer, not with it');
  const alone = run('budget', '--target', 'wasi', '--replay-ratio', '2');
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--replay-mode and --replay-ratio need --replay N/);
});

test('ffedge budget: a bad target is a usage error', () => {
  const bad = run('budget', '--target', 'esp32');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Allowed choices are cortex-m4-qemu, stm32f405, riscv32, nrf51-microbit, linux-edge, wasi/);
});

test('ffedge compare --quick writes the table, JSON and plot', () => {
  const out = mkdtempSync(join(tmpdir(), 'ffedge-compare-'));
  const r = run('compare', '--quick', '--rules', 'ff,backprop', '--datasets', 'imu', '--out', out, '-q');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| ff \| .*\|\n\| backprop \|/);
  const json = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
  assert.ok(JSON.stringify(json).includes('backprop'));
  assert.match(readFileSync(join(out, 'compare.svg'), 'utf8'), /^<svg/);
  assert.match(readFileSync(join(out, 'compare.md'), 'utf8'), /Linear CKA/);
  assert.match(r.stdout, /^# Learning rules compared \(quick run: a smoke test\)\n\n\*\*Smoke test, not a comparison:\*\* .*near chance/m);
});

test("ffedge compare --help is compare's own commander help, every option of host/compare/main.ts listed", () => {
  const r = run('compare', '--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ffedge compare \[options\]/);
  for (const flag of [
    '--quick',
    '--datasets <list>',
    '--rules <list>',
    '--epochs <n>',
    '--budget <seconds>',
    '--memory <bytes>',
    '--seed <n>',
    '--build <build>',
    '--wasm <path>',
    '--samples <n>',
    '--out <dir>',
    '-q, --quiet',
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in:\n${r.stdout}`);
  }
});

test('ffedge logs live serves the page and the summary of a log on 127.0.0.1, and stops on SIGINT', async () => {
  const { spawn } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { exampleLog } = await import('./support/example-log.js');
  const dir = mkdtempSync(join(tmpdir(), 'ffedge-live-'));
  const log = join(dir, 'run.jsonl');
  writeFileSync(
    log,
    exampleLog({ steps: 200 })
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const child = spawn(process.execPath, [cli, 'logs', 'live', log, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
      if (m) resolve(m[0]);
    });
    child.on('exit', () => reject(new Error(`exited early: ${text}`)));
  });
  const page = await (await fetch(url)).text();
  assert.match(page, /<html/);
  const summary = await (await fetch(`${url}summary.txt`)).text();
  assert.match(summary, /records: 200 train/);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
});

test('ffedge bench runs a named benchmark with its own options; an unknown one is a usage error', () => {
  const help = run('bench', 'speed', '--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: node dist\/host\/bench\/speed\.js \[options\]/);
  // --help of every bench prints its options and runs nothing (issue 12: bench stream ran).
  for (const which of ['stream', 'mnist', 'firmware', 'all']) {
    const h = run('bench', which, '--help');
    assert.equal(h.status, 0, `${which}: ${h.stderr}`);
    assert.match(h.stdout, new RegExp(`^Usage: node dist/host/bench/${which}\\.js \\[options\\]`), which);
    // What each bench prints once it runs (mnist: its config; firmware: the model; speed: the build; stream: a link).
    assert.doesNotMatch(h.stdout + h.stderr, /^config \{|^Demo sensor model|building the native runtimes|via virtual \(pipes\)|Streaming throughput/m, which);
  }
  const unknown = run('bench', 'stream', '--fast');
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown option '--fast'/);
  const bad = run('bench', 'nope');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bench must be one of all, speed, stream, mnist, firmware/);
});
