// `ffedge export CHECKPOINT --c-header FILE.h` compiled with gcc: every array
// of the header, written out by a C program, is byte for byte the weights the
// device sent (so each float literal reads back as the device's f32).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paramLayout } from '../host/learner/param-layout.js';
import { wasmPath } from '../host/paths.js';
import { readCheckpointFile } from '../host/session/checkpoint-file.js';
import { ffedge } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-export-'));
after(() => rmSync(work, { recursive: true, force: true }));
const gcc = spawnSync('gcc', ['--version']).status === 0;
const skip = !existsSync(wasmPath('ff-device')) ? 'build/ff-device.wasm not built' : !gcc ? 'gcc not installed' : false;

describe('export --c-header', { skip }, () => {
  for (const [algorithm, overlay] of [
    ['ff', 'prepend'],
    ['pepita-mirror', 'replace'],
  ] as const) {
    test(`${algorithm} (${overlay}): the header compiles and holds the checkpoint's exact weights`, async () => {
      const checkpoint = join(work, `${algorithm}.ffck`);
      const trained = await ffedge(
        'stream',
        '--algorithm',
        algorithm,
        '--overlay',
        overlay,
        '--samples',
        '200',
        '--quiet',
        '--log',
        join(work, `${algorithm}.jsonl`),
        '--save-checkpoint',
        checkpoint,
      );
      assert.equal(trained.code, 0, trained.stderr);
      const header = join(work, 'model.h');
      const exported = await ffedge('export', checkpoint, '--c-header', header, '--prefix', 'imu_model');
      assert.equal(exported.code, 0, exported.stderr);
      const file = await readCheckpointFile(checkpoint);
      const { arrays } = paramLayout(file.config!);
      const program = join(work, 'dump.c');
      writeFileSync(
        program,
        [
          '#include <stdio.h>',
          '#include "model.h"',
          'int main(void) {',
          ...arrays.map((a) => `  fwrite(imu_model_${a.name}, sizeof(float), sizeof imu_model_${a.name} / sizeof(float), stdout);`),
          '  return IMU_MODEL_CLASSES == 5 && IMU_MODEL_INPUTS == 192 ? 0 : 1;',
          '}',
        ].join('\n'),
      );
      execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-O1', '-o', join(work, 'dump'), program], { cwd: work });
      const dumped = execFileSync(join(work, 'dump'));
      assert.equal(dumped.length, file.weights.length);
      assert.ok(Buffer.from(file.weights).equals(dumped), "the C arrays are the device's weights, bit for bit");
      assert.match(readFileSync(header, 'utf8'), /static const unsigned imu_model_layer_widths\[\d\]/);
    });
  }

  test('a missing checkpoint is refused naming the argument', async () => {
    const r = await ffedge('export', join(work, 'none.ffck'), '--c-header', join(work, 'x.h'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /export CHECKPOINT: .*none\.ffck does not exist/);
  });
});
