// A transport wrapper that damages the link on purpose, in both directions:
// it cuts the byte stream into pieces of 1..maxPiece bytes and, per piece,
// flips one random bit, drops the piece, or inserts random bytes, with the
// given probabilities. Seeded, so a failing run can be replayed. Used by the
// lossy-link tests and by `ffedge stream --lossy` to show the protocol's
// recovery (docs/protocol.md §6) on the virtual device.
//
// Non-goals: modelling a particular line (burst errors, baud-rate mismatch).

import { TransportBase } from './base.js';
import type { Transport, TransportCloseInfo } from './transport.js';

export interface LossyLinkOptions {
  /** PRNG seed (any integer). */
  seed?: number;
  /** Probability per piece that one bit in it is flipped (default 0.01). */
  flipProbability?: number;
  /** Probability per piece that it is dropped (default 0.005). */
  dropProbability?: number;
  /** Probability per piece that 1..4 random bytes are inserted after it (default 0). */
  insertProbability?: number;
  /** Longest piece the stream is cut into (default 64 bytes). */
  maxPiece?: number;
  /** Which way to damage (default both). */
  direction?: 'both' | 'to-device' | 'from-device';
}

export interface LossyLinkStats {
  flips: number;
  drops: number;
  inserts: number;
  pieces: number;
}

/** xorshift32: tiny, seedable, good enough to pick damage. */
class Xorshift32 {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function checkProbability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new TypeError(`options.${name} must be a probability in [0, 1], got ${p}`);
  return p;
}

class Damager {
  readonly stats: LossyLinkStats = { flips: 0, drops: 0, inserts: 0, pieces: 0 };
  constructor(
    private readonly rng: Xorshift32,
    private readonly flip: number,
    private readonly drop: number,
    private readonly insert: number,
    private readonly maxPiece: number,
  ) {}

  /** The damaged pieces of one chunk, in order. */
  apply(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let at = 0; at < chunk.length;) {
      const n = Math.min(chunk.length - at, 1 + this.rng.int(this.maxPiece));
      const piece = chunk.slice(at, at + n);
      at += n;
      this.stats.pieces++;
      if (this.rng.next() < this.drop) {
        this.stats.drops++;
        continue;
      }
      if (this.rng.next() < this.flip) {
        piece[this.rng.int(piece.length)] ^= 1 << this.rng.int(8);
        this.stats.flips++;
      }
      out.push(piece);
      if (this.rng.next() < this.insert) {
        const junk = new Uint8Array(1 + this.rng.int(4));
        for (let i = 0; i < junk.length; i++) junk[i] = this.rng.int(256);
        out.push(junk);
        this.stats.inserts++;
      }
    }
    return out;
  }
}

export class LossyTransport extends TransportBase {
  readonly description: string;
  private readonly toDevice: Damager | null;
  private readonly fromDevice: Damager | null;
  private readonly onData = (chunk: Uint8Array): void => {
    if (!this.fromDevice) {
      this.deliver(chunk);
      return;
    }
    for (const piece of this.fromDevice.apply(chunk)) this.deliver(piece);
  };
  private readonly onClose = (info: TransportCloseInfo): void => this.finish(info);

  constructor(
    private readonly inner: Transport,
    options: LossyLinkOptions = {},
  ) {
    super();
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError(`options.seed must be an integer, got ${seed}`);
    const flip = checkProbability('flipProbability', options.flipProbability ?? 0.01);
    const drop = checkProbability('dropProbability', options.dropProbability ?? 0.005);
    const insert = checkProbability('insertProbability', options.insertProbability ?? 0);
    const maxPiece = options.maxPiece ?? 64;
    if (!Number.isInteger(maxPiece) || maxPiece < 1) throw new TypeError(`options.maxPiece must be a positive integer, got ${maxPiece}`);
    const direction = options.direction ?? 'both';
    if (!['both', 'to-device', 'from-device'].includes(direction)) {
      throw new TypeError(`options.direction must be 'both', 'to-device' or 'from-device', got ${JSON.stringify(direction)}`);
    }
    const make = (salt: number) => new Damager(new Xorshift32(seed * 2 + salt), flip, drop, insert, maxPiece);
    this.toDevice = direction === 'from-device' ? null : make(0);
    this.fromDevice = direction === 'to-device' ? null : make(1);
    this.description = `${inner.description}, lossy (flip ${flip}, drop ${drop}, insert ${insert} per piece of <= ${maxPiece} B)`;
  }

  /** Damage done so far, per direction. */
  get stats(): { toDevice: LossyLinkStats; fromDevice: LossyLinkStats } {
    const none = { flips: 0, drops: 0, inserts: 0, pieces: 0 };
    return { toDevice: this.toDevice?.stats ?? none, fromDevice: this.fromDevice?.stats ?? none };
  }

  protected async doOpen(): Promise<void> {
    this.inner.on('data', this.onData);
    this.inner.on('close', this.onClose);
    try {
      await this.inner.open();
    } catch (err) {
      this.inner.off('data', this.onData);
      this.inner.off('close', this.onClose);
      throw err;
    }
  }

  protected async doWrite(bytes: Uint8Array): Promise<void> {
    if (!this.toDevice) {
      await this.inner.write(bytes);
      return;
    }
    const pieces = this.toDevice.apply(bytes);
    if (pieces.length === 0) return;
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    await this.inner.write(joined);
  }

  protected async doClose(): Promise<void> {
    await this.inner.close();
  }
}
