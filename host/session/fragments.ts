// Samples in parts on a noisy link (docs/protocol.md §5.3a). At 0.5% damaged
// bytes an 800-byte SAMPLE frame arrives whole ~2% of the time, so re-sending
// whole frames cannot keep up; SAMPLE_PART / INFER_PART carry a slice each,
// as ordinary sequenced requests (the link's window, ACKs, go-back-N and reply
// cache make each part exactly-once, so the sample is too).
//
//   PartSizer  estimates the link's per-byte damage toward the device from the
//              device's own frame counters (PONG: frames ok vs. failed CRC or
//              COBS) and the frames' mean length, and picks the values per
//              part that minimise the expected time per value delivered.
//              A clean link (no damaged frame seen) keeps whole frames.
//   splitSample  one SAMPLE / INFER into its parts.
//
// Non-goals: damage toward the host (part size does not change the replies),
// timing of retransmissions (link.ts).

import { ENCODING_WIDTH, type RequestMessage, type SampleEncoding } from '../protocol/index.js';
import type { FragmentMode, FragmentStats, LinkStats } from './types.js';

/** Wire bytes of a part besides its values: fixed fields 12, header 4, CRC 4, COBS ~1, delimiter 1. */
const PART_OVERHEAD = 22;
/** Wire bytes of a PING frame (the probes the device also counts). */
const PING_BYTES = 10;
/**
 * Per-frame cost besides its bytes (both ends' per-frame work, the reply), in
 * byte-equivalents: why a clean link keeps whole frames. Measured on the
 * virtual device over a pty (host/bench/fragments.ts): a clean run of 16-value
 * parts takes about as long per frame as ~200 more bytes would.
 */
const FRAME_COST = 200;
/** Frames one loss costs besides itself under go-back-N: those in flight behind it (about half a window of 8). */
const GO_BACK = 4;
/** Device frames (ok + damaged) an estimate needs before it counts. */
const MIN_FRAMES = 16;
/** Weight of the newest window in the damage estimate (EWMA). */
const ALPHA = 0.5;
/** Split only when the model expects at least this speed-up (no flapping near the break-even point). */
const MIN_GAIN = 1.25;
/**
 * Damage assumed before the first estimate: the first samples go in parts of
 * ~32 f32 values. A whole 800-byte frame sent first onto a 1% link would
 * almost never arrive (0.99^800 = 0.03%), and a request once numbered cannot
 * be split any more; on a clean link the estimate turns to whole frames after
 * MIN_FRAMES frames.
 */
const START_DAMAGE = 0.002;

/**
 * Wire bytes of a SAMPLE-layout request of `values` values of `width` bytes, at
 * most: header, fixed fields, values and CRC, COBS's 1 + 1 per 254 zero-free
 * bytes (fewer when the data has zeros), the 0x00.
 */
export function sampleWireBytes(values: number, width: number): number {
  const body = 4 + 12 + values * width + 4;
  return body + 1 + Math.floor(body / 254) + 1;
}

/** Expected time per delivered value (byte-equivalents) of parts of `values` values of `width` bytes. */
export function costPerValue(values: number, width: number, byteDamage: number): number {
  const bytes = values * width + PART_OVERHEAD;
  const arrive = Math.max(1e-6, (1 - byteDamage) ** bytes);
  const loss = 1 - arrive;
  const sends = (1 + GO_BACK * loss) / arrive; // go-back-N: a loss re-sends it and those behind it
  return (sends * (bytes + FRAME_COST)) / values;
}

/** Values per part (< total) that minimise costPerValue, or 0 for whole frames. */
export function bestPartValues(total: number, width: number, byteDamage: number): number {
  if (!(byteDamage > 0) || total < 2) return 0;
  let best = 0;
  let bestCost = costPerValue(total, width, byteDamage) / MIN_GAIN;
  for (let parts = 2; parts <= total; parts++) {
    const values = Math.ceil(total / parts);
    if (values * (parts - 1) >= total) continue; // same size as fewer parts
    const cost = costPerValue(values, width, byteDamage);
    if (cost < bestCost) {
      bestCost = cost;
      best = values;
    }
    if (values === 1) break;
  }
  return best;
}

export class PartSizer {
  private readonly mode: FragmentMode;
  /** Estimated per-byte damage toward the device; undefined before the first estimate. */
  private damage: number | undefined;
  private lastOk = 0;
  private lastBad = 0;
  private lastPings = 0;
  private lastRetransmits = 0;
  /** Requests and their wire bytes sent since the last estimate. */
  private frames = 0;
  private bytes = 0;
  readonly stats: FragmentStats = { samplesSplit: 0, partsSent: 0, valuesPerPart: 0, byteDamage: 0 };

  constructor(mode: FragmentMode = 'auto') {
    if (mode !== 'auto' && mode !== 'off' && !(Number.isInteger(mode) && mode >= 1 && mode <= 0xffff)) {
      throw new TypeError(`options.fragments must be 'auto', 'off' or a number of values per part (1..65535), got ${JSON.stringify(mode)}`);
    }
    this.mode = mode;
  }

  /** Counts a request frame of `wireBytes` sent to the device (for the mean frame length). */
  sent(wireBytes: number): void {
    this.frames++;
    this.bytes += wireBytes;
  }

  /**
   * Updates the damage estimate from the link's counters once MIN_FRAMES
   * requests went out since the last update. Of the frames the device saw
   * since then (its PONG counters), the fraction f failed; with mean length
   * L, a byte is damaged with probability 1 - (1 - f)^(1/L). No PONG since
   * (a clean link sends no probes) and nothing re-sent: no damage.
   */
  observe(link: LinkStats): void {
    if (this.frames < MIN_FRAMES) return;
    const d = link.device ?? { framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 };
    const bad = d.badCrc + d.malformed + d.tooLarge;
    const ok = d.framesOk;
    const seen = ok - this.lastOk + (bad - this.lastBad);
    let windowDamage: number;
    if (seen >= MIN_FRAMES) {
      const pings = link.pingsSent - this.lastPings;
      const meanLength = (this.bytes + pings * PING_BYTES) / (this.frames + pings);
      const failed = Math.min((bad - this.lastBad) / seen, 1 - 1 / (seen + 1));
      windowDamage = 1 - (1 - failed) ** (1 / meanLength);
      this.lastOk = ok;
      this.lastBad = bad;
    } else if (link.retransmits === this.lastRetransmits) {
      windowDamage = 0;
    } else {
      return; // losses, but no PONG yet to count them: wait for the probes'
    }
    this.damage = this.damage === undefined ? windowDamage : ALPHA * windowDamage + (1 - ALPHA) * this.damage;
    this.stats.byteDamage = this.damage;
    this.lastPings = link.pingsSent;
    this.lastRetransmits = link.retransmits;
    this.frames = 0;
    this.bytes = 0;
  }

  /** Values per part for a sample of `total` values (0: send it whole). */
  valuesPerPart(total: number, encoding: SampleEncoding): number {
    const values =
      this.mode === 'off'
        ? 0
        : this.mode === 'auto'
          ? bestPartValues(total, ENCODING_WIDTH[encoding], this.damage ?? START_DAMAGE)
          : this.mode < total
            ? this.mode
            : 0;
    this.stats.valuesPerPart = values;
    return values;
  }
}

export type WholeSample = Extract<RequestMessage, { type: 'SAMPLE' | 'INFER' }>;
type Part = Extract<RequestMessage, { type: 'SAMPLE_PART' | 'INFER_PART' }>;

/** A SAMPLE (INFER) as SAMPLE_PARTs (INFER_PARTs) of `valuesPerPart` values, the last one shorter. */
export function splitSample(message: WholeSample, valuesPerPart: number): Part[] {
  const total = message.values.length;
  const type = message.type === 'SAMPLE' ? 'SAMPLE_PART' : 'INFER_PART';
  const values = message.values;
  const slice = (from: number, to: number): ArrayLike<number> =>
    ArrayBuffer.isView(values)
      ? (values as Float32Array | Int8Array | Int16Array).subarray(from, to)
      : (Array.prototype.slice.call(values, from, to) as number[]);
  const parts: Part[] = [];
  for (let first = 0; first < total; first += valuesPerPart) {
    parts.push({
      type,
      kind: message.kind,
      label: message.label,
      encoding: message.encoding,
      ...(message.scale !== undefined ? { scale: message.scale } : {}),
      total,
      first,
      values: slice(first, Math.min(total, first + valuesPerPart)),
    });
  }
  return parts;
}
