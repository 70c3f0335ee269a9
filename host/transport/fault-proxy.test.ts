import test from 'node:test';
import assert from 'node:assert/strict';
import { damagedFraction, LinkDamage } from './fault-proxy.js';

const stream = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

test('no faults: bytes pass unchanged', () => {
  const d = new LinkDamage(1);
  const input = stream(5000);
  assert.deepEqual(d.apply(input), input);
  assert.equal(damagedFraction(d.counts), 0);
});

test('the same seed damages the same way; another seed differently', () => {
  const faults = { flip: 0.01, drop: 0.01, duplicate: 0.01, burst: 0.001 };
  const input = stream(20000);
  const a = new LinkDamage(7, faults).apply(input);
  const b = new LinkDamage(7, faults).apply(input);
  const c = new LinkDamage(8, faults).apply(input);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('each kind happens at its rate (within 5 sigma over 200,000 bytes)', () => {
  const n = 200_000;
  const p = 0.005;
  const d = new LinkDamage(3, { flip: p, drop: p, duplicate: p });
  const out = d.apply(stream(n));
  const sigma = Math.sqrt(n * p * (1 - p));
  for (const kind of ['flips', 'drops', 'duplicates'] as const) {
    assert.ok(Math.abs(d.counts[kind] - n * p) < 5 * sigma, `${kind}: ${d.counts[kind]} vs ${n * p}`);
  }
  assert.equal(out.length, n - d.counts.drops + d.counts.duplicates);
  assert.ok(Math.abs(damagedFraction(d.counts) - 3 * p) < 0.002);
});

test('a flip changes exactly one bit; a burst replaces burstLength bytes', () => {
  const input = new Uint8Array(4000);
  const flips = new LinkDamage(5, { flip: 0.01 });
  const flipped = flips.apply(input);
  assert.equal(flipped.length, input.length);
  const changed = [...flipped].filter((b) => b !== 0);
  assert.equal(changed.length, flips.counts.flips);
  assert.ok(
    changed.every((b) => (b & (b - 1)) === 0),
    'one bit set in each damaged byte',
  );

  const bursts = new LinkDamage(5, { burst: 0.001, burstLength: 20 });
  const out = bursts.apply(new Uint8Array(100_000));
  assert.equal(out.length, 100_000);
  assert.ok(bursts.counts.bursts > 0);
  assert.ok(bursts.counts.burstBytes <= bursts.counts.bursts * 20 && bursts.counts.burstBytes > (bursts.counts.bursts - 1) * 20);
});

test('bad options are TypeErrors naming the field', () => {
  assert.throws(() => new LinkDamage(1, { flip: 2 }, 'toDevice'), /toDevice\.flip/);
  assert.throws(() => new LinkDamage(1, { flip: 0.6, drop: 0.6 }), /must not exceed 1/);
  assert.throws(() => new LinkDamage(1, { burstLength: 0 }), /burstLength/);
});
