// After tsc: mark every `bin` of package.json executable. tsc writes files
// without the execute bit, and `npx ffedge`, `npm link` or a global install run
// the bin through its #! line, which fails with "Permission denied" without it.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bin = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const [name, file] of Object.entries(typeof bin === 'string' ? { bin } : bin)) {
  const path = join(root, file);
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  if (!first.startsWith('#!')) throw new Error(`bin ${name} (${file}) has no #! line; it cannot run as a command`);
  chmodSync(path, statSync(path).mode | 0o111);
}
