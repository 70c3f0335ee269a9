// The project's dependency rule (DESIGN.md "Layout", STYLE.md 1), checked on the
// source tree: firmware-targets/ never uses host/ (a TS/JS import, a C #include, a
// path in a Makefile or shell script), and assembly/ never imports host/. Host code a
// target needs (QEMU launcher, generators) lives in host/ or scripts/ and points the
// other way.
//
// Non-goals: the import graph inside host/ (tsc would report a missing module), cycles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/ -> repo

interface HostReference {
  /** File, relative to the scanned root's parent. */
  file: string;
  line: number;
  /** The path as written. */
  path: string;
}

const SKIP_DIRS = new Set(['build', 'node_modules', 'dist', 'out']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...sourceFiles(full));
    } else if (entry.isFile()) out.push(full);
  }
  return out;
}

// Path literals each kind of file can use to reach another file.
const SCRIPT = /\b(?:from|import|require)\s*\(?\s*['"]([^'"]+)['"]/g;
const C_INCLUDE = /^\s*#\s*include\s*"([^"]+)"/gm;
const BUILD_PATH = /(?:\.\.\/)+host(?:\/[^\s)'"]*)?/g;

function patternFor(file: string): RegExp | null {
  const name = basename(file);
  if (/\.(?:[cm]?[jt]s)$/.test(name)) return SCRIPT;
  if (/\.(?:c|h|S|s|inc)$/.test(name)) return C_INCLUDE;
  if (name === 'Makefile' || /\.(?:mk|sh)$/.test(name)) return BUILD_PATH;
  return null;
}

/** Every path in a source file under `scanDir` that resolves into `hostDir`. */
function hostReferences(scanDir: string, hostDir: string): HostReference[] {
  const found: HostReference[] = [];
  const host = resolve(hostDir) + sep;
  for (const file of sourceFiles(scanDir)) {
    const pattern = patternFor(file);
    if (!pattern) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(pattern)) {
      const path = m[1] ?? m[0];
      if (!path.startsWith('.')) continue; // a package or a system header
      if ((resolve(dirname(file), path) + sep).startsWith(host)) {
        found.push({ file: relative(dirname(scanDir), file), line: text.slice(0, m.index).split('\n').length, path });
      }
    }
  }
  return found;
}

const describe = (refs: HostReference[]) => refs.map((r) => `${r.file}:${r.line} uses ${r.path}`).join('\n');

test('firmware-targets/ uses nothing from host/ (imports, #includes, Makefile and script paths)', () => {
  const refs = hostReferences(join(repoRoot, 'firmware-targets'), join(repoRoot, 'host'));
  assert.deepEqual(refs, [], `move host code out of the target, or the generator to scripts/:\n${describe(refs)}`);
});

test('assembly/ imports nothing from host/', () => {
  const refs = hostReferences(join(repoRoot, 'assembly'), join(repoRoot, 'host'));
  assert.deepEqual(refs, [], `the learner must not depend on the host:\n${describe(refs)}`);
});

test('the check finds each kind of reference into host/ and nothing else', () => {
  const root = mkdtempSync(join(tmpdir(), 'ffedge-layering-'));
  try {
    const target = join(root, 'firmware-targets', 'board');
    mkdirSync(target, { recursive: true });
    mkdirSync(join(root, 'host', 'protocol'), { recursive: true });
    mkdirSync(join(root, 'firmware-targets', 'glue'), { recursive: true });
    writeFileSync(
      join(target, 'launch.ts'),
      [
        "import { spawn } from 'node:child_process';",
        "import { encodeMessage } from '../../host/protocol/messages.js';",
        "export { ErrorCode } from '../../host/protocol/errors.js';",
        "const lazy = await import('../../host/paths.js');",
        "import { x } from '../glue/x.js';",
        "import { y } from './hosted.js';",
      ].join('\n'),
    );
    writeFileSync(join(target, 'main.c'), '#include <stdint.h>\n#include "../glue/embed.h"\n#include "../../host/protocol/frames.h"\n');
    writeFileSync(join(target, 'Makefile'), 'GLUE := ../glue\nCFLAGS += -I$(GLUE) -I../../host/protocol\n');
    writeFileSync(join(target, 'run.sh'), 'exec node "$here/../../host/cli.js" "$@"\n');
    writeFileSync(join(target, 'README.md'), 'see ../../host/transport/qemu.ts\n'); // prose is not a dependency
    const refs = hostReferences(join(root, 'firmware-targets'), join(root, 'host'));
    assert.deepEqual(refs.map((r) => `${basename(r.file)}:${r.line} ${r.path}`).sort(), [
      'Makefile:2 ../../host/protocol',
      'launch.ts:2 ../../host/protocol/messages.js',
      'launch.ts:3 ../../host/protocol/errors.js',
      'launch.ts:4 ../../host/paths.js',
      'main.c:3 ../../host/protocol/frames.h',
      'run.sh:1 ../../host/cli.js',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
