// One formatter for the TypeScript side (issue 11): .prettierrc.json, applied
// to host/, test/ and scripts/ (`npm run format`). assembly/ is AssemblyScript,
// which prettier's TypeScript parser does not read (.prettierignore says so).

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../host/paths.js';

test('host/, test/ and scripts/ are formatted as .prettierrc.json says (npm run format fixes it)', () => {
  const prettier = join(packageRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const r = spawnSync(process.execPath, [prettier, '--check', 'host/**/*.ts', 'test/**/*.ts', 'scripts/**/*.{ts,mjs}'], {
    cwd: packageRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `not formatted (run npm run format):\n${r.stdout}${r.stderr}`);
});
