// `ffedge compare`: every learning rule on the same data, seed and memory
// budget (host/compare/). The options are host/compare/main.ts's, passed on.

import { compareRules, compareMarkdown, writeCompare, parseArgs } from '../compare/index.js';

export async function compareCommand(args: string[], quiet: boolean): Promise<void> {
  const { options, out } = parseArgs(args);
  if (options.quick && !quiet)
    process.stderr.write('compare --quick: a smoke test on tiny subsets; expect near-chance accuracies (run without --quick to compare the rules)\n');
  const result = await compareRules({
    ...options,
    command: ['ffedge compare', ...args].join(' '),
    onProgress: quiet
      ? undefined
      : (e) => {
          if (e.phase === 'start') process.stderr.write(`[${e.index + 1}/${e.total}] ${e.dataset} ${e.algorithm} ...`);
          else
            process.stderr.write(
              e.result.error ? ` ${e.result.error}\n` : ` ${(100 * e.result.accuracy).toFixed(1)}% in ${e.result.trainSeconds.toFixed(1)} s\n`,
            );
        },
  });
  const paths = await writeCompare(result, out);
  console.log(compareMarkdown(result));
  console.error(`wrote ${paths.markdown}, ${paths.json}, ${paths.svg}`);
}
