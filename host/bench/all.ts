// npm run bench: every quick-to-run bench in turn, the same flags for each.
//   speed.js   training-step speed per runtime and model size (takes all its options)
//   stream.js  streaming throughput over the wire protocol (takes --quick and --json)
// (bench:mnist, bench:firmware and compare run on their own: minutes each, or QEMU.)
//
//   npm run bench -- [--quick] [--json] [speed options: --sizes, --runtimes, ...]

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('npm run bench -- [--quick] [--json] [speed options]: speed.js, then stream.js (--quick/--json only)\n');
  spawnSync(process.execPath, [here('speed.js'), '--help'], { stdio: 'inherit' });
  process.exit(0);
}
const benches: Array<[string, string[]]> = [
  ['speed.js', args],
  ['stream.js', args.filter((a) => a === '--quick' || a === '--json')],
];
let failed = 0;
for (const [file, flags] of benches) {
  const r = spawnSync(process.execPath, [here(file), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`bench: ${file} exited with ${r.status ?? r.signal}`); failed++; }
}
process.exitCode = failed ? 1 : 0;
