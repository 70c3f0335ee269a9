// The link engine alone (link.ts): over an in-memory transport to a small
// device written here with host/protocol, on a fake clock, so timeouts,
// heartbeats and retransmissions happen in the order the test advances time
// and no test waits for real. The session-level behaviour over real
// transports is in test/session-mock.test.ts and test/session-device.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeMessage,
  Deframer,
  encodeMessage,
  ErrorCode,
  PROTOCOL_VERSION,
  ProtocolError,
  seqDiff,
  type Message,
  type RequestMessage,
} from '../protocol/index.js';
import type { Transport, TransportEventName, TransportEvents } from '../transport/transport.js';
import { DeviceDisconnectedError, DeviceTimeoutError, SessionClosedError } from './errors.js';
import { heartbeatDeadlineMs, Link, wireBytes, type Clock, type LinkOptions, type Timer } from './link.js';

/**
 * Lets queued writes, replies and promise callbacks run while the fake clock
 * stands still: a request and its reply take a few event-loop turns here
 * (write microtask, the device's reply a turn later, the caller's await).
 */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Time moves only when advance() is called; due timers fire in deadline order. */
class FakeClock implements Clock {
  t = 0;
  private readonly timers = new Map<Timer, { at: number; callback: () => void; every: number | null }>();

  now(): number {
    return this.t;
  }
  setTimeout(callback: () => void, ms: number): Timer {
    const timer = {};
    this.timers.set(timer, { at: this.t + ms, callback, every: null });
    return timer;
  }
  clearTimeout(timer: Timer | undefined): void {
    if (timer) this.timers.delete(timer);
  }
  setInterval(callback: () => void, ms: number): Timer {
    const timer = {};
    this.timers.set(timer, { at: this.t + ms, callback, every: ms });
    return timer;
  }
  clearInterval(timer: Timer | undefined): void {
    this.clearTimeout(timer);
  }
  get pending(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let due: [Timer, { at: number; callback: () => void; every: number | null }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      const [timer, t] = due;
      this.t = t.at;
      if (t.every === null) this.timers.delete(timer);
      else t.at += t.every;
      t.callback();
    }
    this.t = end;
    await settle();
  }
}

/**
 * A device that keeps the link rules of docs/protocol.md §6.2 for RESET (the
 * simplest sequenced request): expected seq, a reply cache for duplicates, a
 * gap ACK for a frame ahead. Hooks: ignore HELLO_REQUESTs, lose a request on
 * the way in, go silent.
 */
class MemoryDevice {
  readonly seen: Message[] = [];
  readonly bytes: number[] = [];
  expected = 500;
  applied = 0;
  ignoreHellos = 0;
  /** PINGs to leave unanswered (a lost PING or PONG). */
  ignorePings = 0;
  silent = false;
  /** Replies held back (a slow link: they arrive when the test releases them); null = sent at once. */
  held: Uint8Array[] | null = null;
  /** Replies to sequenced requests are lost on the way out (the device applies and caches them). */
  dropReplies = false;
  /** Seqs whose first copy is lost on the way in. */
  readonly loseRequests = new Set<number>();
  private readonly deframer = new Deframer();
  private readonly cache = new Map<number, Uint8Array>();
  constructor(private readonly send: (bytes: Uint8Array) => void) {}

  private reply(bytes: Uint8Array): void {
    if (this.held) this.held.push(bytes);
    else this.send(bytes);
  }

  /** A watchdog reset whose boot HELLO is lost: a fresh device expects seq 0 and holds no replies. */
  reboot(): void {
    this.expected = 0;
    this.applied = 0;
    this.cache.clear();
  }

  /** Sends the held replies and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const bytes of held) this.send(bytes);
  }

  receive(bytes: Uint8Array): void {
    this.bytes.push(...bytes);
    for (const frame of this.deframer.push(bytes)) {
      const message = decodeMessage(frame);
      this.seen.push(message);
      const seq = frame.seq;
      if (this.silent || this.loseRequests.delete(seq)) continue;
      if (message.type === 'HELLO_REQUEST') {
        if (this.ignoreHellos > 0) {
          this.ignoreHellos--;
          continue;
        }
        this.reply(
          encodeMessage(
            {
              type: 'HELLO',
              protocolVersion: PROTOCOL_VERSION,
              window: 2,
              maxPayload: 256,
              arenaFree: 4096,
              buildId: 1,
              nextExpected: this.expected,
              runtime: 'memory',
            },
            seq,
          ),
        );
      } else if (message.type === 'PING') {
        if (this.ignorePings > 0) {
          this.ignorePings--;
          continue;
        }
        this.reply(encodeMessage({ type: 'PONG', nextExpected: this.expected, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 }, seq));
      } else if (seq === this.expected) {
        this.applied++;
        this.expected = (this.expected + 1) & 0xffff;
        const frame = encodeMessage({ type: 'ACK', nextExpected: this.expected, reason: 'applied' }, seq);
        this.cache.set(seq, frame);
        if (!this.dropReplies) this.reply(frame);
      } else if (this.cache.has(seq)) {
        this.reply(this.cache.get(seq)!); // a duplicate: the cached reply again
      } else if (seqDiff(seq, this.expected) < 0) {
        this.reply(encodeMessage({ type: 'ACK', nextExpected: this.expected, reason: 'duplicate-uncached' }, seq));
      } else {
        this.reply(encodeMessage({ type: 'ACK', nextExpected: this.expected, reason: 'gap' }, seq));
      }
    }
  }
}

/** An in-memory Transport: writes go to the device, its replies come back as `data` a turn later. */
class MemoryTransport implements Transport {
  readonly description = 'memory link';
  isOpen = false;
  closeCalls = 0;
  readonly device = new MemoryDevice((bytes) => setImmediate(() => this.emit('data', bytes)));
  private readonly listeners = new Map<TransportEventName, Set<(...args: never[]) => void>>();

  async open(): Promise<void> {
    this.isOpen = true;
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error('not open');
    this.device.receive(bytes);
  }
  async close(): Promise<void> {
    this.closeCalls++;
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close', { disconnected: false });
  }
  /** The far end goes away (a cable pulled). */
  unplug(): void {
    this.isOpen = false;
    this.emit('close', { disconnected: true, reason: 'unplugged' });
  }
  on<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener as (...args: never[]) => void);
    return this;
  }
  off<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this {
    this.listeners.get(event)?.delete(listener as (...args: never[]) => void);
    return this;
  }
  /** Delivers an event to the session's listeners (also: bytes from the device, injected by a test). */
  emit<E extends TransportEventName>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) (l as unknown as (...a: Parameters<TransportEvents[E]>) => void)(...args);
  }
}

const options = { helloIntervalMs: 100, handshakeTimeoutMs: 1000, heartbeatIdleMs: 1000, heartbeatMisses: 3, rtoInitialMs: 400 };
const RESET: RequestMessage = { type: 'RESET' };

/** A link that has shaken hands with a fresh MemoryDevice. */
async function openLink(more: Partial<LinkOptions> = {}): Promise<{ link: Link; transport: MemoryTransport; clock: FakeClock }> {
  const clock = new FakeClock();
  const transport = new MemoryTransport();
  const link = new Link(transport, { ...options, ...more }, clock);
  const opened = link.open();
  await clock.advance(0);
  await opened;
  return { link, transport, clock };
}

/** Records how a promise settled, without waiting for it. */
function watch<T>(p: Promise<T>): { settled: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const state: { settled: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { settled: 'pending' };
  p.then(
    () => {
      state.settled = 'resolved';
    },
    (error: unknown) => {
      state.settled = 'rejected';
      state.error = error;
    },
  );
  return state;
}

describe('link engine on a fake clock', () => {
  test('handshake: 0x00 flush, HELLO_REQUEST repeated until HELLO, window from HELLO, a baseline PING', async () => {
    const clock = new FakeClock();
    const transport = new MemoryTransport();
    transport.device.ignoreHellos = 2;
    const link = new Link(transport, options, clock);
    const opened = watch(link.open());
    await clock.advance(150);
    assert.equal(opened.settled, 'pending', 'two HELLO_REQUESTs ignored so far: still waiting');
    await clock.advance(100);
    assert.equal(opened.settled, 'resolved');
    assert.equal(transport.device.bytes[0], 0, 'the first byte on the wire is the 0x00 flush');
    assert.equal(transport.device.seen.filter((m) => m.type === 'HELLO_REQUEST').length, 3);
    assert.equal(transport.device.seen.at(-1)?.type, 'PING', 'a PING after HELLO takes the device counters baseline');
    assert.deepEqual(link.device, { protocolVersion: PROTOCOL_VERSION, window: 2, maxPayload: 256, arenaFree: 4096, buildId: 1, runtime: 'memory' });
    assert.equal(link.stats.congestionWindow, 2);
    await link.close();
  });

  test('no HELLO within handshakeTimeoutMs is a DeviceTimeoutError on the clock, not a hang', async () => {
    const clock = new FakeClock();
    const transport = new MemoryTransport();
    transport.device.silent = true;
    const link = new Link(transport, options, clock);
    const opened = watch(link.open());
    await clock.advance(999);
    assert.equal(opened.settled, 'pending');
    await clock.advance(200);
    assert.equal(opened.settled, 'rejected');
    assert.ok(opened.error instanceof DeviceTimeoutError, String(opened.error));
    assert.equal(opened.error.phase, 'handshake');
    assert.equal(transport.closeCalls, 1, 'a failed handshake closes the transport');
    assert.equal(clock.pending, 0, 'no timer left running');
  });

  test('a request lost on the way in is sent again when its RTO runs out, and applied once', async () => {
    const { link, transport, clock } = await openLink();
    const device = transport.device;
    device.loseRequests.add(device.expected);
    const reset = watch(link.request(RESET));
    await clock.advance(399);
    assert.equal(reset.settled, 'pending', 'lost, and its timer not yet run out');
    assert.equal(link.stats.retransmits, 0);
    await clock.advance(1);
    assert.equal(reset.settled, 'resolved');
    assert.equal(device.applied, 1);
    assert.equal(device.seen.filter((m) => m.type === 'RESET').length, 2, 'the lost copy and the one resent');
    assert.equal(link.stats.retransmits, 1);
    assert.equal(link.stats.timeouts, 1, 'one retransmission timeout');
    await link.close();
  });

  test('a request behind a lost one: the gap ACK resends both at once, no timeout waited for', async () => {
    const { link, transport, clock } = await openLink();
    const device = transport.device;
    device.loseRequests.add(device.expected);
    const first = watch(link.request(RESET));
    const second = watch(link.request(RESET));
    await clock.advance(0);
    assert.equal(first.settled, 'resolved');
    assert.equal(second.settled, 'resolved');
    assert.equal(device.applied, 2, 'each applied exactly once');
    assert.equal(device.seen.filter((m) => m.type === 'RESET').length, 4, 'two lost or refused, two resent');
    assert.equal(link.stats.timeouts, 0);
    await link.close();
  });

  test('a silent device is found dead by heartbeat: PINGs while silent, DeviceTimeoutError at heartbeatIdleMs x heartbeatMisses', async () => {
    const { link, transport, clock } = await openLink();
    const pings = link.stats.pingsSent;
    transport.device.silent = true;
    await clock.advance(2999);
    assert.equal(link.failure, undefined, 'under 3 s of silence: still alive');
    assert.equal(link.stats.pingsSent - pings, 2, 'PINGs at 1 s and 2 s of silence');
    await clock.advance(1);
    const failure = link.failure as Error | undefined; // (not narrowed by the assertion above)
    assert.ok(failure instanceof DeviceTimeoutError, String(failure));
    assert.equal(failure.phase, 'heartbeat');
    assert.equal(failure.silentMs, 3000);
    assert.match(failure.message, /nothing received from it for 3000 ms; 2 PINGs and 0 re-sent requests went unanswered; no bytes at all arrived/);
    assert.equal(transport.closeCalls, 1);
    await assert.rejects(link.request(RESET), (err) => err === failure);
    await assert.rejects(link.drain(), (err) => err === failure);
  });

  test('re-sent requests and probes do not keep a dead device alive: dead 3 s after it was last heard', async () => {
    const { link, transport, clock } = await openLink({ rtoInitialMs: 200, rtoMinMs: 50 });
    transport.device.silent = true;
    const requests = [watch(link.request(RESET)), watch(link.request(RESET))];
    await clock.advance(2999);
    assert.equal(link.failure, undefined);
    assert.ok(link.stats.retransmits >= 4, `re-sent ${link.stats.retransmits} times meanwhile`);
    await clock.advance(1);
    const failure = link.failure as Error | undefined;
    assert.ok(failure instanceof DeviceTimeoutError, String(failure));
    assert.equal(failure.phase, 'heartbeat');
    const resent = link.stats.retransmits;
    const pings = link.stats.pingsSent - 1; // the one at open() was answered
    assert.match(failure.message, new RegExp(`for 3000 ms; ${pings} PINGs and ${resent} re-sent requests went unanswered`));
    for (const r of requests) assert.equal(r.error, failure);
  });

  test('garbage instead of frames: still dead at the deadline, and the message says bytes arrived', async () => {
    const { link, transport, clock } = await openLink();
    transport.device.silent = true;
    for (let i = 0; i < 6; i++) {
      transport.emit('data', new Uint8Array([0x41, 0x54, 0x0d, 0x0a, 0x00, 0x13, 0x37, 0x00]));
      await clock.advance(500);
    }
    const failure = link.failure;
    assert.ok(failure instanceof DeviceTimeoutError, String(failure));
    assert.match(failure.message, /48 bytes arrived that made no valid frame \(12 damaged or undecodable frames\): garbage on the line/);
  });

  test("9600 baud, 3 KB frames: silence counts from when the host's bytes have crossed, so no false alarm", async () => {
    const bytesPerSecond = 960; // 9600 baud, 8N1
    const { link, transport, clock } = await openLink({ bytesPerSecond, rtoInitialMs: 20000, rtoMaxMs: 20000 });
    const device = transport.device;
    const sample: RequestMessage = { type: 'SAMPLE', kind: 'positive', label: 1, encoding: 'f32', values: new Float32Array(750) };
    device.held = [];
    const before = device.bytes.length;
    const sent = watch(link.request(sample));
    await clock.advance(0);
    const frame = device.bytes.length - before;
    const crossing = (1000 * frame) / bytesPerSecond;
    assert.ok(crossing > 3100 && crossing < 3250, `a ${frame}-byte frame takes ${crossing} ms at 9600 baud`);
    // The device answers once the frame has crossed: 3.4 s with nothing received, more than 3 s.
    await clock.advance(3400);
    assert.equal(link.failure, undefined, "not dead: the host's own frame was still on the wire");
    device.release();
    await clock.advance(0);
    assert.equal(sent.settled, 'resolved');

    // The same frame to a device that never answers: dead after the crossing, 3 s, and one largest reply's time.
    device.silent = true;
    const t0 = clock.t;
    const lost = watch(link.request(sample));
    const deadline = crossing + heartbeatDeadlineMs(3000, bytesPerSecond, 256);
    assert.equal(heartbeatDeadlineMs(3000, bytesPerSecond, 256) - 3000, (1000 * wireBytes(256)) / bytesPerSecond);
    await clock.advance(deadline - 1);
    assert.equal(link.failure, undefined);
    await clock.advance(100); // + the PINGs' own bytes (about 10 ms each at 960 B/s)
    const failure = link.failure as Error | undefined;
    assert.ok(failure instanceof DeviceTimeoutError, String(failure));
    assert.match(failure.message, /host's bytes were still crossing at 960 B\/s/);
    assert.equal(lost.error, failure);
    assert.ok(clock.t - t0 > 6000);
  });

  test('after a loss, new requests are probed: a lost first copy is re-sent within a round trip, not at its timeout', async () => {
    const { link, transport, clock } = await openLink();
    const device = transport.device;
    device.loseRequests.add(device.expected);
    const first = watch(link.request(RESET));
    await clock.advance(400); // found by its retransmission timer: the link has shown loss
    assert.equal(first.settled, 'resolved');
    assert.equal(link.stats.timeouts, 1);
    device.loseRequests.add(device.expected);
    const second = watch(link.request(RESET));
    await clock.advance(0);
    assert.equal(second.settled, 'resolved', 'the probe behind it showed the loss at once');
    assert.equal(link.stats.timeouts, 1, 'no second timeout');
    assert.equal(link.stats.probedLosses, 1);
    assert.equal(device.applied, 2);
    await link.close();
  });

  test('a failure rejects every pending request, waiter and PING with the one error, once', async () => {
    const { link, transport, clock } = await openLink();
    transport.device.silent = true;
    // Window 2: two requests in flight, three queued behind them.
    const requests = [1, 2, 3, 4, 5].map(() => watch(link.request(RESET)));
    const sendable = watch(link.whenSendable());
    const drained = watch(link.drain());
    const ping = watch(link.ping());
    await clock.advance(100);
    assert.ok([...requests, sendable, drained, ping].every((s) => s.settled === 'pending'));
    const written = transport.device.bytes.length;
    transport.unplug();
    await clock.advance(0);
    const error = link.failure;
    assert.ok(error instanceof DeviceDisconnectedError, String(error));
    assert.match(error.message, /unplugged/);
    for (const s of [...requests, sendable, drained, ping]) {
      assert.equal(s.settled, 'rejected');
      assert.equal(s.error, error, 'the same error instance everywhere');
    }
    assert.equal(transport.closeCalls, 1, 'the transport is closed once');
    assert.equal(clock.pending, 0, 'retransmit and heartbeat timers stopped');
    await clock.advance(20000);
    assert.equal(link.failure, error, 'a later timeout does not replace the first error');
    assert.equal(transport.device.bytes.length, written, 'nothing written after the failure');
    await link.close();
    assert.equal(transport.closeCalls, 1, 'close() after a failure does not close again');
    await assert.rejects(link.request(RESET), (err) => err === error);
  });

  test('close() rejects what is pending with SessionClosedError through the same path', async () => {
    const { link, transport, clock } = await openLink();
    transport.device.silent = true;
    const requests = [1, 2, 3].map(() => watch(link.request(RESET)));
    const drained = watch(link.drain());
    await clock.advance(0);
    await link.close();
    await clock.advance(0);
    for (const s of [...requests, drained]) {
      assert.equal(s.settled, 'rejected');
      assert.ok(s.error instanceof SessionClosedError, String(s.error));
    }
    assert.equal(requests[0]!.error, drained.error, 'one error for all');
    assert.equal(transport.closeCalls, 1);
    assert.equal(clock.pending, 0);
    await link.close();
    assert.equal(transport.closeCalls, 1, 'close() twice closes once');
  });

  test('a probe whose PONG is lost is repeated after a few PING round trips, not left to the retransmission timer', async () => {
    const { link, transport, clock } = await openLink();
    const device = transport.device;
    device.loseRequests.add(device.expected);
    const first = watch(link.request(RESET));
    await clock.advance(400); // its timer finds the loss: the link has shown loss, new requests get probes
    assert.equal(first.settled, 'resolved');
    device.loseRequests.add(device.expected);
    device.ignorePings = 1; // ... and that probe is lost too
    const second = watch(link.request(RESET));
    await clock.advance(0);
    assert.equal(second.settled, 'pending');
    await clock.advance(10);
    assert.equal(second.settled, 'resolved', 'a second probe showed the loss within 10 ms');
    assert.equal(link.stats.timeouts, 1, 'no second timeout (the RTO is 400 ms)');
    await link.close();
  });

  test('at a failure, a request the device is known to have applied resolves reply-lost; one on the wire is in doubt', async () => {
    const { link, transport, clock } = await openLink();
    const device = transport.device;
    device.dropReplies = true;
    const applied = watch(link.request(RESET));
    await clock.advance(0);
    device.silent = true;
    // A PONG (to a heartbeat PING, say) says the device expects the next seq: RESET was applied.
    transport.emit('data', encodeMessage({ type: 'PONG', nextExpected: device.expected, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 }, 0xfffe));
    await clock.advance(0);
    assert.equal(applied.settled, 'pending');
    const onTheWire = watch(link.request(RESET));
    const queued = watch(link.request(RESET)); // window 2: never sent
    await clock.advance(0);
    transport.unplug();
    await clock.advance(0);
    assert.equal(applied.settled, 'resolved', 'applied for certain, only its reply is missing');
    assert.equal(onTheWire.settled, 'rejected');
    assert.equal(queued.settled, 'rejected');
    assert.deepEqual(
      link.inDoubt.map((m) => m.type),
      ['RESET'],
      'only the one sent and not known applied',
    );
    assert.equal(link.stats.repliesLost, 1);
  });

  test('a reset while the seq wraps, boot HELLO lost: ACK(0, duplicate-uncached) is LINK_DESYNC, no sample counted as applied', async () => {
    const clock = new FakeClock();
    const transport = new MemoryTransport();
    transport.device.expected = 65534;
    const link = new Link(transport, options, clock);
    const opened = link.open();
    await clock.advance(0);
    await opened;
    transport.device.silent = true;
    const requests = [watch(link.request(RESET)), watch(link.request(RESET))]; // seqs 65534, 65535: the window reaches 0
    await clock.advance(0);
    transport.device.silent = false;
    transport.device.reboot();
    await clock.advance(400); // the timer re-sends both; the fresh device takes them for old duplicates
    const failure = link.failure as Error | undefined;
    assert.ok(failure instanceof ProtocolError && failure.code === ErrorCode.LINK_DESYNC, String(failure));
    assert.match(failure.message, /suspected device reset/);
    for (const r of requests) assert.equal(r.error, failure, 'neither request completes as applied');
    assert.equal(transport.device.applied, 0);
  });

  test('an unknown-type ERROR from the device ends the link as a ProtocolError', async () => {
    const { link, transport, clock } = await openLink();
    const pending = watch(link.request(RESET));
    transport.device.silent = true;
    // The device answers a request it cannot parse with ERROR UNKNOWN_TYPE (docs/protocol.md §6.2): fatal.
    transport.emit('data', encodeMessage({ type: 'ERROR', code: ErrorCode.UNKNOWN_TYPE, detail: 0x42, text: 'unknown' }, 0));
    await clock.advance(0);
    assert.ok(link.failure instanceof ProtocolError, String(link.failure));
    assert.equal(link.failure.code, ErrorCode.UNKNOWN_TYPE);
    assert.equal(pending.error, link.failure);
  });
});
