// A device that resets while the host is in the middle of receiving a frame
// (watchdog, brown-out, a killed device process: issue 16) must still be heard:
// its boot HELLO starts with a 0x00 that ends the host's partial frame, so the
// HELLO is decoded instead of being glued to the garbage (docs/protocol.md §2).
// Runs the real build/ff-device.wasm (the virtual device's child process) with
// an empty link and feeds what it wrote at boot to both deframers: the host's
// (host/protocol) and the device side's (assembly/protocol through
// build/protocol-harness.wasm).

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Deframer } from '../host/protocol/frame.js';
import { decodeMessage, encodeMessage, MessageType } from '../host/protocol/messages.js';
import { ErrorCode } from '../host/protocol/errors.js';
import { deviceChildArgs } from '../host/transport/virtual-device.js';
import { wasmPath } from '../host/paths.js';

/** What ff-device.wasm writes from power-up until its link closes with nothing received. */
function bootBytes(): Uint8Array {
  const run = spawnSync(process.execPath, deviceChildArgs({}), { input: Buffer.alloc(0), timeout: 20_000 });
  assert.equal(run.status, 0, `device exit ${run.status}: ${run.stderr?.toString()}`);
  return new Uint8Array(run.stdout);
}

/** A frame the host was receiving when the device reset: cut short, no delimiter. */
function cutFrame(): Uint8Array {
  const reply = encodeMessage(
    {
      type: 'GOODNESS',
      sampleSeq: 41,
      step: 42,
      prediction: null,
      drift: false,
      layers: [{ goodnessPositive: 3.5, goodnessNegative: 1.25, loss: 0.5, activeFraction: 0.4, hoyer: 0.3 }],
    },
    41,
  );
  return reply.subarray(0, Math.floor(reply.length / 2));
}

const boot = bootBytes();

test('the device starts with a 0x00, then its HELLO; a fresh host ignores the lone 0x00', () => {
  assert.equal(boot[0], 0x00, `first bytes ${Buffer.from(boot.subarray(0, 8)).toString('hex')}`);
  const host = new Deframer();
  const messages = host.push(boot).map((f) => decodeMessage(f));
  assert.deepEqual(
    messages.map((m) => m.type),
    ['HELLO'],
  );
  assert.deepEqual(host.stats, { frames: 1, badCrc: 0, malformed: 0, tooLarge: 0 }, 'the empty frame is no error');
});

test('a host deframer holding a partial frame at the reset still decodes the boot HELLO', () => {
  const host = new Deframer();
  assert.deepEqual(host.push(cutFrame()), []);
  const frames = host.push(boot);
  assert.deepEqual(
    frames.map((f) => f.type),
    [MessageType.HELLO],
    `stats ${JSON.stringify(host.stats)}`,
  );
  const hello = decodeMessage(frames[0]!);
  assert.ok(hello.type === 'HELLO' && hello.runtime === 'ff-edge/wasi' && hello.nextExpected === 0);
  assert.equal(host.stats.badCrc + host.stats.malformed, 1, 'the cut frame is dropped and counted once');
});

test('the device-side deframer (assembly/protocol) does the same with the same bytes', async () => {
  interface AsDeframer {
    rxReset(): void;
    rxPush(byte: number): number;
    rxType(): number;
    rxSeq(): number;
    rxCount(cause: number): number;
  }
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath('protocol-harness')));
  const as = instance.exports as unknown as AsDeframer;
  const RX_FRAME = 1;
  const run = (bytes: Uint8Array): number[] => {
    const types: number[] = [];
    for (const b of bytes) if (as.rxPush(b) === RX_FRAME) types.push(as.rxType());
    return types;
  };
  as.rxReset();
  assert.deepEqual(run(boot), [MessageType.HELLO]);
  assert.equal(as.rxCount(ErrorCode.BAD_CRC) + as.rxCount(ErrorCode.MALFORMED), 0, 'the lone 0x00 is no error');
  as.rxReset();
  assert.deepEqual(run(cutFrame()), []);
  assert.deepEqual(run(boot), [MessageType.HELLO]);
  assert.equal(as.rxSeq(), 0, 'the boot HELLO carries seq 0');
  assert.equal(as.rxCount(ErrorCode.BAD_CRC) + as.rxCount(ErrorCode.MALFORMED), 1, 'the cut frame is dropped once');
});
