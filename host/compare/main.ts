// node dist/host/compare/main.js [options]   (npm run compare -- [options])
//
// Runs host/compare/compare.ts: every learning rule on the same data split,
// seed and memory budget; prints the markdown table and writes compare.md,
// compare.json and compare.svg. Progress goes to stderr.

import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { compareRules, compareMarkdown, writeCompare, COMPARE_DATASETS, type CompareDataset, type CompareOptions } from "./compare.js";
import { ALGORITHMS, type Algorithm } from "../learner/config.js";

const USAGE = `usage: node dist/host/compare/main.js [options]

Trains every learning rule (${ALGORITHMS.join(", ")})
on the same data split, seed and memory budget, and writes one table (markdown +
JSON) and an SVG plot: test accuracy, training seconds, samples/s, arena bytes,
wasm bytes, sparsity of the hidden layers (active fraction, Hoyer, class-ensemble
overlap) and a linear-CKA matrix between the rules' hidden representations.

options:
  --quick              small subsets, 32-32 layers, 1-2 epochs (seconds, for smoke tests)
  --datasets LIST      comma-separated: ${COMPARE_DATASETS.join(", ")} (default: both)
  --rules LIST         comma-separated algorithms (default: all)
  --epochs N           epochs per rule (default 4 on MNIST, 10 on IMU)
  --budget SECONDS     training seconds per rule and dataset at most (default 120)
  --memory BYTES       linear-memory budget of every rule (default 16777216)
  --seed N             weights and epoch-order seed (default 1)
  --build simd|scalar  which ff-core build to run (default simd), or --wasm PATH
  --samples N          test samples for the representation metrics (default 500)
  --out DIR            where to write compare.md/.json/.svg (default out/compare)
  --help               this text

The default run takes a few minutes on a 2-core machine.`;

function value(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new TypeError(`--${name} needs a value; see --help`);
  return v;
}

function integer(args: string[], name: string): number | undefined {
  const v = value(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got ${v}`);
  return n;
}

/** Parses the command line into compare options and the output directory. */
export function parseArgs(args: string[]): { options: CompareOptions; out: string; help: boolean } {
  const known = new Set(["quick", "datasets", "rules", "epochs", "budget", "memory", "seed", "build", "wasm", "samples", "out", "help"]);
  for (const a of args) {
    if (a.startsWith("--") && !known.has(a.slice(2))) throw new TypeError(`unknown option ${a}; see --help`);
  }
  const list = (name: string) => value(args, name)?.split(",").map((s) => s.trim()).filter(Boolean);
  const datasets = list("datasets") as CompareDataset[] | undefined;
  const algorithms = list("rules") as Algorithm[] | undefined;
  const budget = value(args, "budget");
  const build = value(args, "build");
  if (build !== undefined && build !== "simd" && build !== "scalar") throw new TypeError(`--build must be simd or scalar, got ${build}`);
  const options: CompareOptions = {
    quick: args.includes("--quick"),
    ...(datasets ? { datasets } : {}),
    ...(algorithms ? { algorithms } : {}),
    ...(integer(args, "epochs") !== undefined ? { epochs: integer(args, "epochs") } : {}),
    ...(budget !== undefined ? { timeBudgetSeconds: Number(budget) } : {}),
    ...(integer(args, "memory") !== undefined ? { memoryLimit: integer(args, "memory") } : {}),
    ...(integer(args, "seed") !== undefined ? { seed: integer(args, "seed") } : {}),
    ...(integer(args, "samples") !== undefined ? { representationSamples: integer(args, "samples") } : {}),
    wasm: value(args, "wasm") ?? build ?? "simd",
  };
  return { options, out: value(args, "out") ?? "out/compare", help: args.includes("--help") || args.includes("-h") };
}

async function main(): Promise<void> {
  const { options, out, help } = parseArgs(process.argv.slice(2));
  if (help) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const result = await compareRules({
    ...options,
    command: ["node dist/host/compare/main.js", ...process.argv.slice(2)].join(" "),
    onProgress: (e) => {
      if (e.phase === "start") process.stderr.write(`[${e.index + 1}/${e.total}] ${e.dataset} ${e.algorithm} ...`);
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
