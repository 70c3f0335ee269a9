// The host mirrors two tables of the device side: the learner's status codes
// and its config slots. Each mirror is read against its AssemblyScript source
// here, so a change on one side that is not made on the other fails a test.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';
import { LearnerStatus } from '../host/learner/errors.js';
import { Slot, CONFIG_VERSION, MAX_LAYERS, ALGORITHMS } from '../host/learner/config.js';

async function source(path: string): Promise<string> {
  return readFile(join(packageRoot, path), 'utf8');
}

test('learner status codes: host/learner/errors.ts mirrors assembly/learner/errors.ts', async () => {
  const text = await source('assembly/learner/errors.ts');
  const device: Record<string, number> = {};
  for (const m of text.matchAll(/export const (OK|ERR_[A-Z_]+): i32 = (\d+);/g)) device[m[1].replace(/^ERR_/, '')] = Number(m[2]);
  assert.ok(Object.keys(device).length >= 10, 'parsed the device codes');
  assert.deepEqual(device, { ...LearnerStatus });
});

test('config slots: host/learner/config.ts mirrors assembly/learner/config.ts', async () => {
  const text = await source('assembly/learner/config.ts');
  const block = text.slice(text.indexOf('export const enum Slot'));
  const device: Record<string, number> = {};
  for (const m of block.slice(0, block.indexOf('}')).matchAll(/([A-Z_0-9]+) = (\d+),/g)) device[m[1]] = Number(m[2]);
  assert.deepEqual(device, { ...Slot });
  assert.match(text, new RegExp(`CONFIG_VERSION: u32 = ${CONFIG_VERSION};`));
  assert.match(text, new RegExp(`MAX_LAYERS: i32 = ${MAX_LAYERS};`));
});

test("algorithms: host ALGORITHMS lists assembly's Algorithm enum in order, and ALGORITHM_COUNT agrees", async () => {
  const text = await source('assembly/learner/config.ts');
  const block = text.slice(text.indexOf('export const enum Algorithm'));
  const device = [...block.slice(0, block.indexOf('}')).matchAll(/([A-Z_0-9]+) = (\d+),/g)].map((m) => [m[1], Number(m[2])] as const);
  assert.deepEqual(
    device.map(([, v]) => v),
    ALGORITHMS.map((_, i) => i),
    'enum values are 0..n-1 in order',
  );
  const spelled = ALGORITHMS.map(
    (a) => (({ ed: 'DIMENSION', 'pepita-mirror': 'PEPITA_MIRROR' }) as Record<string, string>)[a] ?? a.toUpperCase().replace(/-/g, '_'),
  );
  assert.deepEqual(
    device.map(([name]) => name),
    spelled,
  );
  assert.match(text, new RegExp(`ALGORITHM_COUNT: u32 = ${ALGORITHMS.length};`));
});
