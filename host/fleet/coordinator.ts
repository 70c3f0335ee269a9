// The coordinator of a fleet: runs federated-averaging rounds over MQTT
// (McMahan et al. 2017, Algorithm 1, with every online device taking part).
//
//   1. wait until `minDevices` devices are online (retained `status`)
//   2. round r: publish (retained) who takes part and how many samples each trains
//   3. collect each participant's weights (chunks.ts: complete and CRC-checked,
//      or not at all); a participant whose status turns offline (its last will)
//      or that is not done by the round timeout is left out of this round
//   4. average the delivered weights by samples trained (fedavg.ts), publish the
//      average to everyone, evaluate it, publish `eval` and a `summary`
//   5. a device that comes (back) online is sent the current average on its own
//      `model` topic and takes part from the next round
// With `average: false` the rounds only pace the devices (the local-only baseline).
//
// Non-goals: choosing a fraction C of the clients per round, asynchronous FL.

import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { BrokerError, connectClient, publish } from './broker.js';
import { ChunkAssembler, ChunkError, DEFAULT_CHUNK_BYTES, encodeChunks } from './chunks.js';
import { averageLabelInputsOverHolders, federatedAverage, withServerMomentum, type Contribution, type LabelInputs } from './fedavg.js';
import { COORDINATOR, decodeJson, encodeJson, parseTopic, topic, type RoundPayload, type StatusPayload, type SummaryPayload } from './topics.js';

export interface CoordinatorOptions {
  fleet: string;
  brokerUrl: string;
  rounds: number;
  /** Samples each device trains per round. */
  roundSamples: number;
  /** Bytes of the blob averaged (fedavg.ts sharedBytes); devices keep the rest. */
  sharedBytes: number;
  /** Bytes of a device's whole weights blob (a different size is refused). */
  weightBytes: number;
  average?: boolean;
  minDevices?: number;
  /** Wait this long for minDevices to come online (default 60 s). */
  waitDevicesMs?: number;
  /** A round not finished after this long goes on without the missing devices (default 600 s). */
  roundTimeoutMs?: number;
  chunkBytes?: number;
  /** Average each label-overlay column of W_0 over the devices holding that class (fedavg.ts); none: plain average. */
  labelInputs?: LabelInputs | null;
  /** FedAvgM server momentum beta in [0, 1) (fedavg.ts); default 0, plain FedAvg. */
  serverMomentum?: number;
  /** Accuracy of the averaged weights (e.g. on a virtual device); none: not evaluated. */
  evaluate?: (weights: Uint8Array, round: number) => Promise<{ accuracy: number; n: number }>;
}

export interface RoundResult extends SummaryPayload {
  accuracy: number | null;
}

export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
}

/** Events: 'round' (RoundPayload), 'summary' (RoundResult), 'rejoin' (device, round), 'warning' (text). */
export class Coordinator extends EventEmitter {
  readonly online = new Map<string, StatusPayload>();
  readonly results: RoundResult[] = [];
  private seq = 0;
  private readonly instance = `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private current: { round: number; weights: Uint8Array } | null = null;
  private readonly assembler = new ChunkAssembler();
  private collecting: {
    round: number;
    waiting: Set<string>;
    delivered: Map<string, Contribution>;
    excluded: Map<string, string>;
    bytesIn: number;
    wake: () => void;
  } | null = null;
  private statusWaiters: (() => void)[] = [];
  private velocity: Float64Array | null = null;

  private constructor(
    private readonly options: CoordinatorOptions,
    private readonly client: MqttClient,
  ) {
    super();
  }

  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new TypeError(`rounds must be a positive integer, got ${options.rounds}`);
    if (!Number.isInteger(options.roundSamples) || options.roundSamples < 1)
      throw new TypeError(`roundSamples must be a positive integer, got ${options.roundSamples}`);
    const { fleet } = options;
    const will: StatusPayload = { t: Date.now(), device: COORDINATOR, state: 'offline', reason: 'last-will' };
    const client = await connectClient(options.brokerUrl, {
      clientId: `ffedge-${fleet}-coordinator-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      will: { topic: topic(fleet, COORDINATOR, 'status'), payload: encodeJson(will) },
    });
    const c = new Coordinator(options, client);
    client.on('message', (t, payload) => c.onMessage(t, payload));
    await client.subscribeAsync([`ffedge/${fleet}/+/status`, `ffedge/${fleet}/+/weights`], { qos: 1 });
    await publish(client, topic(fleet, COORDINATOR, 'status'), encodeJson({ t: Date.now(), device: COORDINATOR, state: 'online' }), true);
    return c;
  }

  private onMessage(t: string, payload: Buffer): void {
    const parsed = parseTopic(t);
    if (!parsed || parsed.device === COORDINATOR) return;
    const { device, kind } = parsed;
    if (kind === 'status') {
      const status = decodeJson(payload) as StatusPayload | null;
      if (!status) return;
      const was = this.online.has(device);
      if (status.state === 'online') {
        this.online.set(device, status);
        if (!was && this.current) void this.sendCurrent(device);
      } else {
        this.online.delete(device);
        this.assembler.drop(device);
        this.exclude(device, status.reason === 'last-will' ? 'went offline mid-round (last will)' : 'left the fleet mid-round');
      }
      for (const w of this.statusWaiters.splice(0)) w();
      return;
    }
    if (kind === 'weights') {
      const round = this.collecting;
      if (!round || !round.waiting.has(device)) return; // not in this round, or already done / left out
      round.bytesIn += payload.length;
      try {
        const blob = this.assembler.add(device, payload);
        if (!blob || blob.round !== round.round) return;
        if (blob.weights.length !== this.options.weightBytes) {
          this.exclude(device, `sent ${blob.weights.length} bytes of weights, the fleet's model has ${this.options.weightBytes}: another model`);
          return;
        }
        round.waiting.delete(device);
        const classes = this.online.get(device)?.classes;
        round.delivered.set(device, { device, weights: blob.weights, samples: blob.samples, ...(classes ? { classes } : {}) });
        round.wake();
      } catch (err) {
        if (err instanceof ChunkError) this.exclude(device, err.message);
        else throw err;
      }
    }
  }

  private exclude(device: string, reason: string): void {
    const round = this.collecting;
    if (!round || !round.waiting.has(device)) return;
    round.waiting.delete(device);
    round.excluded.set(device, reason);
    this.emit('warning', `round ${round.round}: ${device} left out: ${reason}`);
    round.wake();
  }

  private async sendCurrent(device: string): Promise<void> {
    const current = this.current!;
    try {
      for (const chunk of encodeChunks(current.weights, { round: current.round, samples: 0 }, this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES)) {
        await publish(this.client, topic(this.options.fleet, device, 'model'), chunk);
      }
      this.emit('rejoin', device, current.round);
    } catch (err) {
      this.emit('warning', `could not send the current average to ${device}: ${(err as Error).message}`);
    }
  }

  private async waitForDevices(): Promise<void> {
    const want = this.options.minDevices ?? 1;
    const until = Date.now() + (this.options.waitDevicesMs ?? 60_000);
    while (this.online.size < want) {
      const left = until - Date.now();
      if (left <= 0) {
        throw new CoordinatorError(
          `only ${this.online.size} of ${want} devices came online in fleet ${this.options.fleet} within ${this.options.waitDevicesMs ?? 60_000} ms: start them with ffedge fleet --join URL --fleet ${this.options.fleet}, or lower --min-devices`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.statusWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async publishJson(kind: 'round' | 'eval' | 'summary', body: object, retain = false): Promise<void> {
    await publish(
      this.client,
      topic(this.options.fleet, COORDINATOR, kind),
      encodeJson({ t: Date.now(), seq: ++this.seq, instance: this.instance, ...body }),
      retain,
    );
  }

  /** Runs every round; resolves with one result per round. */
  async run(): Promise<RoundResult[]> {
    const o = this.options;
    await this.waitForDevices();
    for (let r = 1; r <= o.rounds; r++) {
      const participants = [...this.online.keys()].sort();
      if (participants.length === 0) throw new CoordinatorError(`round ${r}: no device is online in fleet ${o.fleet}`);
      const started = performance.now();
      let wake = (): void => undefined;
      const state = {
        round: r,
        waiting: new Set(participants),
        delivered: new Map<string, Contribution>(),
        excluded: new Map<string, string>(),
        bytesIn: 0,
        wake: () => wake(),
      };
      this.collecting = state;
      const round: Omit<RoundPayload, 't' | 'seq'> = { round: r, state: 'training', samples: o.roundSamples, participants, sharedBytes: o.sharedBytes };
      this.emit('round', round);
      await this.publishJson('round', round, true);
      const deadline = Date.now() + (o.roundTimeoutMs ?? 600_000);
      while (state.waiting.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          for (const d of [...state.waiting]) {
            this.assembler.drop(d);
            this.exclude(d, `not done within the round timeout (${o.roundTimeoutMs ?? 600_000} ms)`);
          }
          break;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.collecting = null;
      const contributions = [...state.delivered.values()];
      let bytesOut = 0;
      let accuracy: number | null = null;
      if (o.average !== false && contributions.length > 0) {
        let average = federatedAverage(contributions, o.sharedBytes);
        if (o.labelInputs) averageLabelInputsOverHolders(average, contributions, o.labelInputs);
        const beta = o.serverMomentum ?? 0;
        if (beta > 0 && this.current && this.current.weights.length === average.length) {
          this.velocity ??= new Float64Array(average.length / Float32Array.BYTES_PER_ELEMENT);
          average = withServerMomentum(this.current.weights, average, this.velocity, beta);
        }
        this.current = { round: r, weights: average };
        for (const chunk of encodeChunks(average, { round: r, samples: 0 }, o.chunkBytes ?? DEFAULT_CHUNK_BYTES)) {
          await publish(this.client, topic(o.fleet, COORDINATOR, 'model'), chunk);
          bytesOut += chunk.length;
        }
        if (o.evaluate && average.length === o.weightBytes) {
          const e = await o.evaluate(average, r);
          accuracy = e.accuracy;
          await this.publishJson('eval', { round: r, accuracy: e.accuracy, n: e.n });
        }
      }
      const summary: Omit<SummaryPayload, 't' | 'seq'> = {
        round: r,
        averaged: contributions.map((c) => c.device).sort(),
        excluded: [...state.excluded].map(([device, reason]) => ({ device, reason })),
        samples: contributions.reduce((s, c) => s + c.samples, 0),
        bytesIn: state.bytesIn,
        bytesOut,
        seconds: (performance.now() - started) / 1000,
      };
      await this.publishJson('summary', summary);
      const result: RoundResult = { t: Date.now(), seq: this.seq, ...summary, accuracy };
      this.results.push(result);
      this.emit('summary', result);
    }
    await this.publishJson('round', { round: o.rounds, state: 'done', samples: 0, participants: [], sharedBytes: o.sharedBytes }, true);
    return this.results;
  }

  /** The average of the latest round, if any. */
  get average(): { round: number; weights: Uint8Array } | null {
    return this.current;
  }

  async stop(): Promise<void> {
    try {
      await publish(
        this.client,
        topic(this.options.fleet, COORDINATOR, 'status'),
        encodeJson({ t: Date.now(), device: COORDINATOR, state: 'offline', reason: 'closed' }),
        true,
      );
      await this.client.endAsync();
    } catch (err) {
      if (!(err instanceof BrokerError)) {
        /* broker gone: nothing more to say */
      }
    }
  }
}
