// `ffedge device start/stop`: a virtual device that keeps its model between
// CLI calls. Streams 100 samples into it with --port, then `checkpoint get`
// from a second process must return exactly the weights the stream saved;
// monitor and reset run against it; after RESET the model is gone.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath, onPath } from '../host/paths.js';
import { readCheckpointFile } from '../host/session/checkpoint-file.js';
import { cliPath, runCommand, type CliResult } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-daemon-'));
const env = { ...process.env, XDG_RUNTIME_DIR: work };
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !onPath('socat') ? 'socat not installed' : false;

function ffedge(...args: string[]): Promise<CliResult> {
  return runCommand(process.execPath, [cliPath, ...args], { env, timeoutMs: 60_000 });
}

/** Whether `pid` runs (a zombie left to an init that does not reap counts as ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

after(async () => {
  if (!skip) await ffedge('device', 'stop');
  rmSync(work, { recursive: true, force: true });
});

test('a started virtual device keeps its trained model across commands; reset drops it; stop ends it', { skip }, async () => {
  const start = await ffedge('device', 'start');
  assert.equal(start.code, 0, start.stderr);
  const path = /running on (\S+) \(pid (\d+)/.exec(start.stdout);
  assert.ok(path, start.stdout);
  const [, port, pid] = path;
  assert.equal(port, join(work, 'ffedge', 'device'));

  const again = await ffedge('device', 'start');
  assert.equal(again.code, 2, 'a second start is refused');
  assert.match(again.stderr, /already running/);

  const trained = join(work, 'trained.ffck');
  const stream = await ffedge('stream', '--port', port!, '--samples', '100', '--quiet', '--log', join(work, 'run.jsonl'), '--save-checkpoint', trained);
  assert.equal(stream.code, 0, stream.stderr);

  // A second process, a second connection: the device still holds the weights the stream left.
  const fetched = join(work, 'fetched.ffck');
  const get = await ffedge('checkpoint', 'get', fetched, '--device', 'running', '--quiet');
  assert.equal(get.code, 0, get.stderr);
  const a = await readCheckpointFile(trained);
  const b = await readCheckpointFile(fetched);
  assert.ok(a.weights.length > 1000);
  assert.equal(b.crc, a.crc);
  assert.deepEqual(b.weights, a.weights);

  const monitor = await ffedge('monitor', '--device', 'running', '--count', '2');
  assert.equal(monitor.code, 0, monitor.stderr);
  const lines = monitor.stdout.trim().split('\n');
  assert.equal(lines.length, 2, monitor.stdout);
  assert.match(lines[0]!, /HELLO seq \d+: ff-edge\/wasi, protocol v\d+/);
  assert.match(lines[1]!, /PONG seq \d+: next expected \d+, frames ok \d+, bad CRC 0/);

  const reset = await ffedge('reset', '--port', port!, '--quiet');
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /ff-edge\/wasi answered RESET with ACK/);
  const afterReset = await ffedge('checkpoint', 'get', join(work, 'none.ffck'), '--device', 'running', '--quiet');
  assert.equal(afterReset.code, 1, 'the model is gone after RESET');
  assert.match(afterReset.stderr, /not configured/);

  const stop = await ffedge('device', 'stop');
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!running(Number(pid)), 'socat has exited');
  const status = await ffedge('device', 'status', '--json');
  assert.deepEqual(JSON.parse(status.stdout), { running: false });
  const gone = await ffedge('monitor', '--device', 'running', '--count', '1');
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /no virtual device is running: start one with ffedge device start/);
});
