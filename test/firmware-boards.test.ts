// Errors travel on every bare-metal board of host/boards.ts beyond the M4 (which
// test/firmware-device-errors.test.ts covers): the real ff-device.wasm, built for the
// board and run under its QEMU machine, reached over its UART's pty.
//  * A trap reaches the host as ERROR(DEVICE_TRAP): a call-depth budget too small for
//    CONFIGURE (CALL_DEPTH=5: boot and HELLO need 5) traps `exhaustion`.
//  * A config too big for the board's RAM_BYTES is refused with the bytes it needs
//    (ERROR ARENA_TOO_SMALL, detail = what host/budget.ts predicts), and one that fits
//    then trains (the nRF51 has room for no arena at all: there even the smallest model
//    is refused, with its number).
//  * `ffedge budget --target <board>` adds up to what the ELF links.
// Short: a handful of frames per board. A board whose toolchain is missing is skipped
// with the Debian package to install.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig, type LearnerConfig } from '../host/learner/config.js';
import { ArenaTooSmallError, LearnerStatus, learnerError } from '../host/learner/errors.js';
import { quantize } from '../host/protocol/messages.js';
import { ErrorCode } from '../host/protocol/errors.js';
import { budget, SENSOR_DEMO_MODEL } from '../host/budget.js';
import { firmwareBoard, type FirmwareBoard } from '../host/boards.js';
import { boardSkip, buildBoard, DeviceDriver, expectMessage, repoRoot, sensorWindows, startBoard } from './firmware-driver.js';

const deviceWasm = process.env.FFEDGE_DEVICE_WASM ?? join(repoRoot, 'build', 'ff-device.wasm');
const noDevice = existsSync(deviceWasm) ? false : `${deviceWasm} not built yet (npm run build:wasm)`;
const TRAP_DEPTH = 4;

/** A floating-point instruction in `objdump -d` output of the board's architecture. */
function floatInstruction(board: FirmwareBoard): RegExp {
  return board.prefix.startsWith('riscv')
    ? /^\s+[0-9a-f]+:\s+[0-9a-f]+\s+f(?:add|sub|mul|div|sqrt|madd|msub|nmadd|nmsub|lw|sw|mv|cvt|eq|lt|le)\./m
    : /^\s+[0-9a-f]+:\s+[0-9a-f ]+\s+v(?:add|sub|mul|div|sqrt|fma|fms|ldr|str|mov|cvt)\.f32/m;
}

interface BoardCase {
  board: FirmwareBoard;
  /** Settings of the "too big" build: its RAM_BYTES is the limit the device checks. */
  vars: Record<string, number>;
  big: LearnerConfig;
  /** A model that fits those RAM_BYTES, or null when none does. */
  small: LearnerConfig | null;
}

const cases: BoardCase[] = [
  {
    board: firmwareBoard('stm32f405'),
    vars: { RAM_BYTES: 65536 },
    big: { ...SENSOR_DEMO_MODEL, layers: [128, 128] },
    small: { ...SENSOR_DEMO_MODEL, layers: [16, 16] },
  },
  {
    board: firmwareBoard('riscv32'),
    vars: { RAM_BYTES: 65536 },
    big: { ...SENSOR_DEMO_MODEL, layers: [128, 128] },
    small: { ...SENSOR_DEMO_MODEL, layers: [16, 16] },
  },
  // The Makefile's defaults: 16 KiB in all, the pool just holds the device program's statics.
  { board: firmwareBoard('nrf51-microbit'), vars: {}, big: SENSOR_DEMO_MODEL, small: null },
];

for (const { board, vars, big, small } of cases) {
  describe(`ff-device.wasm on ${board.name} (${board.part}, ${board.core}): errors reach the host`, { skip: noDevice || boardSkip(board) }, () => {
    let work = '';
    before(() => {
      work = mkdtempSync(join(tmpdir(), `ffedge-${board.name}-`));
    });
    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    async function boot(settings: Record<string, number>): Promise<{ driver: DeviceDriver; stop: () => Promise<void> }> {
      const build = join(
        work,
        Object.entries(settings)
          .map(([k, v]) => `${k}-${v}`)
          .join('_') || 'defaults',
      );
      const { link, stop } = await startBoard(board, await buildBoard(board, deviceWasm, build, settings));
      const driver = new DeviceDriver(link);
      return {
        driver,
        stop: async () => {
          await driver.close();
          await stop();
        },
      };
    }

    test(`ffedge budget --target ${board.name}: its RAM total is what the ELF links with that pool, its limit the part's RAM`, async () => {
      const b = await budget({ target: board.name as 'stm32f405', config: SENSOR_DEMO_MODEL });
      assert.equal(b.limit?.bytes, board.ramBytes);
      assert.equal(b.ram.stack, board.stackBytes);
      assert.equal(b.fits, b.ram.total <= board.ramBytes);
      // Link the firmware with exactly that linear memory (the part's RAM region permitting).
      const pool = Math.ceil(b.ram.linearMemory / 16) * 16;
      if (b.ram.total - b.ram.linearMemory + pool > board.ramBytes) {
        assert.equal(b.fits, false, `${b.model} cannot link in ${board.ramBytes} B, and the budget says so`);
        return;
      }
      const elf = await buildBoard(board, deviceWasm, join(work, 'budget'), { RAM_BYTES: pool });
      const { stdout } = await promisify(execFile)(`${board.prefix}size`, ['-A', '-d', elf]);
      const section = (name: string): number => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? 0);
      const linked = section('.stack') + section('.data') + section('.bss') + section('.wasm_pool');
      assert.equal(linked - pool, b.ram.total - b.ram.linearMemory, 'stack + statics as the budget counts them');
      assert.equal(b.flash.total, section('.vectors') + section('.text') + section('.ARM.exidx') + section('.data'), 'flash');
    });

    test(
      'a soft-float build holds no floating-point instruction (every f32 operation is a libgcc call: IEEE, never fused)',
      { skip: board.core.includes('soft float') ? false : 'a hard-float board' },
      async () => {
        const elf = await buildBoard(board, deviceWasm, join(work, 'defaults'));
        const { stdout: code } = await promisify(execFile)(`${board.prefix}objdump`, ['-d', elf], { maxBuffer: 64 << 20 });
        assert.doesNotMatch(code, floatInstruction(board), 'no floating-point instruction');
        assert.match(code, /<(?:__mulsf3|__aeabi_fmul)>:/, 'f32 multiplies go through libgcc');
      },
    );

    test(`CALL_DEPTH=${TRAP_DEPTH}: HELLO works, a CONFIGURE that traps comes back as ERROR(DEVICE_TRAP, exhaustion)`, async () => {
      const { driver, stop } = await boot({ ...vars, CALL_DEPTH: TRAP_DEPTH });
      try {
        const hello = await driver.hello();
        assert.equal(hello.runtime, board.runtime);
        await assert.rejects(
          driver.requests([{ type: 'CONFIGURE', config: encodeConfig(SENSOR_DEMO_MODEL) }], 10_000),
          /device trapped: trap: exhaustion \(detail 8\)/,
        );
        assert.deepEqual(driver.log.at(-1), { type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail: 8, text: 'trap: exhaustion' });
      } finally {
        await stop();
      }
    });

    test(`a model too big for its RAM is refused with the bytes it needs${small ? ', then one that fits trains' : ''}`, async () => {
      const { driver, stop } = await boot(vars);
      try {
        const hello = await driver.hello();
        const requests = [{ type: 'CONFIGURE' as const, config: encodeConfig(big) }];
        if (small) requests.push({ type: 'CONFIGURE', config: encodeConfig(small) });
        const [refused, accepted] = await driver.requests(requests);
        const error = expectMessage(refused!, 'ERROR');
        assert.equal(error.code, LearnerStatus.ARENA_TOO_SMALL);
        // host/budget.ts predicted exactly this number without asking the device.
        assert.equal(error.detail, (await budget({ target: 'wasi', config: big })).ram.linearMemory, 'budget() agrees');
        const typed = learnerError(error.code, error.detail);
        assert.ok(typed instanceof ArenaTooSmallError);
        assert.match(typed.message, new RegExp(`needs ${error.detail} bytes`));
        if (!small) {
          assert.ok(hello.arenaFree < 1024, `no room for an arena: ${hello.arenaFree} bytes free`);
          return;
        }
        const ok = expectMessage(accepted!, 'CONFIG_OK');
        assert.ok(ok.arenaUsed + ok.arenaFree <= hello.arenaFree, 'the arena fits what HELLO offered');
        const [trained] = await driver.requests([{ type: 'SAMPLE', kind: 'positive', label: 1, ...quantize(sensorWindows(1, 3)[0]!.values, 'int8') }]);
        expectMessage(trained!, 'GOODNESS');
      } finally {
        await stop();
      }
    });
  });
}
