import test from 'node:test';
import assert from 'node:assert/strict';
import { resetSign, DeviceResetLimitError, RecoveringSession } from './recovery.js';
import { ErrorCode, ProtocolError } from '../protocol/index.js';
import { learnerError, LearnerStatus } from '../learner/errors.js';
import { DeviceDisconnectedError, DeviceTimeoutError } from './errors.js';

test('reset signs: an unprompted HELLO (LINK_DESYNC), NOT_CONFIGURED, a disconnect; not a timeout or a refusal', () => {
  assert.match(resetSign(new ProtocolError(ErrorCode.LINK_DESYNC, undefined, { context: 'unprompted HELLO' }))!, /LINK_DESYNC/);
  assert.match(resetSign(learnerError(LearnerStatus.NOT_CONFIGURED, 0))!, /NOT_CONFIGURED/);
  assert.match(resetSign(new DeviceDisconnectedError('port closed'))!, /disconnected/);
  assert.equal(resetSign(new ProtocolError(ErrorCode.CHECKPOINT_CRC)), null);
  assert.equal(resetSign(learnerError(LearnerStatus.LABEL, 3)), null);
  assert.equal(resetSign(new Error('x')), null);
  const timeout = Object.create(DeviceTimeoutError.prototype) as Error;
  assert.equal(resetSign(timeout), null);
});

test('the reset limit error says what to change', () => {
  const e = new DeviceResetLimitError(4, 3);
  assert.equal(e.name, 'DeviceResetLimitError');
  assert.match(e.message, /4 times.*limit of 3.*--max-resets/);
});

test('options are checked before connecting', async () => {
  await assert.rejects(RecoveringSession.start({ connect: undefined as never, config: new Uint8Array() }), TypeError);
});
