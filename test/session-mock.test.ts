// The session layer alone, over SerialTransport + serialport's mock binding,
// against a small scripted device written here with host/protocol. The script
// follows the device rules of docs/protocol.md §6.2 (expected seq, reply cache,
// one gap ACK per expected value) and has hooks to misbehave: ignore HELLO
// requests, speak another version, drop a request or a reply, go silent.

import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialPortMock } from 'serialport';

// serialport's own instance of @serialport/binding-mock (importing the package
// directly would give the ESM copy, a different registry of mock ports).
const MockBinding = SerialPortMock.binding;
import { Session, DeviceDisconnectedError, DeviceTimeoutError, type RecordSink } from '../host/session/index.js';
import { SerialTransport, classifyOpenError, TransportError, type SerialPortLike } from '../host/transport/index.js';
import {
  Deframer,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  encodePayload,
  ErrorCode,
  MessageType,
  ProtocolError,
  PROTOCOL_VERSION,
  type Message,
} from '../host/protocol/index.js';
import { ArenaTooSmallError, ConfigError } from '../host/learner/errors.js';
import type { LogRecord } from '../host/logs/records.js';

interface ScriptOptions {
  protocolVersion?: number;
  headerVersion?: number;
  window?: number;
  arenaFree?: number;
  /** Ignore this many HELLO_REQUESTs before answering. */
  ignoreHellos?: number;
  /** Reply to CONFIGURE with this ERROR instead of CONFIG_OK. */
  configError?: { code: number; detail: number };
}

/** A device that keeps the protocol's link rules; runs inside the mock port's write(). */
class ScriptedDevice {
  readonly seen: Message[] = [];
  readonly written: number[] = [];
  applied = 0;
  expected = 100;
  silent = false;
  /** Seqs whose first copy is dropped on the way in (lost request). */
  dropRequests = new Set<number>();
  /** Seqs whose first reply is dropped on the way out (lost reply). */
  dropReplies = new Set<number>();
  /** Seqs whose reply is not kept in the cache (too big for a slot): a duplicate gets ACK duplicate-uncached. */
  uncached = new Set<number>();
  private gapSentFor = -1;
  private readonly cache = new Map<number, Uint8Array>();
  private readonly deframer = new Deframer();
  private hellosIgnored = 0;
  port: SerialPortMock | undefined;

  constructor(readonly options: ScriptOptions = {}) {}

  private send(message: Message, seq: number): void {
    const version = this.options.headerVersion ?? PROTOCOL_VERSION;
    const bytes = encodeFrame(MessageType[message.type], seq, encodePayload(message), version);
    if (!this.silent) this.port!.port!.emitData(Buffer.from(bytes));
  }

  receive(bytes: Uint8Array): void {
    this.written.push(...bytes);
    for (const frame of this.deframer.push(bytes)) {
      const message = decodeMessage(frame);
      this.seen.push(message);
      if (this.silent) continue;
      const seq = frame.seq;
      if (message.type === 'HELLO_REQUEST') {
        if (this.hellosIgnored < (this.options.ignoreHellos ?? 0)) {
          this.hellosIgnored++;
          continue;
        }
        this.send(
          {
            type: 'HELLO',
            protocolVersion: this.options.protocolVersion ?? PROTOCOL_VERSION,
            window: this.options.window ?? 4,
            maxPayload: 4096,
            arenaFree: this.options.arenaFree ?? 1 << 20,
            buildId: 7,
            nextExpected: this.expected,
            runtime: 'scripted',
          },
          seq,
        );
        continue;
      }
      if (message.type === 'PING') {
        this.send({ type: 'PONG', nextExpected: this.expected, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 }, seq);
        continue;
      }
      if (this.dropRequests.delete(seq)) continue;
      const d = ((seq - this.expected) << 16) >> 16;
      if (d < 0) {
        const cached = this.cache.get(seq);
        if (cached) this.port!.port!.emitData(Buffer.from(cached));
        else this.send({ type: 'ACK', nextExpected: this.expected, reason: 'duplicate-uncached' }, seq);
        continue;
      }
      if (d > 0) {
        if (this.gapSentFor !== this.expected) {
          this.gapSentFor = this.expected;
          this.send({ type: 'ACK', nextExpected: this.expected, reason: 'gap' }, seq);
        }
        continue;
      }
      const reply = this.apply(message, seq);
      const frameBytes = encodeMessage(reply, seq);
      if (!this.uncached.has(seq)) this.cache.set(seq, frameBytes);
      this.expected = (this.expected + 1) & 0xffff;
      if (this.dropReplies.delete(seq)) continue;
      this.port!.port!.emitData(Buffer.from(frameBytes));
    }
  }

  private apply(message: Message, seq: number): Message {
    switch (message.type) {
      case 'CONFIGURE': {
        const e = this.options.configError;
        return e ? { type: 'ERROR', code: e.code, detail: e.detail, text: 'learner refused' } : { type: 'CONFIG_OK', arenaUsed: 1000, arenaFree: 5000 };
      }
      case 'SAMPLE':
        this.applied++;
        return {
          type: 'GOODNESS',
          sampleSeq: seq,
          step: this.applied,
          prediction: null,
          drift: false,
          layers: [{ goodnessPositive: 2, goodnessNegative: 1, loss: 0.5, activeFraction: 0.5, hoyer: 0.25, extra: [0] }],
        };
      case 'INFER':
        return { type: 'PREDICTION', label: 1, scores: [0.1, 0.9] };
      default:
        return { type: 'ACK', nextExpected: (seq + 1) & 0xffff, reason: 'applied' };
    }
  }
}

const PATH = '/dev/ROBOT';

function mockTransport(device: ScriptedDevice): SerialTransport {
  MockBinding.createPort(PATH, { echo: false, record: true });
  return new SerialTransport({
    path: PATH,
    openPort: (path, baudRate) => {
      const port = new SerialPortMock({ path, baudRate, autoOpen: false });
      device.port = port;
      const write = port.write.bind(port) as (data: Uint8Array, cb: (err: Error | null | undefined) => void) => boolean;
      (port as unknown as SerialPortLike).write = (data, cb) => {
        const ok = write(data, cb);
        queueMicrotask(() => device.receive(data)); // after the host's write, as a real device would
        return ok;
      };
      return port as unknown as SerialPortLike;
    },
  });
}

const fast = { helloIntervalMs: 20, handshakeTimeoutMs: 2000, heartbeatIdleMs: 200, rtoInitialMs: 100, rtoMinMs: 30 };
const model = { inputSize: 4, layers: [8], classes: 2 };

/** A session to a window-4 scripted device, configured, logging into `records`. */
async function configuredWithLog(): Promise<{ device: ScriptedDevice; records: LogRecord[]; session: Session }> {
  const device = new ScriptedDevice({ window: 4 });
  const records: LogRecord[] = [];
  const log: RecordSink = {
    append: (r) => {
      records.push(r);
    },
  };
  const session = await Session.connect(mockTransport(device), { ...fast, log });
  await session.configure(model);
  return { device, records, session };
}
const sample = (label = 1) => ({ inputs: new Float32Array([1, 2, 3, 4]), label });

afterEach(() => MockBinding.reset());

describe('session over the mock binding', () => {
  test('connect flushes with 0x00 and repeats HELLO_REQUEST until the device answers', async () => {
    const device = new ScriptedDevice({ ignoreHellos: 2 });
    const session = await Session.connect(mockTransport(device), fast);
    try {
      assert.equal(device.written[0], 0, 'the first byte on the wire is the 0x00 flush');
      const requests = device.seen.filter((m) => m.type === 'HELLO_REQUEST').length;
      assert.ok(requests >= 3, `expected >= 3 HELLO_REQUESTs, saw ${requests}`);
      assert.equal(session.device.runtime, 'scripted');
      assert.equal(session.device.window, 4);
    } finally {
      await session.close();
    }
  });

  test('a device announcing a newer protocol is refused, naming the side to update', async () => {
    const newer = PROTOCOL_VERSION + 1;
    const device = new ScriptedDevice({ protocolVersion: newer, headerVersion: newer });
    await assert.rejects(Session.connect(mockTransport(device), fast), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(err.code, ErrorCode.VERSION_MISMATCH);
      assert.equal(err.detail, newer);
      assert.match(err.message, new RegExp(`device speaks protocol v${newer}, this host speaks v${PROTOCOL_VERSION}: update the host`));
      return true;
    });
  });

  test('no HELLO at all is a DeviceTimeoutError, not a hang', async () => {
    const device = new ScriptedDevice();
    device.silent = true;
    const started = Date.now();
    await assert.rejects(Session.connect(mockTransport(device), { ...fast, handshakeTimeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof DeviceTimeoutError, String(err));
      assert.equal(err.phase, 'handshake');
      assert.match(err.message, /no HELLO/);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  test('a model bigger than HELLO.arenaFree is refused on the host, before CONFIGURE is sent', async () => {
    const device = new ScriptedDevice({ arenaFree: 1000 });
    const session = await Session.connect(mockTransport(device), fast);
    try {
      await assert.rejects(session.configure({ inputSize: 64, layers: [64], classes: 4 }), (err: unknown) => {
        assert.ok(err instanceof ArenaTooSmallError, String(err));
        assert.ok(err.bytesNeeded > 1000);
        assert.match(err.message, /1000 bytes of arena free/);
        return true;
      });
      assert.equal(device.seen.filter((m) => m.type === 'CONFIGURE').length, 0);
    } finally {
      await session.close();
    }
  });

  test("device ERRORs for CONFIGURE become the learner's typed errors", async () => {
    const tooBig = new ScriptedDevice({ configError: { code: 7, detail: 123456 } });
    let session = await Session.connect(mockTransport(tooBig), fast);
    await assert.rejects(session.configure(model), (err: unknown) => {
      assert.ok(err instanceof ArenaTooSmallError, String(err));
      assert.equal(err.bytesNeeded, 123456);
      assert.match(err.message, /123456/);
      return true;
    });
    await session.close();
    MockBinding.reset();
    const badRate = new ScriptedDevice({ configError: { code: 5, detail: 14 } });
    session = await Session.connect(mockTransport(badRate), fast);
    await assert.rejects(session.configure(model), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /learningRate/);
      return true;
    });
    await session.close();
  });

  test('lost requests and lost replies: every sample trained once, every record delivered', async () => {
    const { device, records, session } = await configuredWithLog();
    try {
      const first = device.expected;
      device.dropRequests = new Set([first + 2, first + 9]); // gap ACK -> go back
      device.dropReplies = new Set([first + 5, first + 14, first + 20]); // answered again from the cache
      const results: number[] = [];
      const summary = await session.trainStream(
        Array.from({ length: 24 }, () => sample()),
        { onResult: (r) => results.push(r.index) },
      );
      assert.equal(summary.trained, 24);
      assert.equal(device.applied, 24, 'the device applied each sample exactly once');
      assert.equal(session.step, 24);
      assert.deepEqual(
        results,
        Array.from({ length: 24 }, (_, i) => i),
        'results in submission order',
      );
      const train = records.filter((r) => r.type === 'train');
      assert.equal(train.length, 24);
      assert.deepEqual(
        train.map((r) => (r as { step: number }).step),
        Array.from({ length: 24 }, (_, i) => i + 1),
      );
      assert.ok(session.linkStats.retransmits > 0, 'the losses were recovered by retransmission');
      const samples = device.seen.filter((m) => m.type === 'SAMPLE').length;
      assert.ok(samples > 24, `${samples} SAMPLE frames for 24 samples: some were re-sent`);
    } finally {
      await session.close();
    }
  });

  test('a sample whose GOODNESS reply is lost for good still gets its train record (replyLost, no numbers)', async () => {
    const { device, records, session } = await configuredWithLog();
    try {
      const lost = device.expected + 3;
      device.dropReplies = new Set([lost]);
      device.uncached = new Set([lost]);
      const summary = await session.trainStream(Array.from({ length: 10 }, () => sample()));
      assert.equal(summary.trained, 10);
      assert.equal(summary.repliesLost, 1);
      assert.equal(session.trained, 10);
      const train = records.filter((r) => r.type === 'train');
      assert.equal(train.length, 10, 'one train record per trained sample, the reply-lost one too');
      const noReply = train.filter((r) => r.layers === null);
      assert.deepEqual(
        noReply.map((r) => [r.seq, r.step, r.sample, 'replyLost' in r && r.replyLost]),
        [[lost, null, 3, true]],
      );
    } finally {
      await session.close();
    }
  });

  test('a device that goes silent raises DeviceTimeoutError from the heartbeat', async () => {
    const device = new ScriptedDevice();
    const session = await Session.connect(mockTransport(device), { ...fast, heartbeatIdleMs: 50, heartbeatMisses: 3 });
    await session.configure(model);
    device.silent = true;
    const started = Date.now();
    await assert.rejects(session.train(sample()), (err: unknown) => {
      assert.ok(err instanceof DeviceTimeoutError, String(err));
      assert.equal(err.disconnected, false);
      assert.match(err.message, /stopped answering/);
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'detected within a few heartbeats');
    assert.ok(device.seen.filter((m) => m.type === 'PING').length >= 3);
    await assert.rejects(session.train(sample()), DeviceTimeoutError, 'the session stays failed');
  });

  test('a port that disconnects fails pending requests with DeviceDisconnectedError', async () => {
    const device = new ScriptedDevice();
    const session = await Session.connect(mockTransport(device), fast);
    await session.configure(model);
    device.silent = true;
    const pending = session.train(sample());
    const port = device.port as unknown as { close(cb: undefined, err: Error): void };
    port.close(undefined, Object.assign(new Error('device unplugged'), { disconnected: true }));
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof DeviceDisconnectedError, String(err));
      assert.equal(err.disconnected, true);
      return true;
    });
  });

  test('an UNKNOWN_TYPE error from the device is fatal for the session', async () => {
    const device = new ScriptedDevice();
    const session = await Session.connect(mockTransport(device), fast);
    await session.configure(model);
    device.port!.port!.emitData(Buffer.from(encodeMessage({ type: 'ERROR', code: ErrorCode.UNKNOWN_TYPE, detail: 0x42, text: '' }, 7)));
    await assert.rejects(session.train(sample()), (err: unknown) => {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, ErrorCode.UNKNOWN_TYPE);
      assert.match(err.message, /0x42/);
      return true;
    });
  });

  test('DEVICE_TRAP (an unprompted ERROR with seq 0) ends the session before sequencing', async () => {
    const device = new ScriptedDevice();
    const session = await Session.connect(mockTransport(device), fast);
    await session.configure(model);
    device.silent = true;
    const pending = session.train(sample());
    device.silent = false;
    // docs/protocol.md §7: 0x00, then ERROR(73, detail = trap) with header seq 0; the device halts.
    device.port!.port!.emitData(Buffer.from([0, ...encodeMessage({ type: 'ERROR', code: 73, detail: 5, text: 'trap: unreachable' }, 0)]));
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err));
      assert.equal(err.code, 73);
      assert.equal(err.detail, 5);
      assert.equal(err.deviceText, 'trap: unreachable');
      return true;
    });
    assert.equal(session.failure, await pending.catch((e: unknown) => e));
  });

  test('a port that does not exist is a TransportError not-found with advice', async () => {
    const transport = new SerialTransport({
      path: '/dev/NOPE',
      openPort: (path, baudRate) => new SerialPortMock({ path, baudRate, autoOpen: false }) as unknown as SerialPortLike,
    });
    await assert.rejects(Session.connect(transport, fast), (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.code, 'not-found');
      assert.match(err.message, /ffedge ports/);
      return true;
    });
  });
});

test('open errors are classified by what the OS said', () => {
  const cases: [string, string, RegExp][] = [
    ['Error: No such file or directory, cannot open /dev/ttyX', 'not-found', /plugged in/],
    ['Error Resource temporarily unavailable Cannot lock port', 'busy', /another program/],
    ['Error: Permission denied, cannot open /dev/ttyX', 'permission', /dialout/],
    ['Error: Inappropriate ioctl for device setting custom baud rate of 115200', 'not-a-tty', /not a serial port/],
    ['Error: something odd', 'open-failed', /check the path/],
  ];
  for (const [text, code, advice] of cases) {
    const err = classifyOpenError('/dev/ttyX', 115200, new Error(text));
    assert.equal(err.code, code, text);
    assert.match(err.message, advice);
    assert.match(err.message, /\/dev\/ttyX at 115200 baud/);
  }
});
