// node dist/host/compare/main.js [options]   (npm run compare -- [options])
//
// Runs host/compare/compare.ts: every learning rule on the same data split,
// seed and memory budget; prints the markdown table and writes compare.md,
// compare.json and compare.svg. Progress goes to stderr.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { compareRules, compareMarkdown, writeCompare, COMPARE_DATASETS, type CompareDataset, type CompareOptions } from './compare.js';
import { ALGORITHMS, type Algorithm } from '../learner/config.js';
import { commaList, nonNegativeInteger, parseOptions, positiveNumber } from '../command-line.js';

interface CompareFlags {
  quick?: boolean;
  datasets?: string[];
  rules?: string[];
  epochs?: number;
  budget?: number;
  memory?: number;
  seed?: number;
  build?: 'simd' | 'scalar';
  wasm?: string;
  samples?: number;
  out: string;
  help?: boolean;
}

/** The command line of the comparison (commander), declared once for this script and `ffedge compare`. */
export function compareProgram(name = 'node dist/host/compare/main.js'): Command {
  return new Command(name)
    .description(
      `Trains every learning rule (${ALGORITHMS.join(', ')}) on the same data split, seed and memory budget, ` +
        'and writes one table (markdown + JSON) and an SVG plot: test accuracy, training seconds, samples/s, arena bytes, ' +
        'wasm bytes, sparsity of the hidden layers (active fraction, Hoyer, class-ensemble overlap) and a linear-CKA ' +
        "matrix between the rules' hidden representations.",
    )
    .helpOption(false)
    .option('--quick', 'small subsets, 32-32 layers, 1-2 epochs (seconds, for smoke tests)')
    .option('--datasets <list>', `comma-separated: ${COMPARE_DATASETS.join(', ')} (default: both)`, commaList)
    .option('--rules <list>', 'comma-separated algorithms (default: all)', commaList)
    .option('--epochs <n>', 'epochs per rule (default 4 on MNIST, 10 on IMU)', nonNegativeInteger)
    .option('--budget <seconds>', 'training seconds per rule and dataset at most (default 120)', positiveNumber)
    .option('--memory <bytes>', 'linear-memory budget of every rule (default 16777216)', nonNegativeInteger)
    .option('--seed <n>', 'weights and epoch-order seed (default 1)', nonNegativeInteger)
    .addOption(new Option('--build <build>', 'which ff-core build to run (default simd), or --wasm PATH').choices(['simd', 'scalar']))
    .option('--wasm <path>', 'an ff-core build to run instead of --build')
    .option('--samples <n>', 'test samples for the representation metrics (default 500)', nonNegativeInteger)
    .option('--out <dir>', 'where to write compare.md/.json/.svg', 'out/compare')
    .option('-h, --help', 'this text')
    .addHelpText('after', '\nThe default run takes a few minutes on a 2-core machine.');
}

/** Parses the command line into compare options and the output directory. */
export function parseArgs(args: string[]): { options: CompareOptions; out: string; help: boolean } {
  const flags = parseOptions<CompareFlags>(compareProgram(), args);
  const options: CompareOptions = {
    quick: flags.quick === true,
    ...(flags.datasets ? { datasets: flags.datasets as CompareDataset[] } : {}),
    ...(flags.rules ? { algorithms: flags.rules as Algorithm[] } : {}),
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.budget !== undefined ? { timeBudgetSeconds: flags.budget } : {}),
    ...(flags.memory !== undefined ? { memoryLimit: flags.memory } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.samples !== undefined ? { representationSamples: flags.samples } : {}),
    wasm: flags.wasm ?? flags.build ?? 'simd',
  };
  return { options, out: flags.out, help: flags.help === true };
}

async function main(): Promise<void> {
  const { options, out, help } = parseArgs(process.argv.slice(2));
  if (help) {
    console.log(compareProgram().helpInformation());
    return;
  }
  const started = performance.now();
  const result = await compareRules({
    ...options,
    command: ['node dist/host/compare/main.js', ...process.argv.slice(2)].join(' '),
    onProgress: (e) => {
      if (e.phase === 'start') process.stderr.write(`[${e.index + 1}/${e.total}] ${e.dataset} ${e.algorithm} ...`);
      else {
        const r = e.result;
        process.stderr.write(r.error ? ` ${r.error}\n` : ` ${(100 * r.accuracy).toFixed(1)}% in ${r.trainSeconds.toFixed(1)} s\n`);
      }
    },
  });
  const paths = await writeCompare(result, out);
  console.log(compareMarkdown(result));
  console.error(`wrote ${paths.markdown}, ${paths.json}, ${paths.svg} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
}

// Run only as the entry point, so tests can import parseArgs.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
