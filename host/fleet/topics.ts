// MQTT topics and payloads of a fleet: `ffedge/<fleet>/<device>/<kind>`, every
// message at QoS 1. Records are JSON; weights travel as binary chunks
// (chunks.ts). The coordinator speaks as the reserved device `_coordinator`.
//
//   ffedge/F/D/status   retained {state: online|offline, ...}; the offline one is D's MQTT last will
//   ffedge/F/D/train    goodness averaged over the last N trained samples
//   ffedge/F/D/eval     accuracy of D's model on its held-out samples (after an average: scope "average")
//   ffedge/F/D/link     the session's link counters (host/logs/records.ts LinkRecord)
//   ffedge/F/D/drift    a drift alarm the device raised (TrainResult.drift)
//   ffedge/F/D/weights  D's checkpoint for a round, in chunks (device -> coordinator)
//   ffedge/F/D/model    the current average, in chunks, sent to D alone when it (re)joins
//   ffedge/F/_coordinator/round    retained: the round in progress (or done)
//   ffedge/F/_coordinator/model    the average of a round, in chunks, to everyone
//   ffedge/F/_coordinator/eval     the averaged model's accuracy on the test set
//   ffedge/F/_coordinator/summary  who was averaged, who was left out and why, bytes moved
//
// Every JSON record carries `seq` and `instance` (the sender's incarnation), `seq` counting the records that instance published
// (1, 2, ...), so a subscriber can count what it missed (QoS 1 may repeat,
// never lose, a message the broker acknowledged).
//
// Non-goals: MQTT 5 properties, wildcards in names (a name is one topic level).

export const TOPIC_ROOT = 'ffedge';
export const COORDINATOR = '_coordinator';
export const QOS = 1 as const;

export const DEVICE_KINDS = ['status', 'train', 'eval', 'link', 'drift', 'weights', 'model'] as const;
export const COORDINATOR_KINDS = ['status', 'round', 'model', 'eval', 'summary'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type CoordinatorKind = (typeof COORDINATOR_KINDS)[number];
export type TopicKind = DeviceKind | CoordinatorKind;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws a TypeError saying what a fleet or device name may hold. */
export function checkName(what: 'fleet' | 'device', name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(
      `${what} name ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it is one MQTT topic level)`,
    );
  }
  return name;
}

export function topic(fleet: string, device: string, kind: TopicKind): string {
  checkName('fleet', fleet);
  if (device !== COORDINATOR) checkName('device', device);
  if (device === COORDINATOR ? !COORDINATOR_KINDS.includes(kind as CoordinatorKind) : !DEVICE_KINDS.includes(kind as DeviceKind)) {
    throw new TypeError(`${kind} is not a topic kind of ${device === COORDINATOR ? 'the coordinator' : 'a device'}`);
  }
  return `${TOPIC_ROOT}/${fleet}/${device}/${kind}`;
}

/** Every topic of one fleet (to subscribe to). */
export function fleetFilter(fleet: string): string {
  return `${TOPIC_ROOT}/${checkName('fleet', fleet)}/#`;
}

export interface ParsedTopic {
  fleet: string;
  device: string;
  kind: TopicKind;
}

/** The parts of a fleet topic, or null for a topic that is not one. */
export function parseTopic(text: string): ParsedTopic | null {
  const parts = text.split('/');
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT) return null;
  const [, fleet, device, kind] = parts as [string, string, string, string];
  if (!NAME.test(fleet)) return null;
  if (device === COORDINATOR) {
    return COORDINATOR_KINDS.includes(kind as CoordinatorKind) ? { fleet, device, kind: kind as TopicKind } : null;
  }
  if (!NAME.test(device) || !DEVICE_KINDS.includes(kind as DeviceKind)) return null;
  return { fleet, device, kind: kind as TopicKind };
}

// ---- payloads --------------------------------------------------------------

export interface StatusPayload {
  t: number;
  device: string;
  state: 'online' | 'offline';
  /** offline: "last-will" (the broker published it for a vanished client) or "closed" (a clean stop). */
  reason?: string;
  /** online: the link ("virtual device (ff-device.wasm, pid 12)", "/dev/ttyACM0") and the host name. */
  transport?: string;
  host?: string;
  /** online: the device's HELLO runtime and the bytes of its weights. */
  runtime?: string;
  weightBytes?: number;
  /** online: the training samples this device holds (its part of the split) and their classes. */
  samples?: number;
  classes?: number[];
}

export interface LayerMeans {
  gpos: number | null;
  gneg: number | null;
  loss: number | null;
}

export interface TrainPayload {
  t: number;
  seq: number;
  /** The sender's incarnation (a restarted process has a new one and counts seq from 1). */
  instance?: string;
  device: string;
  round: number;
  /** Samples this record averages over. */
  n: number;
  /** Samples the device trained so far in this run. */
  trained: number;
  step: number;
  /** Mean goodness of the positive / negative pass and loss, per layer, over the n samples. */
  layers: LayerMeans[];
  /** Prequential accuracy over the n samples when the device predicted before training, else null. */
  accuracy: number | null;
}

export interface EvalPayload {
  t: number;
  seq: number;
  /** The sender's incarnation (a restarted process has a new one and counts seq from 1). */
  instance?: string;
  device: string;
  round: number;
  /** "local": the device's own model; "average": the model after applying the round's average. */
  scope: 'local' | 'average';
  step: number;
  accuracy: number;
  n: number;
}

export interface LinkPayload {
  t: number;
  seq: number;
  /** The sender's incarnation (a restarted process has a new one and counts seq from 1). */
  instance?: string;
  device: string;
  framesDropped: number;
  crcErrors: number;
  retransmits: number;
  duplicates: number;
  repliesLost?: number;
}

export interface DriftPayload {
  t: number;
  seq: number;
  /** The sender's incarnation (a restarted process has a new one and counts seq from 1). */
  instance?: string;
  device: string;
  round: number;
  /** Index of the sample (in this device's run) at which the alarm rose. */
  sample: number;
  step: number;
}

export interface RoundPayload {
  t: number;
  seq: number;
  round: number;
  state: 'training' | 'done';
  /** Samples each participant trains this round before sending its weights. */
  samples: number;
  /** Devices in this round (online when it started); others wait for the next. */
  participants: string[];
  /** Bytes of the weights blob averaged: all of it, or the lower layers' prefix. */
  sharedBytes: number;
}

export interface CoordinatorEvalPayload {
  t: number;
  seq: number;
  round: number;
  accuracy: number;
  n: number;
}

export interface SummaryPayload {
  t: number;
  seq: number;
  round: number;
  averaged: string[];
  /** Devices of the round left out, and why (offline mid-round, timeout, bad CRC, wrong size). */
  excluded: { device: string; reason: string }[];
  /** Samples behind the average (sum over the averaged devices). */
  samples: number;
  /** Weight bytes received from devices / sent as the average, this round (payloads, chunk headers included). */
  bytesIn: number;
  bytesOut: number;
  seconds: number;
}

export type RecordKind = 'train' | 'eval' | 'link' | 'drift';

export function encodeJson(payload: object): Buffer {
  return Buffer.from(JSON.stringify(payload));
}

/** A JSON payload as an object, or null when it is not one (a subscriber skips it and counts it). */
export function decodeJson(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
