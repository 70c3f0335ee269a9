// One device of a fleet: its session, its part of the data, its MQTT client.
//
// The runner announces itself (retained `status` online; its MQTT last will
// is the retained offline status, so a killed process is reported by the
// broker), then follows the coordinator:
//   round r naming it   train the next `samples` of its part (cycling over
//                       it), publish a `train` record every N samples and a
//                       `drift` record per alarm, then CHECKPOINT_GET and send
//                       the weights in CRC-checked chunks on `weights`
//   a model (average)   CHECKPOINT_PUT it (over its personal top layers when
//                       only the lower ones are shared), evaluate, `eval`
//   round done          finish
// Session work runs one operation at a time, in arrival order.
//
// Non-goals: choosing rounds (coordinator.ts), reconnecting a lost session
// (a new runner with the same name rejoins and gets the current average).

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import type { Session, TrainResult } from '../session/index.js';
import type { PackedSamples, Sample } from '../sources/sample.js';
import { connectClient, dropConnection, publish } from './broker.js';
import { ChunkAssembler, DEFAULT_CHUNK_BYTES, encodeChunks, type Assembled } from './chunks.js';
import { weightBytes, withPersonalLayers } from './fedavg.js';
import { GoodnessWindow } from './goodness-window.js';
import { COORDINATOR, decodeJson, encodeJson, topic, type RecordKind, type RoundPayload, type StatusPayload } from './topics.js';

export interface DeviceRunnerOptions {
  fleet: string;
  name: string;
  brokerUrl: string;
  /** Connected and configured. The runner closes it on stop()/kill(). */
  session: Session;
  /** This device's part of the training set. */
  train: { data: PackedSamples; indices: ArrayLike<number> };
  /** Held-out samples to evaluate on after each average (none: no device evals). */
  test?: { data: PackedSamples; indices: ArrayLike<number> };
  /** Publish a `train` record every this many samples (default 100). */
  recordEvery?: number;
  chunkBytes?: number;
  /** Classes in this device's part (for the status message). */
  classes?: number[];
  keepaliveSeconds?: number;
}

export interface RunnerCounts {
  /** Records the broker acknowledged (PUBACK), per kind. */
  published: Record<RecordKind, number>;
  weightBytes: number;
  trained: number;
}

function sampleAt(data: PackedSamples, i: number): Sample {
  const start = i * data.inputSize;
  return { inputs: data.inputs.slice(start, start + data.inputSize), label: data.labels[i]! };
}

/**
 * Events: 'chunk' (index, count, round) after each weights chunk is acknowledged,
 * 'trained' (round, samples), 'applied' (round), 'error' (Error), 'done'.
 */
export class DeviceRunner extends EventEmitter {
  readonly name: string;
  readonly counts: RunnerCounts = { published: { train: 0, eval: 0, link: 0, drift: 0 }, weightBytes: 0, trained: 0 };
  /** This runner's incarnation: records count `seq` from 1 within it, so a restarted device is told apart. */
  readonly instance = `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private seq = 0;
  private cursor = 0;
  private lastTrainedRound = 0;
  private appliedRound = 0;
  private work: Promise<void> = Promise.resolve();
  private readonly models = new ChunkAssembler();
  private stopped = false;
  private finishedResolve!: () => void;
  /** Resolves when the coordinator ends the run (or the runner stops). */
  readonly finished: Promise<void> = new Promise((r) => {
    this.finishedResolve = r;
  });
  /** The first failure of session work (the runner stops working but stays connected). */
  failure: Error | undefined;

  private constructor(
    private readonly options: DeviceRunnerOptions,
    private readonly client: MqttClient,
  ) {
    super();
    this.name = options.name;
    if (options.train.indices.length === 0) throw new TypeError(`device ${options.name} has no training samples in its part of the split`);
  }

  static async start(options: DeviceRunnerOptions): Promise<DeviceRunner> {
    const { fleet, name } = options;
    const will: StatusPayload = { t: Date.now(), device: name, state: 'offline', reason: 'last-will' };
    const client = await connectClient(options.brokerUrl, {
      clientId: `ffedge-${fleet}-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      will: { topic: topic(fleet, name, 'status'), payload: encodeJson(will) },
      ...(options.keepaliveSeconds !== undefined ? { keepalive: options.keepaliveSeconds } : {}),
    });
    const runner = new DeviceRunner(options, client);
    client.on('message', (t, payload, packet) => runner.onMessage(t, payload, packet.retain));
    await client.subscribeAsync([topic(fleet, COORDINATOR, 'round'), topic(fleet, COORDINATOR, 'model'), topic(fleet, name, 'model')], { qos: 1 });
    const s = options.session;
    const online: StatusPayload = {
      t: Date.now(),
      device: name,
      state: 'online',
      transport: s.transport.description,
      host: hostname(),
      runtime: s.device.runtime,
      samples: options.train.indices.length,
      ...(options.classes ? { classes: options.classes } : {}),
    };
    await publish(client, topic(fleet, name, 'status'), encodeJson(online), true);
    return runner;
  }

  private onMessage(t: string, payload: Buffer, retained: boolean): void {
    if (this.stopped) return;
    const { fleet, name } = this.options;
    if (t === topic(fleet, COORDINATOR, 'round')) {
      const round = decodeJson(payload) as RoundPayload | null;
      if (!round || typeof round.round !== 'number') return;
      // A retained round began before this runner subscribed: it is not in it (it joins the next one).
      if (retained) return;
      if (round.state === 'done') {
        this.enqueue(async () => {
          this.emit('done');
          this.finishedResolve();
        });
        return;
      }
      if (!Array.isArray(round.participants) || !round.participants.includes(name) || round.round <= this.lastTrainedRound) return;
      this.lastTrainedRound = round.round;
      this.enqueue(() => this.trainRound(round.round, round.samples));
      return;
    }
    if (t === topic(fleet, COORDINATOR, 'model') || t === topic(fleet, name, 'model')) {
      let model: Assembled | null;
      try {
        model = this.models.add(t, payload);
      } catch (err) {
        this.emit('warning', `${name}: dropped an average: ${(err as Error).message}`);
        return;
      }
      if (model && model.round > this.appliedRound) {
        const m = model;
        this.appliedRound = m.round;
        this.enqueue(() => this.applyAverage(m));
      }
    }
  }

  private enqueue(job: () => Promise<void>): void {
    this.work = this.work.then(async () => {
      if (this.stopped || this.failure) return;
      try {
        await job();
      } catch (err) {
        if (this.stopped) return;
        this.failure = err as Error;
        this.emit('error', err);
      }
    });
  }

  private async publishRecord(kind: RecordKind, body: Record<string, unknown>): Promise<void> {
    const seq = ++this.seq;
    await publish(
      this.client,
      topic(this.options.fleet, this.name, kind),
      encodeJson({ t: Date.now(), seq, instance: this.instance, device: this.name, ...body }),
    );
    this.counts.published[kind]++;
  }

  private *nextSamples(count: number): Generator<Sample> {
    const { data, indices } = this.options.train;
    for (let k = 0; k < count; k++) {
      yield sampleAt(data, indices[this.cursor % indices.length]!);
      this.cursor++;
    }
  }

  private async trainRound(round: number, samples: number): Promise<void> {
    const session = this.options.session;
    const every = this.options.recordEvery ?? 100;
    const window = new GoodnessWindow();
    const pending: Promise<void>[] = [];
    const flush = (): void => {
      const w = window.take();
      pending.push(this.publishRecord('train', { round, n: w.n, trained: this.counts.trained, step: session.step, layers: w.layers, accuracy: w.accuracy }));
    };
    const summary = await session.trainStream(this.nextSamples(samples), {
      onResult: (r: TrainResult) => {
        this.counts.trained++;
        window.add(r);
        if (r.drift) pending.push(this.publishRecord('drift', { round, sample: r.index, step: r.step ?? session.step }));
        if (window.size >= every) flush();
      },
    });
    if (window.size > 0) flush();
    pending.push(this.publishRecord('link', { ...session.linkRecord(), type: undefined }));
    await Promise.all(pending);
    this.emit('trained', round, summary.trained);
    const checkpoint = await session.getCheckpoint();
    const chunks = encodeChunks(checkpoint.weights, { round, samples: summary.trained, crc: checkpoint.crc }, this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const weightsTopic = topic(this.options.fleet, this.name, 'weights');
    for (let i = 0; i < chunks.length; i++) {
      if (this.stopped) return;
      await publish(this.client, weightsTopic, chunks[i]!);
      this.counts.weightBytes += chunks[i]!.length;
      this.emit('chunk', i, chunks.length, round);
    }
  }

  private async applyAverage(model: Assembled): Promise<void> {
    const session = this.options.session;
    let weights = model.weights;
    const own = session.config ? weightBytes(session.config) : weights.length;
    if (weights.length > own)
      throw new TypeError(`the average of round ${model.round} has ${weights.length} bytes, this device's model ${own}: the coordinator runs another model`);
    // Lower layers only: the average goes over this device's own (personal) top layers.
    if (weights.length < own) weights = withPersonalLayers(weights, (await session.getCheckpoint()).weights);
    await session.putCheckpoint(weights);
    this.emit('applied', model.round);
    const test = this.options.test;
    if (test && test.indices.length > 0) {
      const samples = Array.from({ length: test.indices.length }, (_, k) => sampleAt(test.data, test.indices[k]!));
      const e = await session.evaluate(samples, { log: false });
      await this.publishRecord('eval', { round: model.round, scope: 'average', step: e.step, accuracy: e.accuracy, n: e.n });
    }
  }

  /** Waits for the session work queued so far. */
  async idle(): Promise<void> {
    await this.work;
  }

  /** A clean stop: retained offline status, DISCONNECT (no last will), session closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.idle();
    this.stopped = true;
    const offline: StatusPayload = { t: Date.now(), device: this.name, state: 'offline', reason: 'closed' };
    try {
      await publish(this.client, topic(this.options.fleet, this.name, 'status'), encodeJson(offline), true);
      await this.client.endAsync();
    } catch {
      /* broker already gone: nothing more to tell it */
    }
    await this.options.session.close();
    this.finishedResolve();
  }

  /** Dies as a crashed process would: the connection drops (the broker sends the last will), the device goes away. */
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    dropConnection(this.client);
    void this.options.session.close().catch(() => undefined);
    this.finishedResolve();
  }
}
