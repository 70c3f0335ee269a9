// What SerialTransport tells the session about the link's speed: baud / 10
// bytes per second for a real UART (8N1), nothing for a pseudo-terminal, which
// ignores the baud rate (the heartbeat and probes would otherwise wait for
// bytes "crossing" a link that has no speed limit).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { wasmPath } from '../host/paths.js';
import { FaultProxy } from '../host/transport/fault-proxy.js';
import { isPseudoTerminal, SerialTransport } from '../host/transport/serial.js';

const socat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !socat ? 'socat not installed' : false;

test('a serial port at 9600 baud carries 960 bytes/s; a path that is no pty keeps that figure', () => {
  assert.equal(new SerialTransport({ path: '/dev/ttyUSB-none', baudRate: 9600 }).bytesPerSecond, 960);
  assert.equal(isPseudoTerminal('/dev/ttyUSB-none'), false);
  assert.equal(isPseudoTerminal('/dev/null'), false);
});

test('a pseudo-terminal has no speed limit: bytesPerSecond undefined once open', { skip }, async () => {
  const proxy = new FaultProxy({ seed: 1 });
  const path = await proxy.start();
  const transport = new SerialTransport({ path, baudRate: 9600 });
  try {
    assert.equal(isPseudoTerminal(path), true, `${path} is a link to a pty`);
    await transport.open();
    assert.equal(transport.bytesPerSecond, undefined);
  } finally {
    await transport.close();
    await proxy.close();
  }
});
