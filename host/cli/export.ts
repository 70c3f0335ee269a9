// `ffedge export CHECKPOINT --c-header FILE.h`: the trained weights of a
// checkpoint file as a C header of `static const float` arrays, for firmware
// that runs inference without the learner.
//
// The weights blob is the learner's parameter region (assembly/learner/arena.ts):
//   per layer l: W_l [out_l x in_l] row-major (row j = weights into unit j), b_l [out_l]
//   softmax head (when the model has one): W [classes x H], b [classes],
//     H = the widths of the layers it reads (all, or all but layer 1 with skipFirstLayer)
//   pepita-mirror only: the learned feedback F [classes x in_0]
// in_0 is inputSize, plus classes when the label one-hot is prepended by a rule
// that reads it (ff, hebbian-ff, spiking-ff, backprop-ff).
//
// Non-goals: an inference routine in C, quantised weights.

import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../files/atomic-write.js';
import { resolve } from 'node:path';
import { resolveConfig, type LearnerConfig } from '../learner/config.js';
import { paramLayout } from '../learner/param-layout.js';
import { readCheckpointFile } from '../session/checkpoint-file.js';
import { UsageError } from './errors.js';
import { checkInputFile } from './input-file.js';
import { checkOutputFile, writingTo } from './output-files.js';
import { classesPathFor } from './stream.js';

/** A float literal that reads back as exactly this f32. */
function floatLiteral(v: number): string {
  if (!Number.isFinite(v)) throw new UsageError(`the checkpoint holds a non-finite weight (${v}); it cannot be a C constant`);
  if (Object.is(v, -0)) return '-0.0f';
  const text = v.toPrecision(9);
  return `${text.includes('.') || text.includes('e') ? text : `${text}.0`}f`;
}

export function renderCHeader(config: LearnerConfig, weights: Uint8Array, options: { prefix: string; source: string; classNames?: readonly string[] }): string {
  const { firstInputs, arrays } = paramLayout(config);
  const floats = arrays.reduce((a, p) => a + p.rows * p.cols, 0);
  if (weights.length !== floats * 4) {
    throw new UsageError(
      `${options.source}: the weights are ${weights.length} bytes but its model (${config.inputSize} -> ${config.layers.join(' -> ')}, ` +
        `${config.classes} classes) has ${floats * 4}; the checkpoint and its config do not belong together`,
    );
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const p = options.prefix;
  const P = p.toUpperCase();
  const c = resolveConfig(config);
  const lines = [
    `/* ${p}.h: trained weights exported by \`ffedge export --c-header\` from ${options.source}.`,
    ` * Model: ${c.inputSize} inputs -> ${c.layers.join(' -> ')}, ${c.classes} classes, ${c.algorithm}, overlay ${c.overlay}.`,
    ' * Floats are written with 9 significant digits, so each reads back as the exact f32 the device held. */',
    `#ifndef ${P}_H`,
    `#define ${P}_H`,
    '',
    `#define ${P}_INPUTS ${c.inputSize}`,
    `#define ${P}_FIRST_LAYER_INPUTS ${firstInputs}`,
    `#define ${P}_CLASSES ${c.classes}`,
    `#define ${P}_LAYERS ${c.layers.length}`,
    `static const unsigned ${p}_layer_widths[${c.layers.length}] = { ${c.layers.join(', ')} };`,
  ];
  if (options.classNames && options.classNames.length === c.classes) {
    lines.push(`static const char *const ${p}_class_names[${c.classes}] = { ${options.classNames.map((n) => JSON.stringify(n)).join(', ')} };`);
  }
  let offset = 0;
  for (const a of arrays) {
    const values: string[] = [];
    for (let i = 0; i < a.rows * a.cols; i++, offset += 4) values.push(floatLiteral(view.getFloat32(offset, true)));
    const rowsOf = (n: number) => Array.from({ length: Math.ceil(values.length / n) }, (_, r) => `  ${values.slice(r * n, r * n + n).join(', ')},`);
    lines.push('', `/* ${a.comment} */`, `static const float ${p}_${a.name}[${a.rows * a.cols}] = {`, ...rowsOf(8), '};');
  }
  lines.push('', `#endif /* ${P}_H */`, '');
  return lines.join('\n');
}

export async function exportCommand(checkpointPath: string, flags: { cHeader?: string; prefix?: string }): Promise<void> {
  if (flags.cHeader === undefined) throw new UsageError('ffedge export needs a format: --c-header FILE.h');
  checkInputFile('export CHECKPOINT', checkpointPath);
  const prefix = flags.prefix ?? 'ffedge_model';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new UsageError(`--prefix must be a C identifier, got ${JSON.stringify(prefix)}`);
  checkOutputFile('--c-header', flags.cHeader, { example: 'model.h' });
  const checkpoint = await readCheckpointFile(resolve(checkpointPath));
  if (!checkpoint.config) {
    throw new UsageError(`${checkpointPath} has no model config: save it with ffedge stream --save-checkpoint, or ffedge checkpoint get --config FILE.json`);
  }
  const namesFile = classesPathFor(checkpointPath);
  const classNames = existsSync(namesFile) ? (JSON.parse(readFileSync(namesFile, 'utf8')) as { classes?: string[] }).classes : undefined;
  const header = renderCHeader(checkpoint.config, checkpoint.weights, { prefix, source: checkpointPath, ...(classNames ? { classNames } : {}) });
  await writingTo('--c-header', flags.cHeader, () => writeFileAtomicSync(flags.cHeader!, header));
  process.stdout.write(`${resolve(flags.cHeader)}: ${checkpoint.weights.length / 4} weights of ${checkpointPath} as ${prefix}_* arrays\n`);
}
