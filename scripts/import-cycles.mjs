// Fails on any import cycle among the .ts files under the given folders.
//
//   node scripts/import-cycles.mjs assembly host --exclude host/session
//
// Reads the relative imports and re-exports of each file (`import ... from
// "./x"`, `export ... from "../y.js"`, `import "./z"`), resolves them to files
// under the folders given, and prints each cycle found (exit 1), or nothing
// (exit 0). `--exclude P` drops every file whose path (relative to the working
// directory) starts with P, and the edges into it.
//
// Non-goals: package imports, dynamic import(), type-level resolution (a
// type-only import counts as an edge: the layering should hold for types too).

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const FROM = /\b(?:import|export)\b[^'"`;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g;
const BARE = /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The relative specifiers a source text imports or re-exports, in order. */
export function relativeImports(source) {
  // Whole-line // comments and /* */ blocks may quote import lines; drop them.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  for (const re of [FROM, BARE]) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** The .ts file a specifier names, or undefined (outside the scanned files or not a file). */
function resolveSpecifier(fromFile, specifier, files) {
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(m?js)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.mts`, join(base, 'index.ts')]) {
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

function listTs(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listTs(path, out);
    else if (/\.m?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The import graph of the .ts files under `roots`: a Map from each file's
 * path (relative to `cwd`, with /) to the files it imports. Files whose
 * relative path starts with one of `exclude` are left out, and so are the
 * edges into them.
 */
export function importGraph(roots, { exclude = [], cwd = process.cwd() } = {}) {
  const name = (abs) => relative(cwd, abs).split(sep).join('/');
  const kept = (abs) => !exclude.some((prefix) => name(abs).startsWith(prefix));
  const files = new Set();
  for (const root of roots) {
    const dir = resolve(cwd, root);
    if (!existsSync(dir)) throw new Error(`import-cycles: ${root} does not exist (give folders relative to ${cwd})`);
    for (const f of listTs(dir, [])) if (kept(f)) files.add(f);
  }
  const graph = new Map();
  for (const file of [...files].sort()) {
    const targets = [];
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, spec, files);
      if (target !== undefined && !targets.includes(name(target))) targets.push(name(target));
    }
    graph.set(name(file), targets);
  }
  return graph;
}

/**
 * Every strongly connected component of more than one file (or a file that
 * imports itself): `files`, its members sorted, and `cycle`, one cycle
 * through them [a, b, ..., a]. Tarjan's algorithm (Tarjan 1972), iterative
 * so deep graphs do not overflow the stack.
 */
export function findCycles(graph) {
  const index = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [];
  const components = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next);
    next++;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, i] = frame;
      const edges = graph.get(node) ?? [];
      if (i < edges.length) {
        frame[1]++;
        const to = edges[i];
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next);
          next++;
          stack.push(to);
          onStack.add(to);
          work.push([to, 0]);
        } else if (onStack.has(to)) {
          low.set(node, Math.min(low.get(node), index.get(to)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === index.get(node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        const selfLoop = component.length === 1 && edges.includes(node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components.map((component) => ({ files: component.sort(), cycle: cycleThrough(graph, new Set(component)) }));
}

/** One concrete cycle inside a strongly connected component, found by BFS back to its first file. */
function cycleThrough(graph, members) {
  const first = [...members].sort()[0];
  const cameFrom = new Map([[first, undefined]]);
  const queue = [first];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === first) {
        const path = [first];
        for (let at = node; at !== first; at = cameFrom.get(at)) path.unshift(at);
        path.unshift(first);
        return path;
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  throw new Error(`import-cycles: no cycle through ${first} (not a strongly connected component)`);
}

function main(argv) {
  const roots = [],
    exclude = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--exclude') {
      if (argv[i + 1] === undefined) throw new Error('import-cycles: --exclude needs a path prefix, e.g. --exclude host/session');
      exclude.push(argv[++i]);
    } else roots.push(argv[i]);
  }
  if (roots.length === 0) {
    console.error('usage: node scripts/import-cycles.mjs FOLDER... [--exclude PATH_PREFIX]...');
    return 2;
  }
  const graph = importGraph(roots, { exclude });
  const cycles = findCycles(graph);
  for (const { files, cycle } of cycles) {
    console.log(`import cycle: ${cycle.join(' -> ')}`);
    if (files.length > cycle.length - 1) console.log(`  (one of the cycles among ${files.length} files: ${files.join(', ')})`);
  }
  if (cycles.length > 0) {
    console.log(
      `${cycles.length} import cycle(s) among ${graph.size} files under ${roots.join(', ')}: ` +
        'move what both sides need into a file of its own that imports neither',
    );
    return 1;
  }
  console.log(`no import cycle among ${graph.size} files under ${roots.join(', ')}` + (exclude.length > 0 ? ` (excluded: ${exclude.join(', ')})` : ''));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
