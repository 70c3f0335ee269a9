import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, ProtocolError } from './errors.js';
import { Deframer } from './frame.js';
import { decodeMessage, type Message } from './messages.js';
import { SendWindow, seqAdd, seqDiff, type RequestMessage } from './window.js';

const reset: RequestMessage = { type: 'RESET' };
const seqOf = (frame: Uint8Array): number => new Deframer().push(frame)[0]!.seq;
const typeOf = (frame: Uint8Array): string => decodeMessage(new Deframer().push(frame)[0]!).type;
const ackApplied = (seq: number): Message => ({ type: 'ACK', nextExpected: seqAdd(seq, 1), reason: 'applied' });

test('seqDiff and seqAdd wrap at 16 bits', () => {
  assert.equal(seqDiff(2, 65534), 4);
  assert.equal(seqDiff(65534, 2), -4);
  assert.equal(seqDiff(5, 5), 0);
  assert.equal(seqAdd(65535, 1), 0);
  assert.equal(seqAdd(0, -1), 65535);
});

test('the window limits the span of unanswered sequence numbers, across the wrap', () => {
  const w = new SendWindow<number>({ window: 3, firstSeq: 65534 });
  const seqs = [0, 1, 2].map((i) => w.send(reset, i, 0).seq);
  assert.deepEqual(seqs, [65534, 65535, 0]);
  assert.equal(w.canSend(), false);
  assert.throws(() => w.send(reset, 3, 0), RangeError);
  // Answering the middle one does not open the window: the oldest still pins it.
  w.receive(ackApplied(65535), 65535, 5);
  assert.equal(w.canSend(), false);
  const { completed } = w.receive(ackApplied(65534), 65534, 6);
  assert.deepEqual(
    completed.map((c) => c.tag),
    [0],
  );
  assert.equal(w.canSend(), true);
  assert.equal(w.deviceNextExpected, 0);
});

test('replies complete requests once; duplicate replies are counted and ignored', () => {
  const w = new SendWindow<string>({ window: 4, firstSeq: 10 });
  w.send({ type: 'CHECKPOINT_GET', offset: 0, maxLength: 8 }, 'get', 0);
  const reply: Message = { type: 'CHECKPOINT_DATA', offset: 0, total: 1, blobCrc: 0, data: new Uint8Array(1) };
  const first = w.receive(reply, 10, 20);
  assert.deepEqual(
    first.completed.map((c) => [c.tag, c.outcome, c.reply?.type]),
    [['get', 'replied', 'CHECKPOINT_DATA']],
  );
  assert.equal(w.receive(reply, 10, 21).completed.length, 0);
  assert.equal(w.duplicateReplies, 1);
  assert.equal(w.inFlight, 0);
});

test('a reply for a later request re-asks for an earlier one whose reply was lost, once per send', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 0 });
  for (let i = 0; i < 3; i++) w.send(reset, i, 0);
  const r1 = w.receive(ackApplied(1), 1, 10);
  assert.deepEqual(r1.retransmit.map(seqOf), [0]);
  assert.equal(w.deviceNextExpected, 2, 'request 0 is known applied');
  // Reply 2 answers a send from before the re-ask: the re-asked reply may still come.
  assert.deepEqual(w.receive(ackApplied(2), 2, 11).retransmit, []);
  // A reply to something sent after the re-ask, with 0 still unanswered: lost again.
  w.send(reset, 3, 12);
  assert.deepEqual(w.receive(ackApplied(3), 3, 20).retransmit.map(seqOf), [0]);
});

test('an ACK gap goes back: resends from the expected seq on, in order', () => {
  const w = new SendWindow<number>({ window: 8, firstSeq: 0 });
  for (let i = 0; i < 4; i++) w.send(reset, i, 0);
  w.receive(ackApplied(0), 0, 5);
  const gap = w.receive({ type: 'ACK', nextExpected: 1, reason: 'gap' }, 2, 6);
  assert.deepEqual(gap.retransmit.map(seqOf), [1, 2, 3]);
  assert.equal(w.retransmissions, 3);
  assert.equal(w.deviceNextExpected, 1);
});

test('timeouts retransmit with exponential backoff and end in ProtocolError TIMEOUT', () => {
  const w = new SendWindow<number>({ window: 2, firstSeq: 0, rtoInitialMs: 100, maxRetries: 3 });
  w.send({ type: 'CONFIGURE', config: new Uint8Array([1]) }, 0, 0);
  assert.deepEqual(w.poll(99), []);
  assert.equal(w.nextDeadline(50), 50);
  const first = w.poll(100);
  assert.deepEqual(first.map(typeOf), ['CONFIGURE']);
  assert.deepEqual(w.poll(299), [], 'second timeout is doubled');
  assert.equal(w.poll(300).length, 1);
  assert.equal(w.poll(700).length, 1);
  assert.throws(
    () => w.poll(1500),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.TIMEOUT && /stopped answering/.test(e.message),
  );
});

test('a timeout on a request not yet known applied also resends everything after it', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 0, rtoInitialMs: 100 });
  w.send(reset, 0, 0);
  w.send(reset, 1, 10);
  w.send(reset, 2, 20);
  assert.deepEqual(w.poll(100).map(seqOf), [0, 1, 2]);
});

const pong = (nextExpected: number): Message => ({ type: 'PONG', nextExpected, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 });

test('a probe PONG proves what was lost before it: go back from the first request not applied, at once', () => {
  const w = new SendWindow<number>({ window: 8, firstSeq: 0, rtoInitialMs: 100 });
  for (let i = 0; i < 3; i++) w.send(reset, i, 0);
  const mark = w.probeMark();
  w.send(reset, 3, 1); // written after the probe: still in flight, but behind the gap at 1
  w.receive(ackApplied(0), 0, 2);
  w.receive(pong(1), 7, 3); // the device got 0, then lost 1 (and dropped 2)
  assert.deepEqual(w.probed(mark, 3).map(seqOf), [1, 2, 3]);
  assert.equal(w.probedLosses, 2, '1 and 2 were proven lost; 3 only follows the gap');
  assert.deepEqual(w.poll(50), [], 'resent now: their timers restart');
});

test('a probe PONG re-asks for replies lost behind it and leaves later requests alone', () => {
  const w = new SendWindow<number>({ window: 8, firstSeq: 0 });
  w.send(reset, 0, 0);
  w.send(reset, 1, 0);
  const mark = w.probeMark();
  w.send(reset, 2, 1);
  w.receive(pong(2), 9, 2); // 0 and 1 applied, their replies lost; 2 not seen yet, no gap
  assert.deepEqual(w.probed(mark, 2).map(seqOf), [0, 1]);
  assert.deepEqual(w.probed(w.probeMark(), 3).map(seqOf), [0, 1, 2], 'a later probe covers everything written before it');
  assert.equal(w.probed(0, 4).length, 0, 'a probe older than every write proves nothing');
});

test('proven losses do not back off, and restart the silent-timeout count; too many in a row is TIMEOUT', () => {
  const w = new SendWindow<number>({ window: 2, firstSeq: 0, rtoInitialMs: 100, maxRetries: 2, maxLosses: 3 });
  w.send(reset, 0, 0);
  assert.equal(w.poll(100).length, 1);
  assert.equal(w.poll(300).length, 1, 'second silent timeout: doubled');
  let t = 300;
  for (let k = 0; k < 2; k++) {
    const mark = w.probeMark();
    w.receive(pong(0), 100 + k, t + 1);
    assert.equal(w.probed(mark, t + 1).length, 1);
    t += 1;
    assert.equal(w.nextDeadline(t), 100, 'timer back to the base RTO after a proven loss');
  }
  assert.equal(w.poll(t + 100).length, 1, 'silent timeouts count again from zero: no TIMEOUT after maxRetries in all');
  const mark = w.probeMark();
  w.receive(pong(0), 200, t + 101);
  assert.throws(
    () => w.probed(mark, t + 101),
    (e: unknown) =>
      e instanceof ProtocolError && e.code === ErrorCode.TIMEOUT && e.detail === 3 && /lost 3 times in a row while the device kept answering/.test(e.message),
  );
});

test('RTT samples adapt the timeout (Karn: only never-retransmitted requests count)', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 0, rtoInitialMs: 1000, rtoMinMs: 10 });
  w.send(reset, 0, 0);
  w.receive(ackApplied(0), 0, 40);
  assert.equal(w.rtoMs, 40 + 4 * 20);
  w.send(reset, 1, 100);
  w.poll(220); // retransmitted
  w.receive(ackApplied(1), 1, 900);
  assert.equal(w.rtoMs, 120, 'a retransmitted request gives no RTT sample');
});

test('ACK duplicate-uncached completes the request as applied with its reply lost', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 7 });
  w.send(reset, 0, 0);
  const { completed } = w.receive({ type: 'ACK', nextExpected: 8, reason: 'duplicate-uncached' }, 7, 5);
  assert.deepEqual(
    completed.map((c) => [c.seq, c.outcome, c.reply]),
    [[7, 'reply-lost', null]],
  );
});

test('a device acknowledging what was never sent, or going backwards, is LINK_DESYNC', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 100 });
  w.send(reset, 0, 0);
  const desync = (e: unknown): boolean => e instanceof ProtocolError && e.code === ErrorCode.LINK_DESYNC;
  assert.throws(() => w.receive({ type: 'ACK', nextExpected: 105, reason: 'gap' }, 100, 1), desync);
  assert.throws(() => w.receive(ackApplied(101), 101, 1), desync);
  assert.throws(() => w.receive({ type: 'PONG', nextExpected: 0, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 }, 0, 1), desync);
});

test('wrap-window reset: ACK(0, duplicate-uncached) for a never-answered request before 0 is LINK_DESYNC, not applied', () => {
  // The host's window straddles the wrap (65530 .. 1); the device resets and its
  // boot HELLO is lost; a fresh device (expects 0) takes 65530 for an old duplicate.
  const w = new SendWindow<number>({ window: 8, firstSeq: 65530 });
  for (let i = 0; i < 8; i++) w.send(reset, i, 0);
  const desync =
    (seq: number) =>
    (e: unknown): boolean =>
      e instanceof ProtocolError && e.code === ErrorCode.LINK_DESYNC && /suspected device reset/.test(e.message) && e.seq === seq;
  assert.throws(() => w.receive({ type: 'ACK', nextExpected: 0, reason: 'duplicate-uncached' }, 65530, 5), desync(65530));
  // Nothing was counted as trained, and the device's nextExpected was not taken on.
  assert.equal(w.inFlight, 8);
  assert.equal(w.deviceNextExpected, 65530);
  // Even after a probe PONG from the fresh device moved `acked` to 0, the same ACK is refused.
  w.receive({ type: 'PONG', nextExpected: 0, framesOk: 0, badCrc: 0, malformed: 0, tooLarge: 0 }, 9, 6);
  assert.throws(() => w.receive({ type: 'ACK', nextExpected: 0, reason: 'duplicate-uncached' }, 65531, 7), desync(65531));
  assert.equal(w.inFlight, 8);
});

test('wrap window, no reset: answered requests and duplicate-uncached replies past the wrap still complete', () => {
  const w = new SendWindow<number>({ window: 8, firstSeq: 65534 });
  for (let i = 0; i < 4; i++) w.send(reset, i, 0);
  // 65534 answered; a late duplicate-uncached for it (nextExpected 0) is a harmless duplicate.
  assert.equal(w.receive(ackApplied(65534), 65534, 1).completed.length, 1);
  assert.equal(w.receive(ackApplied(65535), 65535, 1).completed.length, 1);
  assert.equal(w.receive({ type: 'ACK', nextExpected: 0, reason: 'duplicate-uncached' }, 65534, 2).completed.length, 0);
  // Past the wrap, duplicate-uncached is the ordinary "applied, reply gone".
  const { completed } = w.receive({ type: 'ACK', nextExpected: 1, reason: 'duplicate-uncached' }, 0, 3);
  assert.deepEqual(
    completed.map((c) => [c.seq, c.outcome]),
    [[0, 'reply-lost']],
  );
});

test('VERSION_MISMATCH and UNKNOWN_TYPE errors are delivered but do not count as applied', () => {
  const w = new SendWindow<number>({ window: 4, firstSeq: 0 });
  w.send(reset, 0, 0);
  const { completed } = w.receive({ type: 'ERROR', code: ErrorCode.VERSION_MISMATCH, detail: 2, text: '' }, 0, 1);
  assert.equal(completed[0]?.reply?.type, 'ERROR');
  assert.equal(w.deviceNextExpected, 0);
  assert.equal(w.inFlight, 1);
  // Any other ERROR reply consumed the request.
  const other = w.receive({ type: 'ERROR', code: ErrorCode.SAMPLE_LENGTH, detail: 0, text: '' }, 0, 2);
  assert.equal(other.completed.length, 1);
  assert.equal(w.deviceNextExpected, 1);
  assert.equal(w.inFlight, 0);
});

test('constructor names a bad option', () => {
  assert.throws(() => new SendWindow({ window: 0, firstSeq: 0 }), /window must be/);
  assert.throws(() => new SendWindow({ window: 4, firstSeq: 70000 }), /firstSeq must be a u16/);
});
