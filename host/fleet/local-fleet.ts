// A fleet on this host: N device sessions (any mix of virtual, pty, qemu and
// serial ports), each with its part of the data and its own MQTT client, and
// optionally the coordinator, on one broker (the embedded one by default).
// `ffedge fleet` and the benchmark run this; a multi-host fleet runs it on
// each host with `coordinator: false` and one coordinator somewhere.
//
// Non-goals: restarting a device whose session fails (it is reported and left
// out; start it again and it rejoins).

import { hostname } from 'node:os';
import type { LearnerConfig } from '../learner/config.js';
import { Session, type SessionOptions } from '../session/index.js';
import { createTransport, type TransportSpec } from '../transport/index.js';
import { startEmbeddedBroker, type RunningBroker } from './broker.js';
import { Coordinator, type RoundResult } from './coordinator.js';
import type { FleetData } from './data.js';
import { DeviceRunner } from './device-runner.js';
import { labelInputs, sharedBytes, weightBytes, type ShareMode } from './fedavg.js';
import { splitAcrossDevices, type SplitSpec } from './split.js';
import { checkName } from './topics.js';

export interface DeviceSpec extends TransportSpec {
  /** Topic name; default `<host>-<index>`. */
  name?: string;
}

/** "virtual:8,pty:2,qemu" -> specs (ports come separately). */
export function parseDevices(text: string): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  for (const part of text.split(',').filter((p) => p.length > 0)) {
    const m = /^(virtual|pty|qemu)(?::(\d+))?$/.exec(part.trim());
    if (!m) throw new TypeError(`--devices takes kind[:count] items, kind virtual, pty or qemu (e.g. virtual:8,pty:2); got ${JSON.stringify(part)}`);
    const n = m[2] === undefined ? 1 : Number(m[2]);
    if (n < 1 || n > 1024) throw new TypeError(`--devices ${part}: count must be 1..1024`);
    for (let i = 0; i < n; i++) out.push({ device: m[1] as 'virtual' | 'pty' | 'qemu' });
  }
  return out;
}

export interface LocalFleetOptions {
  fleet: string;
  /** A broker URL; none: an embedded broker for this run. */
  brokerUrl?: string;
  devices: DeviceSpec[];
  data: FleetData;
  config: LearnerConfig;
  split: SplitSpec;
  /** This host's devices take parts first .. first+N-1 of a split into `parts` (multi-host); default 0 of N. */
  shard?: { first: number; parts: number };
  seed: number;
  coordinator: boolean;
  average: boolean;
  rounds: number;
  roundSamples: number;
  share: ShareMode;
  minDevices?: number;
  /** Label-overlay columns averaged over the devices holding each class (default true; fedavg.ts). */
  labelHolders?: boolean;
  /** FedAvgM server momentum (default 0). */
  serverMomentum?: number;
  recordEvery?: number;
  /** Held-out samples each device evaluates after an average (0 = none). */
  deviceEvalSamples?: number;
  /** Evaluate the average on a virtual device of the coordinator, over this many test samples (0 = not at all). */
  averageEvalSamples?: number;
  roundTimeoutMs?: number;
  chunkBytes?: number;
  session?: SessionOptions;
  /** Called with each runner as it starts (progress, fault injection in tests and the benchmark). */
  onRunner?: (runner: DeviceRunner, index: number) => void;
  onCoordinator?: (coordinator: Coordinator) => void;
  onBroker?: (url: string) => void | Promise<void>;
}

export interface LocalFleetResult {
  brokerUrl: string;
  runners: DeviceRunner[];
  rounds: RoundResult[];
  seconds: number;
}

/** Connects and configures one device; the caller owns the session. */
export async function openDevice(spec: DeviceSpec, config: LearnerConfig, options: SessionOptions = {}): Promise<Session> {
  const transport = await createTransport(spec);
  const session = await Session.connect(transport, options);
  try {
    await session.configure(config);
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

/** The virtual device the coordinator evaluates averages on. */
export async function averageEvaluator(
  config: LearnerConfig,
  data: FleetData,
  samples: number,
): Promise<{ evaluate: (w: Uint8Array) => Promise<{ accuracy: number; n: number }>; close(): Promise<void> }> {
  const session = await openDevice({ device: 'virtual' }, config);
  const n = Math.min(samples, data.test.count);
  // Spread over the test set: it is stored sorted by class, so its first n would be one digit.
  const stride = data.test.count / Math.max(1, n);
  const test = Array.from({ length: n }, (_, k) => {
    const i = Math.floor(k * stride);
    return { inputs: data.test.inputs.slice(i * data.test.inputSize, (i + 1) * data.test.inputSize), label: data.test.labels[i]! };
  });
  return {
    evaluate: async (weights) => {
      await session.putCheckpoint(weights);
      const e = await session.evaluate(test, { log: false });
      return { accuracy: e.accuracy, n: e.n };
    },
    close: () => session.close(),
  };
}

export async function runLocalFleet(o: LocalFleetOptions): Promise<LocalFleetResult> {
  const started = performance.now();
  checkName('fleet', o.fleet);
  let broker: RunningBroker | undefined;
  const brokerUrl = o.brokerUrl ?? (broker = await startEmbeddedBroker()).url;
  const runners: DeviceRunner[] = [];
  const sessions: Session[] = [];
  let evaluator: Awaited<ReturnType<typeof averageEvaluator>> | undefined;
  let coordinator: Coordinator | undefined;
  try {
    await o.onBroker?.(brokerUrl);
    const shard = o.shard ?? { first: 0, parts: o.devices.length };
    if (shard.first + o.devices.length > shard.parts) {
      throw new TypeError(
        `--shard ${shard.first}/${shard.parts} leaves no part for ${o.devices.length} devices: parts ${shard.first}..${shard.first + o.devices.length - 1} must be below ${shard.parts}`,
      );
    }
    const parts = splitAcrossDevices(o.data.train.labels, o.data.classes, shard.parts, o.split, o.seed);
    const evalN = Math.min(o.deviceEvalSamples ?? 0, o.data.test.count);
    const testIndices = Uint32Array.from({ length: evalN }, (_, i) => i * Math.floor(o.data.test.count / Math.max(1, evalN)));
    const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'host';
    // Sessions one after another (each handshake spawns a device), runners likewise.
    for (let i = 0; i < o.devices.length; i++) {
      const spec = o.devices[i]!;
      const part = parts[shard.first + i]!;
      const session = await openDevice(spec, o.config, o.session);
      sessions.push(session);
      const runner = await DeviceRunner.start({
        fleet: o.fleet,
        name: spec.name ?? `${host}-${shard.first + i}`,
        brokerUrl,
        session,
        train: { data: o.data.train, indices: part.indices },
        test: { data: o.data.test, indices: testIndices },
        classes: part.classes,
        recordEvery: o.recordEvery ?? 100,
        ...(o.chunkBytes ? { chunkBytes: o.chunkBytes } : {}),
      });
      runners.push(runner);
      o.onRunner?.(runner, i);
    }
    let rounds: RoundResult[] = [];
    if (o.coordinator) {
      const averageEval = o.averageEvalSamples ?? o.data.test.count;
      if (o.average && averageEval > 0 && o.share.layers === 'all') evaluator = await averageEvaluator(o.config, o.data, averageEval);
      coordinator = await Coordinator.start({
        fleet: o.fleet,
        brokerUrl,
        rounds: o.rounds,
        roundSamples: o.roundSamples,
        average: o.average,
        sharedBytes: sharedBytes(o.config, o.share),
        weightBytes: weightBytes(o.config),
        minDevices: o.minDevices ?? o.devices.length,
        labelInputs: o.labelHolders === false ? null : labelInputs(o.config),
        serverMomentum: o.serverMomentum ?? 0,
        ...(o.roundTimeoutMs ? { roundTimeoutMs: o.roundTimeoutMs } : {}),
        ...(o.chunkBytes ? { chunkBytes: o.chunkBytes } : {}),
        ...(evaluator ? { evaluate: evaluator.evaluate } : {}),
      });
      o.onCoordinator?.(coordinator);
      rounds = await coordinator.run();
    }
    await Promise.all(runners.map((r) => r.finished));
    return { brokerUrl, runners, rounds, seconds: (performance.now() - started) / 1000 };
  } finally {
    for (const r of runners) await r.stop().catch(() => undefined);
    for (const s of sessions) await s.close().catch(() => undefined);
    await coordinator?.stop();
    await evaluator?.close().catch(() => undefined);
    await broker?.close();
  }
}
