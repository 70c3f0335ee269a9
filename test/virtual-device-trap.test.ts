// A trap in the virtual device reaches the host as ERROR(DEVICE_TRAP), as on
// the firmware targets, instead of a silent dead child. Uses the firmware
// echo fixture, whose byte pair FF 01 executes `unreachable`.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';
import { Deframer, decodeMessage, ErrorCode } from '../host/protocol/index.js';

test('a trapping device program sends ERROR(DEVICE_TRAP, unreachable) and exits 4', async () => {
  const wasm = join(mkdtempSync(join(tmpdir(), 'ffedge-trap-')), 'echo.wasm');
  const asc = join(packageRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  const built = spawnSync(process.execPath, [asc, 'test/fixtures/echo.ts', '--runtime', 'stub', '--use', 'abort=', '-O3', '-o', wasm], {
    cwd: packageRoot,
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  const child = spawn(process.execPath, [join(packageRoot, 'dist', 'host', 'transport', 'virtual-device-child.js'), wasm], { stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stdin.write(Uint8Array.from([0xff, 0x01]));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const bytes = new Uint8Array(Buffer.concat(chunks));
  const frames = new Deframer().push(bytes);
  assert.equal(frames.length, 1);
  const message = decodeMessage(frames[0]);
  assert.equal(message.type, 'ERROR');
  if (message.type !== 'ERROR') return;
  assert.equal(message.code, ErrorCode.DEVICE_TRAP);
  assert.equal(message.detail, 5); // wabt's WASM_RT_TRAP_UNREACHABLE, as the firmware reports it
  assert.match(message.text, /unreachable/);
  assert.equal(code, 4);
});
