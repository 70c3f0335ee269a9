// What the built modules promise: ff-core.wasm is small (release <= 24 KiB,
// the budget issue 10 set with every rule and continual mechanism in it),
// imports nothing, and its code uses no f64 (soft-float on a Cortex-M4F).

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { wasmPath, buildDir } from '../host/paths.js';
import { join } from 'node:path';

test('ff-core.wasm release build is at most 24 KiB', async () => {
  const { size } = await stat(wasmPath('ff-core'));
  console.log(`# build/ff-core.wasm: ${size} bytes`);
  assert.ok(size <= 24 * 1024, `${size} bytes`);
});

test('ff-core.wasm has no imports at all', async () => {
  for (const name of ['ff-core', 'ff-core.debug']) {
    const module = await WebAssembly.compile(await readFile(wasmPath(name)));
    assert.deepEqual(WebAssembly.Module.imports(module), [], `${name} imports`);
  }
});

test('ff-core.wasm uses f32 only: no f64 instruction in its text form', async () => {
  const wat = await readFile(join(buildDir, 'ff-core.wat'), 'utf8');
  const f64 = wat.split('\n').filter((line) => /\bf64\./.test(line));
  assert.deepEqual(f64.slice(0, 5), [], `${f64.length} lines use f64`);
});
