// `ffedge stream` defaults on data like a user's: the label overlay chosen by
// the source must not wipe the column that carries the class.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmPath } from '../host/paths.js';
import { Rng } from '../host/sources/prng.js';
import { ffedge } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-defaults-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built (npm run build:wasm)';

function accuracy(stdout: string): number {
  const m = /final accuracy ([0-9.]+)/.exec(stdout);
  assert.ok(m, stdout);
  return Number(m[1]);
}

describe('on the virtual device', { skip }, () => {
  // 6 sensor columns, 3 classes; only the first column `ax` tells the classes apart.
  const file = join(work, 'ax.csv');
  const rng = new Rng(7);
  const random = (): number => rng.float();
  const rows = ['ax,ay,az,gx,gy,gz,label'];
  for (let i = 0; i < 450; i++) {
    const k = i % 3;
    rows.push([k - 1 + 0.2 * (random() - 0.5), ...Array.from({ length: 5 }, () => (random() - 0.5).toFixed(3)), k].join(','));
  }
  writeFileSync(file, rows.join('\n'));

  test('a CSV row gets the overlay in front, and says so; replace would wipe the class column', async () => {
    const common = ['stream', '--source', `csv:${file}`, '--epochs', '4', '--quiet'];
    const byDefault = await ffedge(...common.filter((a) => a !== '--quiet'), '--log', join(work, 'default.jsonl'));
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /overlay prepend: one reading per row/);
    const replaced = await ffedge(...common, '--overlay', 'replace', '--log', join(work, 'replace.jsonl'));
    assert.equal(replaced.code, 0, replaced.stderr);
    const [good, wiped] = [accuracy(byDefault.stdout), accuracy(replaced.stdout)];
    assert.ok(good > 0.8, `prepend ${good}`);
    assert.ok(wiped < 0.55, `replace ${wiped} (chance 0.33): the class column is overwritten`);
  });

  test('the output-layer rules run with the default layers', async () => {
    const r = await ffedge('stream', '--algorithm', 'backprop', '--samples', '300', '--log', join(work, 'bp.jsonl'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /layers 64,32,5: backprop ends in an output layer of 5 units/);
    const wrong = await ffedge('stream', '--algorithm', 'pepita', '--layers', '64,32', '--quiet', '--log', join(work, 'p.jsonl'));
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /^ffedge: --algorithm pepita ends in an output layer of 5 units \(one per class\): make it the last width, e.g. --layers 64,32,5\n$/,
    );
  });
});
