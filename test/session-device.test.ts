// The session against the real device program: build/ff-device.wasm under
// node:wasi in a child process (VirtualDeviceTransport). Training, inference,
// checkpoints, and every way a device says no.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Session, DeviceDisconnectedError, SessionClosedError, type RecordSink, type SessionOptions } from '../host/session/index.js';
import { VirtualDeviceTransport, type VirtualDeviceOptions } from '../host/transport/index.js';
import { encodeFrame, ErrorCode, MessageType, ProtocolError, PROTOCOL_VERSION } from '../host/protocol/index.js';
import { ArenaTooSmallError, ConfigError, LearnerStateError } from '../host/learner/errors.js';
import type { LearnerConfig } from '../host/learner/config.js';
import type { LogRecord, TrainRecord } from '../host/logs/records.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';

const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';
const MODEL: LearnerConfig = { inputSize: 96, layers: [32, 16], classes: 5, negatives: 'hard', learningRate: 0.003 };
const data = imuGestureDataset(300, { seed: 3, steps: 16 });
const held = imuGestureDataset(100, { seed: 4, steps: 16 });

const open: Session[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => undefined)));
});

async function connect(device: VirtualDeviceOptions = {}, options: SessionOptions = {}): Promise<{ session: Session; transport: VirtualDeviceTransport }> {
  const transport = new VirtualDeviceTransport(device);
  const session = await Session.connect(transport, { heartbeatIdleMs: 300, ...options });
  open.push(session);
  return { session, transport };
}

describe('session with the device program', { skip }, () => {
  test('streams samples: each trained once, one record per sample, steps 1..n in order', async () => {
    const records: LogRecord[] = [];
    const log: RecordSink = {
      append: (r) => {
        records.push(r);
      },
    };
    const { session } = await connect({}, { log });
    assert.equal(session.device.runtime, 'ff-edge/wasi');
    const configured = await session.configure(MODEL);
    assert.ok(configured.arenaUsed! > 0);
    const summary = await session.trainStream(data, {});
    assert.equal(summary.trained, 300);
    assert.equal(session.step, 300, 'the device step counter equals the number of samples');
    const train = records.filter((r): r is TrainRecord => r.type === 'train');
    assert.equal(train.length, 300);
    assert.deepEqual(
      train.map((r) => r.step),
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    assert.equal(new Set(train.map((r) => r.seq)).size, 300, 'one record per sample seq');
    assert.equal(train[0]!.layers.length, 2);
    assert.ok(train.every((r) => r.layers.every((l) => typeof l.gpos === 'number' && l.active !== null)));
    assert.equal(records[0]!.type, 'meta');

    const evaluation = await session.evaluate(held);
    assert.equal(evaluation.n, 100);
    assert.equal(evaluation.perClass.length, 5);
    assert.ok(evaluation.accuracy >= 0 && evaluation.accuracy <= 1);
    assert.equal(records.at(-1)!.type, 'eval');
    const prediction = await session.infer(held.sample(0).inputs, 'head');
    assert.equal(prediction.scores.length, 5);
    assert.ok(prediction.label >= 0 && prediction.label < 5);
    const link = await session.logLinkStats();
    assert.equal(link.framesDropped, 0);
    assert.equal(records.at(-1)!.type, 'link');
  });

  test('checkpoint download and upload restore the same model', async () => {
    const { session } = await connect();
    await session.configure(MODEL);
    await session.trainStream(data, { limit: 150 });
    const saved = await session.getCheckpoint();
    const before = await session.evaluate(held, { log: false });
    await session.reset();
    await assert.rejects(session.train(data.sample(0)), LearnerStateError, 'RESET leaves the learner unconfigured');
    await session.configure({ ...MODEL, seed: 99 });
    const fresh = await session.getCheckpoint();
    assert.notEqual(fresh.crc, saved.crc);
    await session.putCheckpoint(saved.weights);
    const restored = await session.getCheckpoint();
    assert.equal(restored.crc, saved.crc);
    assert.deepEqual(restored.weights, saved.weights);
    const after = await session.evaluate(held, { log: false });
    assert.equal(after.correct, before.correct);
    await assert.rejects(session.putCheckpoint(saved.weights.subarray(0, saved.weights.length - 4)), (err: unknown) => {
      assert.ok(err instanceof LearnerStateError, String(err));
      assert.equal(err.detail, saved.weights.length, 'the device names the size it expects');
      return true;
    });
    assert.equal((await session.getCheckpoint()).crc, saved.crc, 'a refused upload changes nothing');
  });

  test('a sample of the wrong length is refused with the expected count; the session goes on', async () => {
    const { session } = await connect();
    await session.configure(MODEL);
    await assert.rejects(session.train({ inputs: new Float32Array(95), label: 1 }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(err.code, ErrorCode.SAMPLE_LENGTH);
      assert.equal(err.detail, 96);
      assert.match(err.message, /expects 96 input values/);
      return true;
    });
    const ok = await session.train(data.sample(0));
    assert.equal(ok.step, 1, 'the refused sample was not trained');
    const stream = session.trainStream([data.sample(1), { inputs: new Float32Array(3), label: 0 }, data.sample(2)]);
    await assert.rejects(stream, (err: unknown) => err instanceof ProtocolError && err.code === ErrorCode.SAMPLE_LENGTH);
    const skipped = await session.trainStream([data.sample(3), { inputs: new Float32Array(3), label: 0 }, data.sample(4)], { onRefused: 'skip' });
    assert.deepEqual([skipped.trained, skipped.refused], [2, 1]);
    assert.equal(session.step, 5);
  });

  test('a config too big for a small MCU (ram_limit_bytes) is refused with the numbers', async () => {
    const { session } = await connect({ ramLimitBytes: 65536 });
    assert.ok(session.device.arenaFree < 65536, `HELLO arenaFree ${session.device.arenaFree}`);
    // Passes the host's lower bound (parameters + Adam state fit), fails on the device (activations, head, ...).
    const bound = { inputSize: 96, layers: [40, 40], classes: 5 };
    await assert.rejects(session.configure(bound), (err: unknown) => {
      assert.ok(err instanceof ArenaTooSmallError, String(err));
      assert.ok(err.bytesNeeded > 65536, `needs ${err.bytesNeeded}`);
      assert.match(err.message, new RegExp(`${session.device.arenaFree} bytes of arena free`));
      return true;
    });
    // Clearly too big: refused on the host from HELLO alone.
    await assert.rejects(session.configure({ inputSize: 96, layers: [512, 512], classes: 5 }), (err: unknown) => {
      assert.ok(err instanceof ArenaTooSmallError);
      assert.match(err.message, /HELLO/);
      return true;
    });
    const small = await session.configure({ inputSize: 16, layers: [16], classes: 4, optimizer: 'sgd' });
    assert.ok(small.arenaUsed! < 65536);
  });

  test('a config the learner refuses becomes a ConfigError naming the field', async () => {
    const { session } = await connect();
    await assert.rejects(session.configure({ ...MODEL, learningRate: -1 }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /learningRate/);
      return true;
    });
    await assert.rejects(session.configure({ ...MODEL, layers: [0] }), ConfigError);
  });

  test('a sample too large for a frame is refused on the host; int8 encoding fits it', async () => {
    const { session } = await connect();
    const wide = { inputSize: 1100, layers: [8], classes: 3, optimizer: 'sgd' as const };
    await session.configure(wide);
    const inputs = new Float32Array(1100).fill(0.5);
    await assert.rejects(session.train({ inputs, label: 1 }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(err.code, ErrorCode.FRAME_TOO_LARGE);
      assert.match(err.message, /int8/);
      return true;
    });
    const { session: small } = await connect({}, { encoding: 'int8' });
    await small.configure(wide);
    assert.equal((await small.train({ inputs, label: 1 })).step, 1);
  });

  test('an unknown message type is fatal: ProtocolError UNKNOWN_TYPE', async () => {
    const { session, transport } = await connect();
    await session.configure(MODEL);
    await transport.write(encodeFrame(0x7e, 1, new Uint8Array(0)));
    await assert.rejects(session.trainStream(data, { limit: 50 }), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(err.code, ErrorCode.UNKNOWN_TYPE);
      assert.equal(err.detail, 0x7e);
      assert.equal(err.remote, true);
      return true;
    });
    assert.ok(session.failure instanceof ProtocolError);
  });

  test('a frame of another protocol version is answered VERSION_MISMATCH, fatal', async () => {
    const { session, transport } = await connect();
    await transport.write(encodeFrame(MessageType.PING, 5, new Uint8Array(0), PROTOCOL_VERSION + 1));
    await assert.rejects(
      session.configure(MODEL).then(() => session.trainStream(data, { limit: 50 })),
      (err: unknown) => {
        assert.ok(err instanceof ProtocolError, String(err));
        assert.equal(err.code, ErrorCode.VERSION_MISMATCH);
        assert.equal(err.detail, PROTOCOL_VERSION, 'the device names its own version');
        return true;
      },
    );
  });

  test('a device process that dies fails the session with DeviceDisconnectedError, promptly', async () => {
    const { session, transport } = await connect();
    await session.configure(MODEL);
    const running = session.trainStream(imuGestureDataset(5000, { seed: 5, steps: 16 }));
    setTimeout(() => process.kill(transport.pid!, 'SIGKILL'), 50);
    const started = Date.now();
    await assert.rejects(running, (err: unknown) => {
      assert.ok(err instanceof DeviceDisconnectedError, String(err));
      assert.match(err.message, /SIGKILL/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    await assert.rejects(session.train(data.sample(0)), DeviceDisconnectedError);
  });

  test('close() rejects requests still pending with SessionClosedError', async () => {
    const { session } = await connect();
    await session.configure(MODEL);
    const pending = session.trainStream(imuGestureDataset(2000, { seed: 6, steps: 16 }));
    const rejected = assert.rejects(pending, SessionClosedError);
    await new Promise((r) => setTimeout(r, 30));
    await session.close();
    await rejected;
  });
});
