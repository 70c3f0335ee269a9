// LossyTransport: seeded damage in each direction, order kept, nothing damaged at p = 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportBase } from './base.js';
import { LossyTransport } from './lossy.js';

/** A loopback: whatever is written comes back as data. */
class Loopback extends TransportBase {
  readonly description = 'loopback';
  protected async doOpen(): Promise<void> {}
  protected async doWrite(bytes: Uint8Array): Promise<void> {
    queueMicrotask(() => this.deliver(bytes.slice()));
  }
  protected async doClose(): Promise<void> {}
  hangUp(): void {
    this.finish({ disconnected: true, reason: 'far end gone' });
  }
}

const payload = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);

async function roundTrip(options: ConstructorParameters<typeof LossyTransport>[1]): Promise<{ out: Uint8Array; link: LossyTransport }> {
  const link = new LossyTransport(new Loopback(), options);
  const chunks: Uint8Array[] = [];
  link.on('data', (c) => chunks.push(c));
  await link.open();
  for (let i = 0; i < payload.length; i += 500) await link.write(payload.subarray(i, i + 500));
  await new Promise((r) => setTimeout(r, 10));
  await link.close();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return { out, link };
}

test('no damage at probability 0: bytes pass unchanged, in order, however they are cut', async () => {
  const { out, link } = await roundTrip({ flipProbability: 0, dropProbability: 0, maxPiece: 7 });
  assert.deepEqual(out, payload);
  assert.ok(link.stats.fromDevice.pieces >= payload.length / 7);
});

test('damage is seeded (same seed, same bytes) and counted per direction', async () => {
  const options = { seed: 42, flipProbability: 0.2, dropProbability: 0.1, insertProbability: 0.05 };
  const a = await roundTrip(options);
  const b = await roundTrip(options);
  assert.deepEqual(a.out, b.out);
  assert.notDeepEqual(a.out, payload);
  for (const side of [a.link.stats.toDevice, a.link.stats.fromDevice]) {
    assert.ok(side.flips > 0 && side.drops > 0 && side.inserts > 0, JSON.stringify(side));
  }
  const c = await roundTrip({ ...options, seed: 43 });
  assert.notDeepEqual(c.out, a.out);
});

test('one direction only', async () => {
  const { link } = await roundTrip({ flipProbability: 0.5, direction: 'to-device' });
  assert.ok(link.stats.toDevice.flips > 0);
  assert.equal(link.stats.fromDevice.pieces, 0);
});

test('a disconnect of the inner link is passed on', async () => {
  const inner = new Loopback();
  const link = new LossyTransport(inner);
  await link.open();
  const closed = new Promise((resolve) => link.on('close', resolve));
  inner.hangUp();
  assert.deepEqual(await closed, { disconnected: true, reason: 'far end gone' });
  assert.equal(link.isOpen, false);
  await assert.rejects(link.write(new Uint8Array([1])), /disconnected/);
});

test('bad options are TypeErrors naming the option', () => {
  assert.throws(() => new LossyTransport(new Loopback(), { flipProbability: 2 }), /flipProbability/);
  assert.throws(() => new LossyTransport(new Loopback(), { maxPiece: 0 }), /maxPiece/);
});
