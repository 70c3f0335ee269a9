// No import cycles: assembly/ (the learner and the device program) and host/
// are layered one way (docs/architecture, issue 11). scripts/import-cycles.mjs
// does the work; this file runs it over the tree and makes sure it can fail.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../host/paths.js';

interface Cycle {
  files: string[];
  cycle: string[];
}
interface Checker {
  relativeImports(source: string): string[];
  importGraph(roots: string[], options?: { exclude?: string[]; cwd?: string }): Map<string, string[]>;
  findCycles(graph: Map<string, string[]>): Cycle[];
}

const script = join(packageRoot, 'scripts', 'import-cycles.mjs');
const checker = (await import(pathToFileURL(script).href)) as Checker;

/**
 * Cycles in host/ on the day this check was added, left for their owners
 * (type-only, so harmless at run time, but the layering should hold for
 * types too). Remove an entry when its cycle is gone.
 */
const KNOWN_HOST_CYCLES = [
  ['host/bench/speed-report.ts', 'host/bench/speed.ts'], // speed-report imports speed's report types
];

function cyclesUnder(roots: string[], exclude: string[] = []): Cycle[] {
  return checker.findCycles(checker.importGraph(roots, { exclude, cwd: packageRoot }));
}

test('assembly/ has no import cycle', () => {
  const cycles = cyclesUnder(['assembly']);
  assert.deepEqual(
    cycles.map((c) => c.cycle.join(' -> ')),
    [],
  );
});

test('host/ has no import cycle beyond the known ones', () => {
  const found = cyclesUnder(['host']).map((c) => c.files.join(' '));
  const known = KNOWN_HOST_CYCLES.map((files) => files.join(' '));
  assert.deepEqual(
    found.filter((f) => !known.includes(f)),
    [],
    'new import cycles in host/',
  );
  assert.deepEqual(
    known.filter((k) => !found.includes(k)),
    [],
    'cycles gone: remove them from KNOWN_HOST_CYCLES',
  );
});

test('findCycles finds a synthetic three-file cycle and a self-import, not a diamond', () => {
  const graph = new Map<string, string[]>([
    ['a.ts', ['b.ts', 'd.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['e.ts']], // a -> d -> e and a -> b: no way back from d or e
    ['e.ts', []],
    ['f.ts', ['f.ts']],
    ['g.ts', ['d.ts', 'e.ts']],
  ]);
  const cycles = checker.findCycles(graph);
  assert.deepEqual(cycles.map((c) => c.files).sort(), [['a.ts', 'b.ts', 'c.ts'], ['f.ts']]);
  const abc = cycles.find((c) => c.files.length === 3)!;
  assert.deepEqual(abc.cycle, ['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  assert.deepEqual(
    checker.findCycles(
      new Map([
        ['x.ts', ['y.ts']],
        ['y.ts', []],
      ]),
    ),
    [],
  );
});

test('relativeImports reads multi-line imports, re-exports and .js specifiers, not comments or packages', () => {
  const source = [
    '// import { no } from "./commented";',
    '/* import { no } from "./blocked"; */',
    'import {',
    '  a, b,',
    '} from "./multi";',
    "import type { T } from '../types.js';",
    'export { c } from "./again";',
    'import "./side-effect";',
    'import { readFile } from "node:fs";',
  ].join('\n');
  assert.deepEqual(checker.relativeImports(source).sort(), ['../types.js', './again', './multi', './side-effect']);
});

test('the script exits 1 and names the files on a cyclic tree on disk, 0 once it is broken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  try {
    mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.ts'), 'import { b } from "./sub/b";\nexport const a = b;\n');
    writeFileSync(join(dir, 'src', 'sub', 'b.ts'), 'import { a } from "../a.js";\nexport const b = 1;\nexport const c = a;\n');
    const cyclic = spawnSync(process.execPath, [script, 'src'], { cwd: dir, encoding: 'utf8' });
    assert.equal(cyclic.status, 1, cyclic.stdout + cyclic.stderr);
    assert.match(cyclic.stdout, /import cycle: src\/a\.ts -> src\/sub\/b\.ts -> src\/a\.ts/);
    const excluded = spawnSync(process.execPath, [script, 'src', '--exclude', 'src/sub'], { cwd: dir, encoding: 'utf8' });
    assert.equal(excluded.status, 0, excluded.stdout + excluded.stderr);
    writeFileSync(join(dir, 'src', 'sub', 'b.ts'), 'export const b = 1;\n');
    const fixed = spawnSync(process.execPath, [script, 'src'], { cwd: dir, encoding: 'utf8' });
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
