// From a device's reply to what the caller sees: the message that was asked
// for, or a typed error. Learner codes 1..63 become host/learner's
// LearnerError subclasses, other codes host/protocol's ProtocolError
// (docs/protocol.md §7). The link has already turned the fatal codes into the
// session's end (link.ts); what reaches here refuses one request only.

import { ArenaTooSmallError, learnerError } from '../learner/errors.js';
import { ErrorCode, errorFromMessage, LEARNER_CODE_MAX, LEARNER_CODE_MIN, ProtocolError, type Message, type MessageOf } from '../protocol/index.js';
import type { RequestCompletion } from './link.js';
import type { DeviceInfo } from './types.js';

/** The typed error for a device ERROR reply: learner codes -> LearnerError, others -> ProtocolError. */
export function replyError(reply: MessageOf<'ERROR'>, seq: number, device: DeviceInfo | undefined): Error {
  if (reply.code >= LEARNER_CODE_MIN && reply.code <= LEARNER_CODE_MAX) {
    const error = learnerError(reply.code, reply.detail);
    if (error instanceof ArenaTooSmallError && device) {
      return new ArenaTooSmallError(
        `${error.message} (device ${device.runtime} reported ${device.arenaFree} bytes of arena free in HELLO; the model needs ${reply.detail})`,
        error.code,
        error.detail,
        error.bytesNeeded,
      );
    }
    return error;
  }
  return errorFromMessage(reply, seq);
}

/**
 * The reply of type `type`, or null when the request was applied but its
 * reply lost (the link counts those); throws the typed error for an ERROR
 * reply and ProtocolError MALFORMED for a reply of another type.
 */
export function expectReply<T extends Message['type']>(c: RequestCompletion, type: T, device: DeviceInfo | undefined): MessageOf<T> | null {
  if (c.outcome === 'reply-lost') return null;
  const reply = c.reply!;
  if (reply.type === 'ERROR') throw replyError(reply, c.seq, device);
  if (reply.type !== type) {
    throw new ProtocolError(ErrorCode.MALFORMED, undefined, {
      seq: c.seq,
      context: `expected ${type} in reply to ${c.tag.message.type}, got ${reply.type}`,
    });
  }
  return reply as MessageOf<T>;
}
