import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { adviceFor, describeTrap, ErrorCode, errorName, ProtocolError } from './errors.js';
import { MessageType } from './messages.js';
import { PROTOCOL_VERSION } from './version.js';

// Repo root from dist/host/protocol/.
const source = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

function constants(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`export const ${prefix}([A-Z0-9_]+): [iu]32 = (0x[0-9A-Fa-f]+|\\d+);`, 'g');
  for (const m of text.matchAll(re)) out.set(m[1]!, Number(m[2]));
  return out;
}

test('error codes mirror assembly/protocol/errors.ts exactly', () => {
  const device = constants(source('assembly/protocol/errors.ts'), 'ERR_');
  device.delete('NONE');
  assert.deepEqual(Object.fromEntries(device), { ...ErrorCode });
});

test('message type numbers mirror assembly/protocol/messages.ts exactly', () => {
  const device = constants(source('assembly/protocol/messages.ts'), 'MSG_');
  assert.deepEqual(Object.fromEntries(device), { ...MessageType });
});

test('protocol codes are in 64..127 and unique', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) assert.ok(code >= 64 && code <= 127, `${code}`);
});

test('every protocol code has a name and advice that says what to do', () => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    assert.equal(errorName(code), name);
    assert.match(adviceFor(code), /: |; /, `${name} advice`);
  }
  assert.equal(errorName(12), 'LEARNER_12');
  assert.equal(errorName(200), 'CODE_200');
});

test('ProtocolError carries code, detail, remote, seq and a message naming the fix', () => {
  const newer = PROTOCOL_VERSION + 1;
  const e = new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, { detail: newer, remote: true, seq: 9, deviceText: 'protocol version mismatch' });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'ProtocolError');
  assert.equal(e.code, 67);
  assert.equal(e.detail, newer);
  assert.equal(e.remote, true);
  assert.equal(e.seq, 9);
  assert.match(e.message, new RegExp(`device speaks protocol v${newer}, this host speaks v${PROTOCOL_VERSION}: update the host`));
  const old = new ProtocolError(ErrorCode.VERSION_MISMATCH, undefined, { detail: 0 });
  assert.match(old.message, /rebuild host and device/);
  assert.match(adviceFor(ErrorCode.VERSION_MISMATCH, 1, 2), /update the device/);
  const sample = new ProtocolError(ErrorCode.SAMPLE_LENGTH, undefined, { detail: 784, context: 'got 10 values' });
  assert.match(sample.message, /got 10 values/);
  assert.match(sample.message, /expects 784 input values/);
});

test('DEVICE_TRAP names the trap or fault and says to reset the device', () => {
  assert.equal(ErrorCode.DEVICE_TRAP, 73);
  assert.equal(describeTrap(5), 'wasm trap 5 (unreachable)');
  assert.equal(describeTrap(1), 'wasm trap 1 (oob)');
  assert.equal(describeTrap(256 + 3), 'cpu fault 3 (hardfault)');
  assert.equal(describeTrap(256 + 16), 'cpu fault 16 (unexpected-irq)');
  assert.equal(describeTrap(256 + 40), 'cpu fault 40 (unexpected-irq)');
  assert.equal(describeTrap(256 + 7), 'cpu fault 7 (unknown)');
  assert.equal(describeTrap(0), 'wasm trap 0 (unknown)');
  const e = new ProtocolError(ErrorCode.DEVICE_TRAP, undefined, { detail: 1, remote: true, deviceText: 'wasm trap: oob' });
  assert.match(e.message, /DEVICE_TRAP .*wasm trap 1 \(oob\).*reset the device.*ffedge budget/);
  assert.match(adviceFor(ErrorCode.DEVICE_TRAP, 5), /bug in the device program/);
});
