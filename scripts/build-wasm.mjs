// Builds every wasm module: each entry file with its asconfig.json target.
// Entries whose source does not exist yet are reported, not silently skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const builds = [
  ['assembly/core.ts', 'core-release'],
  ['assembly/core.ts', 'core-debug'],
  ['assembly/core.ts', 'core-simd'],
  // Opt-in relaxed SIMD (FMA, approximate Adam): NOT bit-identical across runtimes.
  ['assembly/core.ts', 'core-relaxed'],
  ['assembly/learner/harness.ts', 'learner-harness'],
  ['assembly/learner/harness.ts', 'learner-harness-simd'],
  ['assembly/learner/kernel-harness.ts', 'kernels-simd'],
  ['assembly/learner/kernel-harness.ts', 'kernels-relaxed'],
  ['assembly/device.ts', 'device-release'],
  ['assembly/protocol/harness.ts', 'protocol-harness'],
];
mkdirSync(join(root, 'build'), { recursive: true });
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
let failed = 0;
for (const [entry, target] of builds) {
  if (!existsSync(join(root, entry))) {
    console.log(`build-wasm: ${entry} does not exist yet; ${target} not built`);
    continue;
  }
  const r = spawnSync(process.execPath, [asc, entry, '--config', 'asconfig.json', '--target', target], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-wasm: ${entry} (${target}) failed`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
