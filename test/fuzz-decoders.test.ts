// The frame decoders of both sides under random and mutated input (issue 16;
// `npm run bench:fuzz` runs 1,000,000 inputs): the host's Deframer and
// decodeMessage throw nothing but ProtocolError, and the real ff-device.wasm
// never traps and always answers with decodable frames.

import test from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, fuzzPassed } from '../host/bench/fuzz.js';

test('20,000 random and mutated inputs: only ProtocolErrors on the host, no trap on the device, every reply decodable', async () => {
  const r = await fuzz(20_000, 2);
  assert.deepEqual(r.host.crashes, []);
  assert.deepEqual(r.device.traps, []);
  assert.equal(r.device.badReplies, 0);
  assert.ok(r.host.decoded > 1000 && r.host.protocolErrors > 1000, `the mutations reach the message decoders: ${JSON.stringify(r.host)}`);
  assert.ok(r.device.replyFrames > 1000, 'the device answered');
  assert.ok(fuzzPassed(r));
});
