// `ffedge flash`, `monitor` and `reset` against real builds: flash --qemu builds
// the Cortex-M4 firmware, boots it, and the printed pty answers HELLO to
// `ffedge monitor` and RESET to `ffedge reset`; a real board without a flasher
// prints the exact command and exits 4; an installed flasher (a stand-in script
// on PATH) is run with that command; a missing cross compiler names its package.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ExitCode } from '../host/cli/errors.js';
import { onPath, wasmPath } from '../host/paths.js';
import { cliPath, ffedge, runCommand, type CliResult } from './cli-run.js';

const work = mkdtempSync(join(tmpdir(), 'ffedge-flash-'));
after(() => rmSync(work, { recursive: true, force: true }));

const noWasm = existsSync(wasmPath('ff-device')) ? false : 'build/ff-device.wasm not built';
const noArm = noWasm || (['make', 'wasm2c', 'arm-none-eabi-gcc'].find((t) => !onPath(t)) ?? false);
const noQemu = noArm || (onPath('qemu-system-arm') ? false : 'qemu-system-arm not installed');
const flasherHere = ['st-flash', 'openocd'].find(onPath);

function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCommand(process.execPath, [cliPath, ...args], { env, timeoutMs: 240_000 });
}

test(
  'flash --qemu boots cortex-m4-qemu; the printed pty answers monitor (HELLO, PONG) and reset; Ctrl-C stops it',
  { skip: noQemu, timeout: 300_000 },
  async () => {
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [cliPath, 'flash', '--target', 'cortex-m4-qemu', '--qemu', '--build-dir', join(work, 'm4')],
      { stdio: 'pipe' },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    try {
      const port = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no pty printed:\n${stdout}\n${stderr}`)), 240_000);
        child.stdout.on('data', (c: Buffer) => {
          stdout += c;
          const m = /^connect: +ffedge stream --port (\S+)$/m.exec(stdout);
          if (m) {
            clearTimeout(timer);
            done(m[1]!);
          }
        });
        void exited.then((code) => fail(new Error(`flash exited ${code} before printing a pty:\n${stdout}\n${stderr}`)));
      });
      assert.match(stdout, /cortex-m4-qemu booted under qemu-system-arm -M mps2-an386; its UART is on \/dev\/pts\/\d+/);
      assert.ok(existsSync(join(work, 'm4', 'fw.elf')), 'built into --build-dir');

      const monitor = await ffedge('monitor', '--port', port, '--count', '2');
      assert.equal(monitor.code, 0, monitor.stderr);
      const lines = monitor.stdout.trim().split('\n');
      assert.match(lines[0]!, /HELLO seq \d+: ff-edge\/cortex-m4, protocol v\d+, window \d+/);
      assert.match(lines[1]!, /PONG seq \d+: next expected \d+, frames ok \d+/);

      const reset = await ffedge('reset', '--port', port, '--quiet');
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stdout, /ff-edge\/cortex-m4 answered RESET with ACK/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /QEMU stopped/);
  },
);

test(
  'flash for a real board without a flasher prints the exact commands and exits 4',
  { skip: noArm || (flasherHere ? `${flasherHere} is installed` : false), timeout: 240_000 },
  async () => {
    const build = join(work, 'f405');
    const r = await run(['flash', '--target', 'stm32f405', '--build-dir', build], process.env);
    assert.equal(r.code, ExitCode.TOOL, r.stderr);
    assert.ok(existsSync(join(build, 'fw.bin')), 'the firmware was built first');
    assert.ok(r.stdout.includes(`st-flash --reset write ${join(build, 'fw.bin')} 0x08000000`), r.stdout);
    assert.ok(r.stdout.includes(`openocd -f interface/stlink.cfg -f target/stm32f4x.cfg -c 'program ${join(build, 'fw.elf')} verify reset exit'`), r.stdout);
    assert.match(r.stderr, /^ffedge: no flasher for stm32f405 is installed \(st-flash: Debian package stlink-tools; openocd: Debian package openocd\)/m);
    assert.doesNotMatch(r.stderr, /\b[A-Z][A-Za-z]*Error\b/);

    // An installed flasher is run with that command; one that fails is a link failure (3).
    const bin = join(work, 'bin');
    mkdirSync(bin);
    const argsFile = join(work, 'st-flash.args');
    writeFileSync(join(bin, 'st-flash'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\nexit \${FAKE_FLASH_STATUS:-0}\n`);
    chmodSync(join(bin, 'st-flash'), 0o755);
    const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
    const ok = await run(['flash', '--target', 'stm32f405', '--build-dir', build, '--quiet'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(readFileSync(argsFile, 'utf8').trim().split('\n'), ['--reset', 'write', join(build, 'fw.bin'), '0x08000000']);
    assert.match(ok.stdout, /flashed stm32f405 with st-flash; connect .*ffedge stream --port \/dev\/ttyUSB0/);
    const failed = await run(['flash', '--target', 'stm32f405', '--build-dir', build, '--quiet'], { ...env, FAKE_FLASH_STATUS: '1' });
    assert.equal(failed.code, ExitCode.LINK, failed.stderr);
    assert.match(failed.stderr, /st-flash exited with 1: check the probe's USB cable/);
  },
);

test(
  'a missing cross compiler names its Debian package and scripts/setup-toolchains.sh (exit 4)',
  { skip: noWasm || (onPath('make') && onPath('wasm2c') ? false : 'make/wasm2c not installed') },
  async () => {
    const bin = join(work, 'no-arm-bin');
    mkdirSync(bin);
    for (const tool of ['make', 'wasm2c']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const r = await run(['flash', '--target', 'nrf51-microbit'], { ...process.env, PATH: bin });
    assert.equal(r.code, ExitCode.TOOL, r.stderr);
    assert.match(
      r.stderr,
      /^ffedge: arm-none-eabi-gcc \(the Cortex-M0, soft float cross compiler\) is not installed: sudo apt-get install gcc-arm-none-eabi, or sudo scripts\/setup-toolchains\.sh$/m,
    );
  },
);
