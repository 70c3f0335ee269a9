// Every learning rule through the real device program (build/ff-device.wasm)
// over the wire protocol: one node:wasi child, driven lock-step (one request,
// one reply) with frames built and parsed by host/protocol, as a host would.
// Per algorithm: CONFIGURE -> CONFIG_OK, a few SAMPLEs -> GOODNESS records
// with finite per-layer stats, INFER -> PREDICTION, RESET -> ACK. The device
// trains each SAMPLE as a batch of one.
//
// The child never touches process.stdin/stdout: node:wasi's fd_read on fd 0
// must stay blocking (DESIGN.md, measured facts).

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { wasmPath } from '../host/paths.js';
import { Deframer } from '../host/protocol/frame.js';
import { decodeMessage, encodeMessage, type Message } from '../host/protocol/messages.js';
import { encodeConfig, ALGORITHMS, OUTPUT_LAYER_ALGORITHMS, type LearnerConfig } from '../host/learner/config.js';

const CHILD = `
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const wasi = new WASI({ version: "preview1", stdin: 0, stdout: 1, stderr: 2, returnOnExit: true, args: [], env: {} });
const module = await WebAssembly.compile(readFileSync(process.argv[1]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
`;

const device = wasmPath('ff-device');

test(
  'every algorithm configures, trains, reports goodness and predicts on ff-device.wasm over the protocol',
  { skip: existsSync(device) ? false : `${device} not built (npm run build:wasm)`, timeout: 60_000 },
  async () => {
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', CHILD, device], { stdio: ['pipe', 'pipe', 'inherit'] });
    const deframer = new Deframer();
    const inbox: Message[] = [];
    let wake: (() => void) | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const frame of deframer.push(chunk)) inbox.push(decodeMessage(frame));
      wake?.();
    });
    const next = async (): Promise<Message> => {
      const deadline = Date.now() + 10_000;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no reply from the device within 10 s');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
      return inbox.shift()!;
    };
    let seq = 0;
    const request = async (message: Message): Promise<Message> => {
      child.stdin.write(encodeMessage(message, seq++));
      return next();
    };
    try {
      assert.equal((await next()).type, 'HELLO', 'boot HELLO');
      const inputs = 12,
        classes = 3;
      for (const algorithm of ALGORITHMS) {
        const config: LearnerConfig = {
          inputSize: inputs,
          classes,
          layers: OUTPUT_LAYER_ALGORITHMS.includes(algorithm) ? [10, classes] : [10, 8],
          algorithm,
          overlay: 'prepend',
          learningRate: 0.01,
          seed: 5,
        };
        const ok = await request({ type: 'CONFIGURE', config: encodeConfig(config) });
        assert.equal(ok.type, 'CONFIG_OK', `${algorithm}: ${JSON.stringify(ok)}`);
        for (let s = 0; s < 4; s++) {
          const label = s % classes;
          const values = Float32Array.from({ length: inputs }, (_, i) => (i % classes === label ? 1 : 0.1 * ((i * 7 + s) % 5)));
          const reply = await request({
            type: 'SAMPLE',
            kind: algorithm === 'ed' && s === 3 ? 'unlabelled' : 'positive',
            label: algorithm === 'ed' && s === 3 ? -1 : label,
            encoding: 'f32',
            values,
          });
          assert.equal(reply.type, 'GOODNESS', `${algorithm} sample ${s}: ${JSON.stringify(reply)}`);
          if (reply.type !== 'GOODNESS') return;
          assert.equal(reply.step, s + 1);
          assert.equal(reply.layers.length, config.layers.length);
          for (const layer of reply.layers) {
            for (const v of [layer.goodnessPositive, layer.goodnessNegative, layer.loss, layer.activeFraction, layer.hoyer])
              assert.ok(Number.isFinite(v), `${algorithm}: ${JSON.stringify(layer)}`);
          }
        }
        const prediction = await request({ type: 'INFER', kind: 'positive', label: 0, encoding: 'f32', values: new Float32Array(inputs).fill(0.5) });
        assert.equal(prediction.type, 'PREDICTION', `${algorithm}: ${JSON.stringify(prediction)}`);
        if (prediction.type === 'PREDICTION') assert.ok(prediction.label >= 0 && prediction.label < classes);
        assert.equal((await request({ type: 'RESET' })).type, 'ACK');
        console.log(`# ${algorithm}: configured, 4 samples trained, predicted on ff-device.wasm`);
      }
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
);
