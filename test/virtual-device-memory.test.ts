// The virtual device survives an arena that grows linear memory far past its
// first size (issue 16: under node:wasi, layers [16416,16] on 192 inputs made
// the device process die with SIGSEGV at end of input, after CONFIG_OK and
// correct replies; node:wasi kept the memory of before the grow). Every reply
// must come back and the process must exit 0 when its input closes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';
import { encodeConfig } from '../host/learner/config.js';
import { Deframer, decodeMessage, encodeMessage, type Message } from '../host/protocol/index.js';

async function runDevice(input: Uint8Array): Promise<{ code: number | null; signal: NodeJS.Signals | null; replies: Message[] }> {
  const child = spawn(
    process.execPath,
    [join(packageRoot, 'dist', 'host', 'transport', 'virtual-device-child.js'), join(packageRoot, 'build', 'ff-device.wasm')],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stdin.end(input);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  const replies = new Deframer().push(new Uint8Array(Buffer.concat(chunks))).map((frame) => decodeMessage(frame));
  return { code, signal, replies };
}

for (const layers of [
  [16416, 16],
  [20000, 16],
]) {
  test(`layers [${layers}] on 192 inputs: every reply arrives and the device exits 0 at end of input`, async () => {
    const samples = 3;
    const frames: Uint8Array[] = [encodeMessage({ type: 'CONFIGURE', config: encodeConfig({ inputSize: 192, layers, classes: 5 }) }, 0)];
    for (let i = 0; i < samples; i++) {
      const values = new Float32Array(192).map((_, j) => Math.sin(i + j));
      frames.push(encodeMessage({ type: 'SAMPLE', kind: 'positive', encoding: 'f32', label: i % 5, values }, i + 1));
    }
    const input = Buffer.concat(frames.flatMap((f) => [Buffer.from([0]), Buffer.from(f)]));
    const { code, signal, replies } = await runDevice(input);
    assert.equal(signal, null, `the device died of ${signal}`);
    assert.equal(code, 0);
    const types = replies.map((m) => m.type);
    assert.deepEqual(types, ['HELLO', 'CONFIG_OK', ...Array(samples).fill('GOODNESS')]);
  });
}
