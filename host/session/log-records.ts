// What the session writes to its log (host/logs/records.ts): a `meta` record
// per configure, a `train` record per trained sample (timestamp, sample seq,
// device step, per-layer goodness; step and layers null when its reply was
// lost), an `eval` record per evaluation, a `link` record of the link's
// counters and an `end` record closing a run. Building only; session.ts appends.

import type { EndRecord, EvalRecord, LayerGoodness, LinkRecord, LostReplyTrainRecord, MetaRecord, TrainRecord } from '../logs/records.js';
import type { GoodnessLayer } from '../protocol/index.js';
import type { DeviceInfo, EvalResult, LinkStats, TrainResult } from './types.js';

/** One GOODNESS layer record (docs/protocol.md §5.8) as a log layer. */
export function layerRecord(layer: GoodnessLayer): LayerGoodness {
  const record: LayerGoodness & { peer?: number } = {
    gpos: layer.goodnessPositive,
    gneg: layer.goodnessNegative,
    loss: layer.loss,
    active: layer.activeFraction,
    hoyer: layer.hoyer,
  };
  // Field 5 (protocol "extra" 0) of this device is the peer-normalisation penalty.
  if (layer.extra && layer.extra.length > 0) record.peer = layer.extra[0]!;
  return record;
}

export function metaRecord(config: Record<string, unknown>, device: DeviceInfo, transport: string, arenaUsed: number | null): MetaRecord {
  return { type: 'meta', t: Date.now(), config, device: { ...device, transport }, arenaUsed };
}

/** The `train` record of a trained sample; without step and layers when its GOODNESS reply was lost. */
export function trainRecord(result: TrainResult): TrainRecord | LostReplyTrainRecord {
  if (!result.layers) {
    return { type: 'train', t: Date.now(), seq: result.seq, step: null, label: result.label, layers: null, replyLost: true, sample: result.index };
  }
  const record: TrainRecord = {
    type: 'train',
    t: Date.now(),
    seq: result.seq,
    step: result.step!,
    label: result.label,
    layers: result.layers.map(layerRecord),
    sample: result.index,
  };
  if (result.prediction !== null) record.predicted = result.prediction;
  return record;
}

/** The record closing a run: `error` stopped it, or (undefined) it ended as `reason` says. */
export function endRecord(trained: number, inDoubt: number, error?: Error, reason = 'completed'): EndRecord {
  return {
    type: 'end',
    t: Date.now(),
    ok: error === undefined,
    reason: error ? `${error.name}: ${error.message}` : reason,
    trained,
    inDoubt,
  };
}

export function evalRecord(result: EvalResult): EvalRecord {
  return {
    type: 'eval',
    t: Date.now(),
    step: result.step,
    accuracy: result.accuracy,
    n: result.n,
    perClass: result.perClass,
    mode: result.mode,
  };
}

/** The link counters as a `link` record (cumulative since connect). */
export function linkRecord(s: LinkStats): LinkRecord {
  const d = s.device ?? { badCrc: 0, malformed: 0, tooLarge: 0 };
  return {
    type: 'link',
    t: Date.now(),
    framesDropped: s.host.badCrc + s.host.malformed + s.host.tooLarge + d.badCrc + d.malformed + d.tooLarge,
    crcErrors: s.host.badCrc + d.badCrc,
    retransmits: s.retransmits,
    duplicates: s.duplicates,
  };
}

/** A `link` record with the details the log keeps beside it: lost replies and drops by side and cause. */
export function linkLogRecord(record: LinkRecord, s: LinkStats): LinkRecord {
  return { ...record, repliesLost: s.repliesLost, hostDropped: s.host, deviceDropped: s.device };
}
