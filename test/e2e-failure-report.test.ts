// What `ffedge stream` tells the user when the link dies mid-run: the device
// (behind our fault proxy on a pty) goes away while samples are in flight. The
// exit code is the link's (3); stderr and the last progress line give the true
// count trained for certain, which is the number of train records in the log;
// the log ends with an `end` record saying so and how many more are in doubt.
// Also: a device restart (LINK_DESYNC) is a link failure (3), not a refusal (1).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeFor, ExitCode } from '../host/cli/errors.js';
import { parseLog } from '../host/logs/records.js';
import { renderSummary, summarize } from '../host/logs/summary.js';
import { wasmPath } from '../host/paths.js';
import { ErrorCode, ProtocolError } from '../host/protocol/index.js';
import { FaultProxy } from '../host/transport/fault-proxy.js';

const cli = fileURLToPath(new URL('../host/cli.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ffedge-fail-'));
after(() => rmSync(work, { recursive: true, force: true }));
const socat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !socat ? 'socat not installed' : false;

test('a device restart (LINK_DESYNC) exits with the link code 3, not 1 (device refused)', () => {
  const desync = new ProtocolError(ErrorCode.LINK_DESYNC, undefined, { context: 'unprompted HELLO mid-session' });
  assert.equal(exitCodeFor(desync), ExitCode.LINK);
  assert.equal(exitCodeFor(new ProtocolError(ErrorCode.MALFORMED)), ExitCode.FAILURE, 'other protocol errors stay 1');
});

describe('the link dies mid-stream', { skip }, () => {
  test('exit 3; stderr, the last progress line, the train records and the end record agree on what was trained', { timeout: 90_000 }, async () => {
    const proxy = new FaultProxy({ seed: 1 });
    const path = await proxy.start();
    const log = join(work, 'dies.jsonl');
    const child = spawn(
      process.execPath,
      [cli, 'stream', '--port', path, '--source', 'imu', '--samples', '200000', '--epochs', '100', '--layers', '32,16', '--log', log],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Let it train a while (past the first 10% line is not needed), then pull the plug.
    const started = Date.now();
    while (proxy.stats.toDevice.bytes < 3_000_000 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    await proxy.close();
    const code = await exited;
    assert.equal(code, 3, stderr);
    const records = parseLog(readFileSync(log, 'utf8'));
    const trained = records.filter((r) => r.type === 'train').length;
    assert.ok(trained > 1000, `trained ${trained} before the plug was pulled`);
    const said = /stopped after ([\d,]+) samples trained for certain/.exec(stderr);
    assert.ok(said, stderr);
    assert.equal(Number(said[1]!.replace(/,/g, '')), trained, 'stderr says what the log has');
    const lines = stderr.split('\n').filter((l) => l.startsWith('training'));
    const last = /([\d,]+)\/200,000/.exec(lines.at(-1) ?? '');
    assert.ok(last, lines.at(-1));
    assert.equal(Number(last[1]!.replace(/,/g, '')), trained, 'the last progress line has the true count');
    const end = records.at(-1);
    assert.ok(end?.type === 'end', JSON.stringify(end));
    assert.equal(end.ok, false);
    assert.equal(end.trained, trained);
    assert.ok(end.inDoubt <= 8, `in doubt ${end.inDoubt} <= the window`);
    assert.match(end.reason, /DeviceDisconnectedError|DeviceTimeoutError/);
    if (end.inDoubt > 0) assert.match(stderr, new RegExp(`up to ${end.inDoubt} more samples sent past the last record`));
    assert.match(renderSummary(summarize(records)), new RegExp(`run stopped \\(.*\\): ${trained.toLocaleString('en-US')} samples trained for certain`));
  });
});
