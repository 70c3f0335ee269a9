// `ffedge bench runtime`: any WASI runtime's ff-device.wasm checked against
// V8's records and timed in the same run. Here Node itself and the linux-edge
// build stand in for the runtimes (none is installed); timings are not asserted.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';
import { splitCommand } from '../host/bench/runtime.js';

const cli = join(packageRoot, 'dist', 'host', 'cli.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, 'bench', 'runtime', ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 240_000 });

test('command lines split on spaces; quotes group words', () => {
  assert.deepEqual(splitCommand('wasmtime run {wasm}'), ['wasmtime', 'run', '{wasm}']);
  assert.deepEqual(splitCommand(`iwasm --dir "a b" '{wasm}'`), ['iwasm', '--dir', 'a b', '{wasm}']);
  assert.deepEqual(splitCommand('   '), []);
});

test('Node as the runtime: records and weights byte-identical to V8, a ratio for each runtime', { timeout: 240_000 }, () => {
  const r = run(['--cmd', 'node dist/host/transport/virtual-device-child.js {wasm}', '--samples', '300', '--lock-step', '20', '--rounds', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    rows: { runtime: string; vsV8: number; recordsIdentical: boolean; weightsIdentical: boolean; samplesPerSecond: number }[];
  };
  const names = report.rows.map((row) => row.runtime);
  assert.equal(names[0], 'V8 (node, the virtual device)');
  assert.ok(names.includes('node dist/host/transport/virtual-device-child.js {wasm}'));
  for (const row of report.rows) {
    assert.equal(row.recordsIdentical, true, `${row.runtime}: records`);
    assert.equal(row.weightsIdentical, true, `${row.runtime}: weights`);
    assert.ok(row.samplesPerSecond > 0 && row.vsV8 > 0);
  }
  assert.equal(report.rows[0]!.vsV8, 1);
});

test('a runtime that is not installed is refused at once, naming it (exit 2)', () => {
  const r = run(['--cmd', 'no-such-wasm-runtime {wasm}', '--no-native']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no-such-wasm-runtime is not installed or not on PATH/);
});

test('a command that speaks no protocol fails its row with a message, exit 1', { timeout: 120_000 }, () => {
  const r = run(['--cmd', 'sleep 30', '--samples', '50', '--lock-step', '5', '--rounds', '1', '--no-native']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /sleep 30: no working device behind it .*no HELLO/s);
});
