// npm run bench: every quick-to-run bench in turn, the same flags for each.
//   speed.js   training-step speed per runtime and model size (takes all its options)
//   stream.js  streaming throughput over the wire protocol (takes --quick and --json)
// (bench:mnist, bench:firmware and compare run on their own: minutes each, or QEMU.)
//
//   npm run bench -- [--quick] [--json] [speed options: --sizes, --runtimes, ...]

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { speedOptions } from './speed.js';

const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const program = new Command('node dist/host/bench/all.js').description(
  'speed.js with these options, then stream.js with --quick and --json (npm run bench builds first).',
);
for (const option of speedOptions()) program.addOption(option);
// Parsed here so a mistake or --help stops before any bench runs; speed.js parses the same words again.
const args = process.argv.slice(2);
const { quick, json } = program.parse().opts<{ quick?: boolean; json?: boolean }>();
const benches: Array<[string, string[]]> = [
  ['speed.js', args],
  ['stream.js', [...(quick ? ['--quick'] : []), ...(json ? ['--json'] : [])]],
];
let failed = 0;
for (const [file, flags] of benches) {
  const r = spawnSync(process.execPath, [here(file), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: ${file} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
