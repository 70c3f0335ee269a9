// The exit-code table of `ffedge --help` (host/cli/errors.ts) against real
// runs: each documented case, its code, and a one-line message in the user's
// words (the flag or file named; no class names, no raw errno strings).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODES_HELP, ExitCode } from '../host/cli/errors.js';
import { wasmPath } from '../host/paths.js';
import { ffedge } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-exit-'));
after(() => rmSync(work, { recursive: true, force: true }));
const noDevice = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built';
const log = (name: string): string[] => ['--log', join(work, `${name}.jsonl`)];

async function expect(code: number, args: string[], message: RegExp): Promise<void> {
  const r = await ffedge(...args);
  assert.equal(r.code, code, `ffedge ${args.join(' ')}\n${r.stderr}`);
  if (code === ExitCode.OK) return;
  assert.match(r.stderr, message, `ffedge ${args.join(' ')}`);
  assert.doesNotMatch(r.stderr, /\b[A-Z][A-Za-z]*Error\b/, 'no class names');
  assert.doesNotMatch(r.stderr, /\bE[A-Z]{3,}\b/, 'no raw errno codes');
}

test('the help documents codes 0 to 3', () => {
  for (const code of Object.values(ExitCode)) assert.match(EXIT_CODES_HELP, new RegExp(`^  ${code}  `, 'm'));
});

test('0: success', async () => {
  await expect(0, ['--help'], /./);
  await expect(0, ['stream', '--help'], /./);
});

test('1: the device or learner refused', { skip: noDevice }, async () => {
  await expect(
    1,
    ['stream', '--ram-limit', '65536', '--layers', '256,256', '--samples', '10', '--quiet', ...log('big')],
    /^ffedge: the device refused: the model needs at least \d+ bytes/,
  );
});

test('2: bad command line', async () => {
  await expect(2, ['stream', '--no-such-flag'], /unknown option/);
  await expect(2, ['stream', '--eval-every', '0', '--quiet', ...log('e')], /^ffedge: --eval-every must be an integer >= 1/);
  await expect(2, ['stream', '--lr', '1e6', '--quiet', ...log('l')], /^ffedge: --lr must be in \(0, 1\]/);
  await expect(2, ['stream', '--layers', '64,,32', '--quiet', ...log('w')], /^ffedge: --layers must be layer widths .*empty width/);
  await expect(2, ['stream', '--algorithm', 'backprop', '--layers', '64,32', '--quiet', ...log('b')], /--layers 64,32,5/);
});

test('2: config file: missing, a directory, an unknown key', async () => {
  await expect(2, ['stream', '--config', join(work, 'none.json'), '--quiet'], /^ffedge: --config: .*none\.json does not exist$/m);
  await expect(2, ['stream', '--config', work, '--quiet'], /^ffedge: --config: .* is a directory; give a file$/m);
  const typo = join(work, 'typo.json');
  writeFileSync(typo, JSON.stringify({ layerz: [16] }));
  await expect(2, ['stream', '--config', typo, '--quiet'], /unknown config key "layerz": did you mean "layers"\?/);
  writeFileSync(typo, JSON.stringify({ lr: 0.01 }));
  await expect(2, ['stream', '--config', typo, '--quiet'], /unknown config key "lr": did you mean "learningRate"\?/);
});

test('2: input files: missing, a directory, bad contents, an existing log', async () => {
  await expect(2, ['stream', '--source', `csv:${join(work, 'none.csv')}`, '--quiet'], /^ffedge: --source csv:FILE: .*none\.csv does not exist$/m);
  await expect(2, ['stream', '--source', `csv:${work}`, '--quiet'], /^ffedge: --source csv:FILE: .* is a directory; give a file$/m);
  const binary = join(work, 'binary.csv');
  writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  await expect(2, ['stream', '--source', `csv:${binary}`, '--quiet'], /binary\.csv:\d+: .*not a text CSV file/);
  await expect(2, ['stream', '--load-checkpoint', join(work, 'none.ffck'), '--quiet', ...log('c')], /^ffedge: --load-checkpoint: .* does not exist$/m);
  await expect(2, ['logs', 'summary', join(work, 'none.jsonl')], /does not exist/);
  mkdirSync(join(work, 'dir.jsonl'));
  await expect(2, ['logs', 'summary', join(work, 'dir.jsonl')], /is a directory/);
  writeFileSync(join(work, 'used.jsonl'), '{"type":"meta"}\n');
  await expect(2, ['stream', '--quiet', '--samples', '5', ...log('used')], /used\.jsonl already exists: pass --append/);
});

test('2: logs live on a port in use', async () => {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  try {
    await expect(2, ['logs', 'live', join(work, 'live.jsonl'), '--port', String(port)], new RegExp(`--port ${port} is in use`));
  } finally {
    server.close();
  }
});

test('3: no link, for the device port and for a sensor port alike', async () => {
  await expect(3, ['stream', '--port', '/dev/ttyFFEDGE-missing', '--samples', '5', '--quiet', ...log('p')], /cannot open serial port \/dev\/ttyFFEDGE-missing/);
  await expect(3, ['stream', '--source', 'serial-sensor:/dev/ttyFFEDGE-sensor', '--quiet', ...log('s')], /cannot open serial port \/dev\/ttyFFEDGE-sensor/);
});
