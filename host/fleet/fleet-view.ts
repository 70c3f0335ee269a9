// What a subscriber knows of a fleet from its MQTT messages alone: every
// device's online state, latest goodness and accuracy, the averaged model's
// accuracy per round, and delivery counts (records received per sender, and
// gaps in their `seq`: a record the broker acknowledged but this subscriber
// never got). The live page, the progress lines and the benchmark read it.
//
// Non-goals: history beyond the accuracy curve (the JSONL logs keep that).

import type { MqttClient } from 'mqtt';
import { connectClient } from './broker.js';
import { COORDINATOR, decodeJson, fleetFilter, parseTopic, type LayerMeans } from './topics.js';

export interface DeviceView {
  device: string;
  online: boolean;
  /** Why it went offline (last-will, closed). */
  reason: string | null;
  transport: string | null;
  host: string | null;
  trained: number;
  round: number;
  layers: LayerMeans[];
  /** Latest accuracy of the device's model (after the last average it applied). */
  accuracy: number | null;
  drifts: number;
  retransmits: number;
  /** JSON records received (repeats not counted), missing seqs so far, repeats. */
  received: number;
  missing: number;
  repeats: number;
}

export interface FleetViewState {
  fleet: string;
  devices: DeviceView[];
  coordinator: { online: boolean; round: number; state: string; participants: string[] };
  /** Averaged-model accuracy per round. */
  averaged: { round: number; accuracy: number; n: number }[];
  rounds: { round: number; averaged: string[]; excluded: { device: string; reason: string }[]; bytesIn: number; bytesOut: number; seconds: number }[];
  undecodable: number;
}

const WATCHED = ['status', 'train', 'eval', 'link', 'drift', 'round', 'summary'];

interface SeqTrack {
  seen: Set<number>;
  max: number;
  repeats: number;
}

export class FleetView {
  private readonly devices = new Map<string, DeviceView>();
  /** Per sender, per instance (a process incarnation: its `instance` field), the seqs seen. */
  private readonly seqs = new Map<string, Map<string, SeqTrack>>();
  private readonly state: FleetViewState;

  constructor(readonly fleet: string) {
    this.state = { fleet, devices: [], coordinator: { online: false, round: 0, state: 'waiting', participants: [] }, averaged: [], rounds: [], undecodable: 0 };
  }

  private device(name: string): DeviceView {
    let d = this.devices.get(name);
    if (!d) {
      d = {
        device: name,
        online: false,
        reason: null,
        transport: null,
        host: null,
        trained: 0,
        round: 0,
        layers: [],
        accuracy: null,
        drifts: 0,
        retransmits: 0,
        received: 0,
        missing: 0,
        repeats: 0,
      };
      this.devices.set(name, d);
    }
    return d;
  }

  /**
   * Counts a record's seq within its sender's instance (a restarted device
   * counts from 1 again under a new instance); returns false for a repeat
   * (QoS 1 may deliver twice).
   */
  private count(sender: string, seq: unknown, instance: unknown): boolean {
    if (typeof seq !== 'number') return true;
    let instances = this.seqs.get(sender);
    if (!instances) this.seqs.set(sender, (instances = new Map()));
    const key = typeof instance === 'string' ? instance : '';
    let s = instances.get(key);
    if (!s) instances.set(key, (s = { seen: new Set(), max: 0, repeats: 0 }));
    if (s.seen.has(seq)) {
      s.repeats++;
      return false;
    }
    s.seen.add(seq);
    s.max = Math.max(s.max, seq);
    return true;
  }

  /**
   * Records received from a sender (distinct (instance, seq) pairs), the
   * highest seq seen in any of its instances, how many below each instance's
   * highest never arrived, repeats, and how many instances it had.
   */
  delivery(sender: string): { received: number; highest: number; missing: number; repeats: number; instances: number } {
    const out = { received: 0, highest: 0, missing: 0, repeats: 0, instances: 0 };
    for (const s of this.seqs.get(sender)?.values() ?? []) {
      out.received += s.seen.size;
      out.highest = Math.max(out.highest, s.max);
      out.missing += s.max - s.seen.size;
      out.repeats += s.repeats;
      out.instances++;
    }
    return out;
  }

  apply(topicName: string, payload: Uint8Array): void {
    const parsed = parseTopic(topicName);
    if (!parsed || parsed.fleet !== this.fleet || parsed.kind === 'weights' || parsed.kind === 'model') return;
    const body = decodeJson(payload);
    if (!body) {
      this.state.undecodable++;
      return;
    }
    if (parsed.device === COORDINATOR) {
      const c = this.state.coordinator;
      if (parsed.kind === 'status') c.online = body.state === 'online';
      if (parsed.kind === 'round') {
        c.round = Number(body.round);
        c.state = String(body.state);
        c.participants = (body.participants as string[]) ?? [];
      }
      if (!this.count(COORDINATOR, body.seq, body.instance)) return;
      if (parsed.kind === 'eval') this.state.averaged.push({ round: Number(body.round), accuracy: Number(body.accuracy), n: Number(body.n) });
      if (parsed.kind === 'summary') {
        this.state.rounds.push({
          round: Number(body.round),
          averaged: body.averaged as string[],
          excluded: body.excluded as { device: string; reason: string }[],
          bytesIn: Number(body.bytesIn),
          bytesOut: Number(body.bytesOut),
          seconds: Number(body.seconds),
        });
      }
      return;
    }
    const d = this.device(parsed.device);
    if (parsed.kind === 'status') {
      d.online = body.state === 'online';
      d.reason = d.online ? null : String(body.reason ?? 'offline');
      if (d.online) {
        d.transport = (body.transport as string) ?? null;
        d.host = (body.host as string) ?? null;
      }
      return;
    }
    if (!this.count(parsed.device, body.seq, body.instance)) {
      d.repeats++;
      return;
    }
    d.received++;
    d.missing = this.delivery(parsed.device).missing;
    switch (parsed.kind) {
      case 'train':
        d.trained = Number(body.trained);
        d.round = Number(body.round);
        d.layers = body.layers as LayerMeans[];
        break;
      case 'eval':
        d.accuracy = Number(body.accuracy);
        break;
      case 'drift':
        d.drifts++;
        break;
      case 'link':
        d.retransmits = Number(body.retransmits);
        break;
    }
  }

  snapshot(): FleetViewState {
    return { ...this.state, devices: [...this.devices.values()].sort((a, b) => a.device.localeCompare(b.device, 'en', { numeric: true })) };
  }
}

/** A FleetView fed by its own MQTT subscription to every topic of the fleet. */
export async function watchFleet(brokerUrl: string, fleet: string): Promise<{ view: FleetView; client: MqttClient; close(): Promise<void> }> {
  const view = new FleetView(fleet);
  const client = await connectClient(brokerUrl, { clientId: `ffedge-${fleet}-watch-${process.pid}-${Math.random().toString(36).slice(2, 8)}` });
  client.on('message', (t, payload) => view.apply(t, payload));
  // Records and status only: the weights chunks are the coordinator's business.
  await client.subscribeAsync(
    WATCHED.map((k) => `${fleetFilter(fleet).slice(0, -1)}+/${k}`),
    { qos: 1 },
  );
  return {
    view,
    client,
    close: async () => {
      await client.endAsync();
    },
  };
}
