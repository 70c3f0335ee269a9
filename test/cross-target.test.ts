// The same ff-device.wasm on every target, bit for bit: one stream of sensor samples
// goes through
//   (a) the virtual device: ff-device.wasm in a Node child process (V8),
//   (b) the bare-metal Cortex-M4F firmware under qemu-system-arm (wasm2c + arm-none-eabi-gcc),
//   (c) the linux-edge program, x86-64 native and ARM under qemu-arm (wasm2c + gcc),
//   (d) the STM32F405 firmware (qemu-system-arm netduinoplus2, USART1),
//   (e) the rv32imac soft-float firmware (qemu-system-riscv32 virt, riscv64-unknown-elf-gcc + picolibc),
// and every GOODNESS record (every f32 field of every layer) and the final weights
// (CHECKPOINT_GET of the whole blob) must be byte-identical across all of them, and
// equal to ff-core.wasm trained in-process on the same dequantised samples.
// The scalar build runs everywhere (Debian's wasm2c has no SIMD).
// A target whose toolchain is missing is skipped, not failed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeConfig } from '../host/learner/config.js';
import { Learner } from '../host/learner/learner.js';
import { quantize, sampleToFloat32, type MessageOf, type Sample } from '../host/protocol/messages.js';
import { launchQemu, type QemuInstance } from '../host/transport/qemu-launch.js';
import { SENSOR_DEMO_MODEL } from '../host/budget.js';
import { firmwareBoard } from '../host/boards.js';
import {
  boardSkip,
  buildBoard,
  childLink,
  DeviceDriver,
  expectMessage,
  missingTools,
  repoRoot,
  sensorWindows,
  serialLink,
  startBoard,
  wasiLink,
  type ByteLink,
} from './firmware-driver.js';

const run = promisify(execFile);
const deviceWasm = process.env.FFEDGE_DEVICE_WASM ?? join(repoRoot, 'build', 'ff-device.wasm');
const SAMPLES = 400;
// Linear memory on every target: the model with its head needs ~70 KB; 96 KiB leaves the
// STM32F405's 128 KiB room for the stack and statics.
const RAM = 98304;
// The demo sensor model plus the softmax head, so expf/logf and the head's update are covered too.
const config = { ...SENSOR_DEMO_MODEL, softmaxHead: true };

// int8 on the wire: 64 bytes a sample, so QEMU's byte-at-a-time UART stays quick. The device
// dequantises q * scale in f32; sampleToFloat32 does the same on the host.
const samples: Sample[] = sensorWindows(SAMPLES, 2024).map(({ label, values }) => ({
  kind: 'positive',
  label,
  ...quantize(values, 'int8'),
}));

interface Outcome {
  runtime: string;
  configOk: MessageOf<'CONFIG_OK'>;
  goodness: Uint8Array[];
  weights: Uint8Array;
  blobCrc: number;
  retransmissions: number;
  ms: number;
}

async function drive(link: ByteLink): Promise<Outcome> {
  const started = Date.now();
  const driver = new DeviceDriver(link);
  try {
    const hello = await driver.hello();
    const [configReply] = await driver.requests([{ type: 'CONFIGURE', config: encodeConfig(config) }]);
    const configOk = expectMessage(configReply!, 'CONFIG_OK');
    const replies = await driver.requests(
      samples.map((s) => ({ type: 'SAMPLE' as const, ...s })),
      90_000,
    );
    const goodness = replies.map((r) => {
      expectMessage(r, 'GOODNESS');
      return r.payload;
    });
    const { blob, blobCrc } = await driver.checkpoint();
    return {
      runtime: hello.runtime,
      configOk,
      goodness,
      weights: blob,
      blobCrc,
      retransmissions: driver.retransmissions,
      ms: Date.now() - started,
    };
  } finally {
    await driver.close();
  }
}

/** Offset of the per-layer f32 fields in a GOODNESS payload (docs/protocol.md §5.8, v2). */
const GOODNESS_FIELDS_AT = 12;

/** Where two GOODNESS payloads first differ, as "sample i layer l field f: a vs b". */
function firstDifference(a: Uint8Array[], b: Uint8Array[]): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = Buffer.from(a[i]!),
      y = Buffer.from(b[i]!);
    if (x.equals(y)) continue;
    const fields = x[3]!;
    for (let at = GOODNESS_FIELDS_AT; at + 4 <= Math.min(x.length, y.length); at += 4) {
      if (x.readUInt32LE(at) !== y.readUInt32LE(at)) {
        const k = (at - GOODNESS_FIELDS_AT) / 4;
        return `sample ${i} layer ${Math.floor(k / fields)} field ${k % fields}: ${x.readFloatLE(at)} vs ${y.readFloatLE(at)}`;
      }
    }
    return `sample ${i}: header ${x.subarray(0, GOODNESS_FIELDS_AT).toString('hex')} vs ${y.subarray(0, GOODNESS_FIELDS_AT).toString('hex')}`;
  }
  return `record counts ${a.length} vs ${b.length}`;
}

const targets: Array<{
  name: string;
  runtime: RegExp;
  skip: string | false;
  start: (work: string) => Promise<{ link: ByteLink; stop?: () => Promise<unknown> }>;
}> = [
  {
    name: 'cortex-m4-qemu (wasm2c, arm-none-eabi-gcc, qemu-system-arm)',
    runtime: /cortex-m4/,
    skip: missingTools(['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm', 'make']),
    start: async (work) => {
      const build = join(work, 'm4');
      await run('make', ['-s', '-C', join(repoRoot, 'firmware-targets', 'cortex-m4-qemu'), `WASM=${deviceWasm}`, `BUILD=${build}`, `RAM_BYTES=${RAM}`]);
      const qemu: QemuInstance = await launchQemu({ elf: join(build, 'fw.elf') });
      try {
        return { link: await serialLink('cortex-m4-qemu', qemu.path), stop: () => qemu.close() };
      } catch (e) {
        await qemu.close();
        throw e;
      }
    },
  },
  ...[
    { name: 'linux-edge x86-64 (wasm2c, gcc)', tools: ['wasm2c', 'gcc', 'make'], cross: '', runner: [] as string[] },
    {
      name: 'linux-edge ARM (wasm2c, arm-linux-gnueabihf-gcc, qemu-arm)',
      tools: ['wasm2c', 'arm-linux-gnueabihf-gcc', 'qemu-arm', 'make'],
      cross: 'arm-linux-gnueabihf-',
      runner: ['qemu-arm', '-L', '/usr/arm-linux-gnueabihf'],
    },
  ].map((v) => ({
    name: v.name,
    runtime: /linux-edge/,
    skip: missingTools(v.tools),
    start: async (work: string) => {
      const build = join(work, v.cross || 'native');
      await run('make', ['-s', '-C', join(repoRoot, 'firmware-targets', 'linux-edge'), `WASM=${deviceWasm}`, `BUILD=${build}`, `CROSS=${v.cross}`]);
      return { link: childLink(v.name, [...v.runner, join(build, 'ff-device'), '--ram', String(RAM)]) };
    },
  })),
  ...[
    { board: firmwareBoard('stm32f405'), name: 'stm32f405 (wasm2c, arm-none-eabi-gcc, qemu-system-arm netduinoplus2)' },
    { board: firmwareBoard('riscv32'), name: 'riscv32 rv32imac soft float (wasm2c, riscv64-unknown-elf-gcc + picolibc, qemu-system-riscv32 virt)' },
  ].map(({ board, name }) => ({
    name,
    runtime: new RegExp(board.runtime),
    skip: boardSkip(board),
    start: async (work: string) => startBoard(board, await buildBoard(board, deviceWasm, join(work, board.name), { RAM_BYTES: RAM })),
  })),
];

describe(
  'cross-target: one ff-device.wasm, bit-identical training on every target',
  { skip: existsSync(deviceWasm) ? false : `${deviceWasm} not built yet (npm run build:wasm)` },
  () => {
    let work = '';
    let reference: Outcome;
    const outcomes = new Map<string, Promise<Outcome>>();

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'ffedge-cross-'));
      // All targets at once: the QEMU system emulator is the long pole.
      for (const target of targets) {
        if (target.skip) continue;
        outcomes.set(
          target.name,
          (async () => {
            const { link, stop } = await target.start(work);
            try {
              return await drive(link);
            } finally {
              await stop?.();
            }
          })(),
        );
      }
      for (const p of outcomes.values())
        p.catch(() => {
          /* reported by its test */
        });
      reference = await drive(wasiLink(deviceWasm, RAM));
    });

    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test(`virtual device (V8) trains ${SAMPLES} samples and matches ff-core.wasm in V8`, async () => {
      assert.equal(reference.runtime, 'ff-edge/wasi');
      assert.equal(reference.goodness.length, SAMPLES);
      console.log(`# wasi: ${SAMPLES} samples + checkpoint in ${reference.ms} ms; arenaUsed ${reference.configOk.arenaUsed}`);
      const learner = await Learner.load();
      learner.configure(config);
      let last;
      for (const s of samples) last = learner.train(sampleToFloat32(s), [s.label]);
      assert.ok(Buffer.from(learner.exportWeights()).equals(Buffer.from(reference.weights)), 'weights equal ff-core.wasm trained in-process');
      const fields = Buffer.from(reference.goodness.at(-1)!);
      assert.equal(fields.readFloatLE(GOODNESS_FIELDS_AT), Math.fround(last!.layers[0]!.goodnessPositive), "last record = the learner's stats");
      // Training did something: the records change along the stream.
      assert.notDeepEqual(reference.goodness[0], reference.goodness.at(-1));
    });

    for (const target of targets) {
      test(`${target.name}: GOODNESS records and weights bit-identical to the virtual device`, { skip: target.skip }, async () => {
        const outcome = await outcomes.get(target.name)!;
        console.log(`# ${target.name}: ${SAMPLES} samples + checkpoint in ${outcome.ms} ms`);
        assert.match(outcome.runtime, target.runtime);
        assert.deepEqual(outcome.configOk, reference.configOk, 'same arena layout');
        // 8 requests in flight exceed the M4's 256-byte RX ring: nothing may be lost.
        assert.equal(outcome.retransmissions, 0, 'no request had to be sent again');
        assert.equal(outcome.goodness.length, SAMPLES);
        const same = outcome.goodness.every((g, i) => Buffer.from(g).equals(Buffer.from(reference.goodness[i]!)));
        assert.ok(same, `GOODNESS differs: ${firstDifference(outcome.goodness, reference.goodness)}`);
        assert.equal(outcome.blobCrc, reference.blobCrc, 'weights CRC-32 reported by the device');
        assert.ok(Buffer.from(outcome.weights).equals(Buffer.from(reference.weights)), 'weights byte-identical');
      });
    }
  },
);
