// Our wasm2c runtime (firmware-targets/wasm2c-glue) against wasm2c's own code and
// the spec, through test/fixtures/rt-probe.wat:
// * the static-memory bounds checks (static-memory.h, applied by use-static-memory.sh
//   to every Cortex-M4 build): one export per access kind (widths 1/2/4/8, offsets up
//   to one that carries past 2^32); the same probes run through
//   * wasm2c's unmodified output with our pool runtime (its RANGE_CHECK: the plain
//     reference of the fast path),
//   * the rewritten output (one 32-bit compare per access),
//   * V8, when the memory is made of whole pages (V8 has no partly backed page),
//   and every result, trap or value, must agree, and traps must fall exactly where
//   address + offset + width > memory size;
// * function-type identities (wasm-rt-pool.c packs each signature into 64 bits):
//   call_indirect through signatures that differ in one value type traps, the
//   matching one calls.
// Built natively with the host gcc (the rewrite is the same C on every target; the
// M4 firmware test probes the bounds on the board).
// * BOUNDS_CHECKS=mpu on the Cortex-M4 under QEMU (no compare per access: unprivileged
//   loads/stores at address 0, the MPU refusing what lies past the memory;
//   firmware-targets/cortex-m-common/mpu-sandbox.c): the same probes, cross-built with
//   test/fixtures/rt-probe-m4.c, must give exactly wasm2c's results and V8's, and each
//   trap the MPU raised names a byte of the access at or past the end.
// Skipped (not failed) when wabt or gcc is missing (the M4 part: the ARM toolchain or QEMU).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingTools, repoRoot } from './firmware-driver.js';

const run = promisify(execFile);
const fixtures = join(repoRoot, 'test', 'fixtures');
const glue = join(repoRoot, 'firmware-targets', 'wasm2c-glue');
const skip = missingTools(['wat2wasm', 'wasm2c', 'gcc']);
const PAGE = 65536;
const POOLS = [100000, 2 * PAGE];
/** MPU mode needs sizes in whole KiB (mpu-sandbox.c): 98 KiB, and two whole pages. */
const MPU_POOLS = [100352, 2 * PAGE];
const skipM4 = skip || missingTools(['arm-none-eabi-gcc', 'qemu-system-arm']);

/** export name -> [access width, static offset] */
const ACCESSES: Record<string, [number, number]> = {
  load8: [1, 0],
  load16: [2, 0],
  load32: [4, 0],
  load64: [8, 0],
  loadf32: [4, 0],
  store8: [1, 0],
  store32: [4, 0],
  store64: [8, 0],
  load32_off4: [4, 4],
  load64_off65528: [8, 65528],
  store32_off100000: [4, 100000],
  load32_off4294967292: [4, 4294967292],
  load8_off4294967295: [1, 4294967295],
};

interface Probe {
  name: string;
  address: number;
  value: bigint;
}

/** Probes of every access kind around a memory of `size` bytes, and at the ends of the address space. */
function probesAround(size: number, seed: number): Probe[] {
  const probes: Probe[] = [];
  let k = seed;
  for (const [name, [width, offset]] of Object.entries(ACCESSES)) {
    const addresses = new Set<number>([0, 1, 0xffffffff, 0xfffffffc, size, size - 1]);
    for (let d = -3; d <= 2; d++) addresses.add(size - width - offset + d); // the last fitting address is d = 0
    for (const address of addresses) {
      if (address < 0 || address > 0xffffffff) continue;
      k++;
      probes.push({ name, address, value: (BigInt(k) * 0x0101010101010101n + 0x1122334455667788n) & 0xffffffffffffffffn });
    }
  }
  return probes;
}

/** Memory 1 page, probes, grow by 1, probes again (the memory is then min(2 pages, pool) bytes). */
function session(pool: number): Probe[] {
  return [
    ...probesAround(PAGE, 0),
    { name: 'grow', address: 1, value: 0n },
    { name: 'size', address: 0, value: 0n },
    ...probesAround(Math.min(2 * PAGE, pool), 1000),
  ];
}

function expectedTrap(p: Probe, size: number): boolean {
  const access = ACCESSES[p.name];
  return access !== undefined && p.address + access[1] + access[0] > size;
}

/** Run the probes through a built driver: one output line each. */
function runDriver(driver: string, probes: Probe[]): string[] {
  const input = probes.map((p) => `${p.name} ${p.address} ${p.value}`).join('\n') + '\n';
  const result = spawnSync(driver, { input, encoding: 'utf8' });
  assert.equal(result.status, 0, `${driver} failed: ${result.stderr}`);
  return result.stdout.trim().split('\n');
}

/** The same probes in V8. */
async function runV8(wasmFile: string, probes: Probe[]): Promise<string[]> {
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(wasmFile)), {});
  const exports = instance.exports as Record<string, (a: number, v: bigint) => bigint>;
  return probes.map((p) => {
    try {
      return `ok ${BigInt.asUintN(64, exports[p.name]!(p.address | 0, p.value))}`;
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      if (/signature mismatch|table index/.test(error.message)) return 'trap call-indirect';
      if (/out of bounds/.test(error.message)) return 'trap oob';
      throw error;
    }
  });
}

describe('our wasm2c runtime (wasm2c-glue) against wasm2c and V8', { skip }, () => {
  let work = '';
  let wasmFile = '';
  const drivers = new Map<string, string>(); // `${kind}-${pool}` -> path

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ffedge-rt-probe-'));
    const wasmPath = join(work, 'rtprobe.wasm');
    await run('wat2wasm', [join(fixtures, 'rt-probe.wat'), '-o', wasmPath]);
    wasmFile = wasmPath;
    await run('wasm2c', [wasmPath, '-n', 'rtprobe', '-o', join(work, 'rtprobe.c')]);
    const builds: Array<Promise<void>> = [];
    for (const kind of ['plain', 'static']) {
      const dir = join(work, kind);
      mkdirSync(dir);
      copyFileSync(join(work, 'rtprobe.c'), join(dir, 'rtprobe.c'));
      copyFileSync(join(work, 'rtprobe.h'), join(dir, 'rtprobe.h'));
      if (kind === 'static') await run(join(glue, 'use-static-memory.sh'), [join(dir, 'rtprobe.c')]);
      for (const pool of kind === 'plain' ? [...POOLS, ...MPU_POOLS] : POOLS) {
        const out = join(dir, `driver-${pool}`);
        drivers.set(`${kind}-${pool}`, out);
        builds.push(
          run('gcc', [
            '-O2',
            '-std=gnu11',
            '-w',
            '-DNDEBUG',
            '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0',
            ...(kind === 'static' ? ['-DFFEDGE_RT_STATIC_MEMORY'] : []),
            `-DPOOL_BYTES=${pool}`,
            '-I',
            dir,
            '-I',
            glue,
            join(dir, 'rtprobe.c'),
            join(glue, 'wasm-rt-pool.c'),
            join(fixtures, 'rt-probe-driver.c'),
            '-lm',
            '-o',
            out,
          ]).then(() => undefined),
        );
      }
    }
    await Promise.all(builds);
  });

  test("BOUNDS_CHECKS=mpu on the Cortex-M4 (QEMU): the MPU traps exactly where wasm2c's checks do, with the address", { skip: skipM4 }, async () => {
    const dir = join(work, 'm4-mpu');
    mkdirSync(dir);
    copyFileSync(join(work, 'rtprobe.c'), join(dir, 'rtprobe.c'));
    copyFileSync(join(work, 'rtprobe.h'), join(dir, 'rtprobe.h'));
    copyFileSync('/usr/include/wasm-rt.h', join(dir, 'wasm-rt.h'));
    await run(join(glue, 'use-static-memory.sh'), [join(dir, 'rtprobe.c')]);
    const targets = join(repoRoot, 'firmware-targets');
    const common = join(targets, 'cortex-m-common');
    const names = Object.keys(ACCESSES).concat('grow', 'size'); // rt-probe-m4.c's table order
    for (const pool of MPU_POOLS) {
      const probes = session(pool);
      writeFileSync(
        join(dir, 'probes.h'),
        `static const probe_t probes[] = {\n${probes.map((p) => `  {${names.indexOf(p.name)}, ${p.address}u, ${p.value}ull},`).join('\n')}\n};\n`,
      );
      const elf = join(dir, `probe-${pool}.elf`);
      await run('arm-none-eabi-gcc', [
        '-mcpu=cortex-m4',
        '-mthumb',
        '-mfloat-abi=hard',
        '-mfpu=fpv4-sp-d16',
        '-O2',
        '-std=gnu11',
        '-w',
        '-DNDEBUG',
        '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0',
        '-DFFEDGE_RT_STATIC_MEMORY',
        '-DFFEDGE_MPU_SANDBOX=0',
        '-fno-delete-null-pointer-checks',
        `-DPOOL_BYTES=${pool}u`,
        '-DPROBES_H="probes.h"',
        '-I',
        dir,
        '-I',
        glue,
        '-I',
        join(targets, 'cortex-m4-qemu'),
        '-I',
        common,
        join(dir, 'rtprobe.c'),
        join(glue, 'wasm-rt-pool.c'),
        join(glue, 'fatal-report.c'),
        join(common, 'mpu-sandbox.c'),
        join(common, 'vectors.c'),
        join(common, 'systick-clock.c'),
        join(targets, 'cortex-m4-qemu', 'uart-cmsdk.c'),
        join(common, 'startup-m4f.S'),
        join(fixtures, 'rt-probe-m4.c'),
        '--specs=nano.specs',
        '-nostartfiles',
        '-Wl,--gc-sections',
        '-L',
        common,
        '-T',
        join(targets, 'cortex-m4-qemu', 'mps2-an386-mpu.ld'),
        '-Wl,--defsym=__stack_bytes=8192',
        '-lm',
        '-lc',
        '-lgcc',
        '-o',
        elf,
      ]);
      const { stdout } = await run(
        'qemu-system-arm',
        ['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
        { timeout: 60_000 },
      );
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => line.trim());
      assert.equal(lines.length, probes.length, `one line per probe: ${stdout.slice(0, 200)}`);
      const plain = runDriver(drivers.get(`plain-${pool}`)!, probes);
      let size = PAGE;
      let refused = 0;
      probes.forEach((p, i) => {
        const [outcome, name, where] = lines[i]!.split(' ');
        const result = outcome === 'trap' ? `trap ${name}` : lines[i];
        assert.equal(result, plain[i], `${p.name}(${p.address}) with ${size} bytes: M4 MPU '${lines[i]}', wasm2c '${plain[i]}'`);
        if (p.name === 'grow') {
          size = Math.min(2 * PAGE, pool);
          return;
        }
        if (outcome !== 'trap' || where === '-') return;
        const [width, offset] = ACCESSES[p.name]!;
        const start = p.address + offset;
        const fault = Number(where);
        refused++;
        assert.ok(
          fault >= size && fault >= start && fault < start + width,
          `${p.name}(${p.address}) with ${size} bytes: the MPU refused ${fault}, not a byte of the access past the end`,
        );
      });
      assert.ok(refused > 20, `the MPU, not software, raised most traps (${refused})`);
      if (pool === 2 * PAGE)
        assert.deepEqual(
          lines.map((l) => (l.startsWith('trap') ? l.split(' ').slice(0, 2).join(' ') : l)),
          await runV8(wasmFile, probes),
          'whole pages: the same as V8, values included',
        );
    }
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the rewrite fails loudly on C that is not wasm2c 1.0.32 output, and on a second pass', async () => {
    const dir = join(work, 'twice');
    mkdirSync(dir);
    const file = join(dir, 'rtprobe.c');
    copyFileSync(join(work, 'rtprobe.c'), file);
    await run(join(glue, 'use-static-memory.sh'), [file]);
    const once = readFileSync(file, 'utf8');
    await assert.rejects(run(join(glue, 'use-static-memory.sh'), [file]), /expected 1/);
    assert.equal(readFileSync(file, 'utf8'), once, 'a refused rewrite leaves the file as it was');
  });

  for (const pool of POOLS) {
    test(`a ${pool}-byte pool: static checks trap exactly where wasm2c's do, at address + offset + width > size`, async () => {
      const probes = session(pool);
      const plain = runDriver(drivers.get(`plain-${pool}`)!, probes);
      const fast = runDriver(drivers.get(`static-${pool}`)!, probes);
      assert.equal(fast.length, probes.length);
      let traps = 0;
      let size = PAGE;
      probes.forEach((p, i) => {
        assert.equal(fast[i], plain[i], `${p.name}(${p.address}) with ${size} bytes: static '${fast[i]}', wasm2c '${plain[i]}'`);
        if (p.name === 'grow') {
          assert.equal(fast[i], 'ok 1');
          size = Math.min(2 * PAGE, pool);
          return;
        }
        if (p.name === 'size') {
          assert.equal(fast[i], 'ok 2');
          return;
        }
        const trap = expectedTrap(p, size);
        assert.equal(fast[i]!.startsWith('trap'), trap, `${p.name}(${p.address}) with ${size} bytes: got '${fast[i]}'`);
        if (trap) {
          assert.equal(fast[i], 'trap oob');
          traps++;
        }
      });
      assert.ok(traps > 20 && traps < probes.length - 20, `both outcomes probed (${traps} traps of ${probes.length})`);
      if (pool === 2 * PAGE) assert.deepEqual(fast, await runV8(wasmFile, probes), 'whole pages: the same as V8, values included');
    });
  }

  test('call_indirect: only the exact signature calls; one differing value type, or a missing entry, traps', async () => {
    const probes: Probe[] = [0, 1, 2, 3, 4, 5, 6].flatMap((address) => [
      { name: 'call_probe', address, value: 40n },
      { name: 'call_wide', address, value: 0n },
      { name: 'call_sink', address, value: 0n },
    ]);
    const trap = 'trap call-indirect';
    // table: 0 (i32, i64) -> i64, 1 (f32, i64) -> i64, 2 the 11-parameter type, 3 the same but f64 last,
    // 4 (i32) -> (), 5 () -> (i32); 6 is past the end
    const expected = [
      // per address: call_probe, call_wide, call_sink
      'ok 41',
      trap,
      trap,
      /* 1 */ trap,
      trap,
      trap,
      /* 2 */ trap,
      'ok 7',
      trap,
      /* 3 */ trap,
      trap,
      trap,
      /* 4 */ trap,
      trap,
      'ok 9',
      /* 5 */ trap,
      trap,
      trap,
      /* 6 */ trap,
      trap,
      trap,
    ];
    for (const kind of ['plain', 'static']) {
      assert.deepEqual(runDriver(drivers.get(`${kind}-${PAGE * 2}`)!, probes), await runV8(wasmFile, probes), kind);
    }
    assert.deepEqual(await runV8(wasmFile, probes), expected);
  });
});
