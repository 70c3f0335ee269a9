// The monitor's one line per frame, from frames encoded by the real codec.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deframer, decodeMessage, encodeMessage, ErrorCode, type Message } from '../protocol/index.js';
import { describeMessage } from './monitor.js';

function line(message: Message, seq: number): string {
  const [frame] = new Deframer().push(encodeMessage(message, seq));
  return describeMessage(decodeMessage(frame!), frame!.seq);
}

test('HELLO, GOODNESS, ERROR and PONG each become one line with their fields', () => {
  assert.equal(
    line(
      { type: 'HELLO', protocolVersion: 2, window: 8, maxPayload: 4096, arenaFree: 65536, buildId: 0x10002, nextExpected: 7, runtime: 'ff-edge/cortex-m4' },
      3,
    ),
    'HELLO seq 3: ff-edge/cortex-m4, protocol v2, window 8, max payload 4096 B, arena free 65,536 B, next expected 7, build 10002',
  );
  const goodness = line(
    {
      type: 'GOODNESS',
      sampleSeq: 12,
      step: 40,
      prediction: 2,
      drift: false,
      layers: [{ goodnessPositive: 1.5, goodnessNegative: 0.25, loss: 0.5, activeFraction: 0.75, hoyer: 0.5 }],
    },
    12,
  );
  assert.equal(goodness, 'GOODNESS seq 12: sample 12, step 40, predicted 2; layer 1 pos 1.500 neg 0.2500 loss 0.5000 active 0.7500');
  assert.match(
    line({ type: 'ERROR', code: ErrorCode.DEVICE_TRAP, detail: 5, text: 'trap: unreachable' }, 0),
    /^ERROR seq 0: DEVICE_TRAP \(code 73, detail 5\) "trap: unreachable" — /,
  );
  assert.equal(
    line({ type: 'PONG', nextExpected: 4, framesOk: 9, badCrc: 1, malformed: 0, tooLarge: 0 }, 5),
    'PONG seq 5: next expected 4, frames ok 9, bad CRC 1, malformed 0, too large 0',
  );
  assert.equal(line({ type: 'ACK', nextExpected: 4, reason: 'applied' }, 3), 'ACK seq 3: nextExpected 4, reason applied');
});
