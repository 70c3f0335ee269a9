// SAMPLE_PART / INFER_PART (docs/protocol.md §5.3a) against the real device
// program (build/ff-device.wasm under node:wasi): a sample sent in parts
// trains and predicts exactly as the whole sample does, and parts that are
// not the next slice of the sample in progress are refused with PART_ORDER.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Session, type SessionOptions } from '../host/session/index.js';
import { Link } from '../host/session/link.js';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { ErrorCode, type Message, type RequestMessage } from '../host/protocol/index.js';
import { VirtualDeviceTransport } from '../host/transport/index.js';
import { imuGestureDataset } from '../host/sources/index.js';
import { wasmPath } from '../host/paths.js';

const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';
const MODEL: LearnerConfig = { inputSize: 96, layers: [32, 16], classes: 5, learningRate: 0.003 };
const data = imuGestureDataset(60, { seed: 3, steps: 16 });
const held = imuGestureDataset(30, { seed: 4, steps: 16 });

const closers: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c().catch(() => undefined)));
});

async function trained(options: SessionOptions): Promise<{ weights: Uint8Array; step: number; correct: number; goodness: number[]; split: number }> {
  const session = await Session.connect(new VirtualDeviceTransport(), options);
  closers.push(() => session.close());
  await session.configure(MODEL);
  const goodness: number[] = [];
  await session.trainStream(data, { onResult: (r) => goodness.push(r.layers![0]!.goodnessPositive) });
  const { correct } = await session.evaluate(held, { log: false });
  const { weights } = await session.getCheckpoint();
  const split = session.fragments.samplesSplit;
  await session.close();
  return { weights, step: session.step, correct, goodness, split };
}

describe('samples in parts on the device program', { skip }, () => {
  test('parts of 10 values (f32 and int8) train and predict exactly as whole samples', async () => {
    for (const encoding of ['f32', 'int8'] as const) {
      const whole = await trained({ encoding, fragments: 'off' });
      const parts = await trained({ encoding, fragments: 10 });
      assert.equal(whole.split, 0);
      assert.equal(parts.split, data.packed.count + held.packed.count, 'every SAMPLE and INFER went in parts');
      assert.equal(parts.step, data.packed.count);
      assert.deepEqual(parts.goodness, whole.goodness, `${encoding}: same goodness per sample`);
      assert.deepEqual(parts.weights, whole.weights, `${encoding}: same weights`);
      assert.equal(parts.correct, whole.correct, `${encoding}: same predictions`);
    }
  });

  test('a part that is not the next slice is refused (PART_ORDER) and drops the sample; the next sample trains', async () => {
    const link = new Link(new VirtualDeviceTransport(), { heartbeatIdleMs: 300 });
    closers.push(() => link.close());
    await link.open();
    const ask = async (message: RequestMessage): Promise<Message> => (await link.request(message)).reply!;
    assert.equal((await ask({ type: 'CONFIGURE', config: encodeConfig(MODEL) })).type, 'CONFIG_OK');
    const values = data.sample(0).inputs;
    const part = (first: number, n: number, label = 1): RequestMessage => ({
      type: 'SAMPLE_PART',
      kind: 'positive',
      label,
      encoding: 'f32',
      total: 96,
      first,
      values: values.subarray(first, first + n),
    });
    const refused = (m: Message, expected: number): void => {
      assert.ok(m.type === 'ERROR', `expected ERROR, got ${m.type}`);
      assert.equal(m.code, ErrorCode.PART_ORDER);
      assert.equal(m.detail, expected, 'detail: the index the device expected');
    };
    const ack = await ask(part(0, 40));
    assert.ok(ack.type === 'ACK' && ack.reason === 'applied', `intermediate parts are acknowledged: ${ack.type}`);
    assert.equal((await ask(part(40, 8))).type, 'ACK');
    refused(await ask(part(60, 36)), 48); // skips [48, 60)
    refused(await ask(part(48, 48)), 0); // the sample was dropped: only a new one (first 0) is taken
    assert.equal((await ask(part(0, 48))).type, 'ACK');
    refused(await ask(part(48, 48, 2)), 48); // another label than the sample in progress
    assert.equal((await ask(part(0, 48))).type, 'ACK');
    assert.equal((await ask({ type: 'INFER', kind: 'positive', label: -1, encoding: 'f32', values })).type, 'PREDICTION');
    refused(await ask(part(48, 48)), 0); // another request in between ends the sample in progress
    assert.equal((await ask(part(0, 48))).type, 'ACK');
    const last = await ask(part(48, 48));
    assert.ok(last.type === 'GOODNESS', `the last part trains: ${last.type}`);
    assert.equal(last.step, 1, 'only the complete sample was trained');
  });
});
