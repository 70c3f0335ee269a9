// `npm run bench:fuzz`: both sides' frame decoders fed random and mutated
// input (issue 16 item 5). The host: Deframer + decodeMessage must only ever
// throw ProtocolError. The device: the real build/ff-device.wasm (the same
// dispatcher and learner every target runs), fed everything as one long byte
// stream through our WASI imports, must never trap; its replies must deframe
// with valid CRCs. Mutations keep a frame's CRC right after changing its
// payload, so most inputs get past the CRC into the message decoders and the
// learner's config checks.
//
//   node dist/host/bench/fuzz.js [--inputs N] [--seed S] [--json]
//
// Prints counts and the slowest input; exits 1 on any crash, trap or hang.

import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { positiveInteger } from '../command-line.js';
import { encodeConfig } from '../learner/config.js';
import { wasmPath } from '../paths.js';
import { decodeMessage, Deframer, encodeFrame, encodeMessage, MessageType, ProtocolError, type Message } from '../protocol/index.js';
import { cobsEncode } from '../protocol/cobs.js';
import { crc32 } from '../protocol/crc32.js';
import { Rng } from '../sources/prng.js';
import { wasiImports, WasiExit, type WasiIo } from '../transport/wasi-imports.js';

/** Valid requests and replies to mutate: every message type, small and large. */
function seedFrames(): Uint8Array[] {
  const config = encodeConfig({ inputSize: 8, layers: [8, 4], classes: 3 });
  const values = Float32Array.from({ length: 8 }, (_, i) => i / 8);
  const messages: Message[] = [
    { type: 'HELLO_REQUEST' },
    { type: 'PING' },
    { type: 'CONFIGURE', config },
    { type: 'SAMPLE', kind: 'positive', encoding: 'f32', label: 1, values },
    { type: 'INFER', kind: 'positive', encoding: 'f32', label: -1, values },
    { type: 'CHECKPOINT_GET', offset: 0, maxLength: 64 },
    { type: 'CHECKPOINT_PUT', offset: 0, total: 16, blobCrc: 0, data: new Uint8Array(16) },
    { type: 'RESET' },
    { type: 'ACK', nextExpected: 3, reason: 'applied' },
    { type: 'ERROR', code: 64, detail: 1, text: 'bad crc' },
    { type: 'CONFIG_OK', arenaUsed: 100, arenaFree: 1000 },
    { type: 'PONG', nextExpected: 1, framesOk: 2, badCrc: 0, malformed: 0, tooLarge: 0 },
  ];
  return messages.map((m, i) => encodeMessage(m, i + 1));
}

/** A frame rebuilt from a (damaged) body with its CRC made right again. */
function reframe(body: Uint8Array): Uint8Array {
  const withCrc = new Uint8Array(body.length + 4);
  withCrc.set(body);
  new DataView(withCrc.buffer).setUint32(body.length, crc32(body), true);
  const encoded = cobsEncode(withCrc);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  return out;
}

/** One fuzz input: random bytes, a damaged frame, or a frame whose payload was damaged under a good CRC. */
function makeInput(rng: Rng, seeds: Uint8Array[]): Uint8Array {
  const kind = rng.int(4);
  if (kind === 0) return Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.int(256));
  const frame = seeds[rng.int(seeds.length)]!;
  if (kind === 1) {
    const bytes = Uint8Array.from(frame);
    for (let k = 1 + rng.int(4); k > 0; k--) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
    return bytes;
  }
  // A body: header (version, type, seq) + payload, mutated, with a good CRC.
  const body: number[] = [
    rng.int(8) === 0 ? rng.int(256) : 3,
    rng.int(4) === 0 ? rng.int(256) : MessageType.CONFIGURE + rng.int(12),
    rng.int(256),
    rng.int(256),
  ];
  const payloadLength = kind === 2 ? rng.int(64) : rng.int(600);
  for (let i = 0; i < payloadLength; i++) body.push(rng.int(3) === 0 ? 0 : rng.int(256));
  if (kind === 3 && rng.int(2) === 0) {
    // A plausible CONFIGURE: a real config blob with a few bytes changed.
    const config = Array.from(encodeConfig({ inputSize: 1 + rng.int(64), layers: [1 + rng.int(64), 1 + rng.int(16)], classes: 2 + rng.int(8) }));
    for (let k = 1 + rng.int(3); k > 0; k--) config[rng.int(config.length)] = rng.int(256);
    return reframe(Uint8Array.from([3, MessageType.CONFIGURE, rng.int(256), rng.int(256), ...config]));
  }
  return reframe(Uint8Array.from(body));
}

export interface FuzzReport {
  inputs: number;
  bytes: number;
  host: { frames: number; decoded: number; protocolErrors: number; crashes: string[]; slowestMs: number };
  device: { traps: string[]; restarts: number; replyFrames: number; badReplies: number; seconds: number };
}

/** The host's decoders over every input: only ProtocolError may come out. */
function fuzzHost(inputs: Uint8Array[]): FuzzReport['host'] {
  const report = { frames: 0, decoded: 0, protocolErrors: 0, crashes: [] as string[], slowestMs: 0 };
  const deframer = new Deframer();
  for (const input of inputs) {
    const started = performance.now();
    try {
      for (const frame of deframer.push(input)) {
        report.frames++;
        try {
          decodeMessage(frame);
          report.decoded++;
        } catch (err) {
          if (err instanceof ProtocolError) report.protocolErrors++;
          else report.crashes.push(`${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      report.crashes.push(`Deframer: ${(err as Error).message}`);
      deframer.reset();
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
  }
  return report;
}

/** The real device program over the whole stream; a trap is recorded and a fresh instance continues. */
async function fuzzDevice(inputs: Uint8Array[]): Promise<FuzzReport['device']> {
  const module = await WebAssembly.compile(readFileSync(wasmPath('ff-device')));
  const report = { traps: [] as string[], restarts: 0, replyFrames: 0, badReplies: 0, seconds: 0 };
  const replies = new Deframer();
  let next = 0;
  let offset = 0;
  const io: WasiIo = {
    read: (_fd, into) => {
      while (next < inputs.length && offset >= inputs[next]!.length) {
        next++;
        offset = 0;
      }
      if (next >= inputs.length) return 0; // end of input: the device returns from _start
      const input = inputs[next]!;
      const n = Math.min(into.length, input.length - offset);
      into.set(input.subarray(offset, offset + n));
      offset += n;
      return n;
    },
    write: (_fd, bytes) => {
      for (const frame of replies.push(bytes)) {
        report.replyFrames++;
        try {
          decodeMessage(frame);
        } catch {
          report.badReplies++;
        }
      }
      return bytes.length;
    },
  };
  const started = performance.now();
  while (next < inputs.length) {
    let memory: WebAssembly.Memory | undefined;
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasiImports(() => memory!, io) } as unknown as WebAssembly.Imports);
    const exports = instance.exports as { memory: WebAssembly.Memory; _start: () => void; ram_limit_bytes: WebAssembly.Global };
    memory = exports.memory;
    exports.ram_limit_bytes.value = 16 << 20; // a random config may ask for gigabytes: the device refuses above this
    try {
      exports._start();
      break;
    } catch (err) {
      if (err instanceof WasiExit) break;
      report.traps.push(`input ${next}: ${(err as Error).message}`);
      report.restarts++;
      next++;
      offset = 0;
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  report.badReplies += replies.stats.badCrc + replies.stats.malformed;
  return report;
}

export async function fuzz(count: number, seed: number): Promise<FuzzReport> {
  const rng = new Rng(seed);
  const seeds = seedFrames();
  const inputs = Array.from({ length: count }, () => makeInput(rng, seeds));
  const host = fuzzHost(inputs);
  const device = await fuzzDevice(inputs);
  return { inputs: count, bytes: inputs.reduce((n, i) => n + i.length, 0), host, device };
}

/** Nothing but ProtocolErrors on the host, no trap or undecodable reply on the device, no input over 1 s. */
export function fuzzPassed(r: FuzzReport): boolean {
  return r.host.crashes.length === 0 && r.device.traps.length === 0 && r.device.badReplies === 0 && r.host.slowestMs < 1000;
}

async function main(): Promise<void> {
  const o = new Command('node dist/host/bench/fuzz.js')
    .description('Fuzz the host and device frame decoders with random and mutated frames (issue 16).')
    .option('--inputs <n>', 'inputs to generate', positiveInteger, 1_000_000)
    .option('--seed <n>', 'PRNG seed', positiveInteger, 1)
    .option('--json', 'print JSON')
    .parse()
    .opts<{ inputs: number; seed: number; json?: boolean }>();
  const r = await fuzz(o.inputs, o.seed);
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`${r.inputs.toLocaleString('en-US')} inputs, ${r.bytes.toLocaleString('en-US')} bytes (seed ${o.seed})`);
    console.log(
      `host:   ${r.host.frames.toLocaleString('en-US')} frames deframed, ${r.host.decoded.toLocaleString('en-US')} decoded, ` +
        `${r.host.protocolErrors.toLocaleString('en-US')} ProtocolErrors, ${r.host.crashes.length} other errors; slowest input ${r.host.slowestMs.toFixed(2)} ms`,
    );
    console.log(
      `device: ff-device.wasm answered with ${r.device.replyFrames.toLocaleString('en-US')} frames (${r.device.badReplies} undecodable), ` +
        `${r.device.traps.length} traps, in ${r.device.seconds.toFixed(1)} s`,
    );
    for (const c of [...r.host.crashes, ...r.device.traps].slice(0, 10)) console.log(`  ${c}`);
    console.log(fuzzPassed(r) ? 'passed' : 'FAILED');
  }
  if (!fuzzPassed(r)) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => {
    process.stderr.write(`bench fuzz: ${err.message}\n`);
    process.exit(1);
  });
}
