// Typed errors of the streaming session. Device-side refusals keep their own
// types: learner codes 1..63 become host/learner's LearnerError subclasses
// (ConfigError, ArenaTooSmallError, SampleError, ...), protocol codes become
// host/protocol's ProtocolError. What is defined here is what only the session
// can see: the device went quiet, went away, the link lost too much, or the
// session was closed.

/** The device stopped answering: no HELLO in time, no reply to PINGs, or a request retried to the limit. */
export class DeviceTimeoutError extends Error {
  override readonly name = 'DeviceTimeoutError';
  readonly timedOut = true;
  readonly disconnected = false;
  constructor(
    message: string,
    /** What the session was waiting for. */
    readonly phase: 'handshake' | 'heartbeat' | 'request' | 'ping',
    /** Milliseconds since the last valid frame from the device. */
    readonly silentMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The device answers (PINGs come back) but one request never arrived intact, over
 * and over: the link loses too many frames of that size for the session to go on.
 */
export class LinkTooLossyError extends Error {
  override readonly name = 'LinkTooLossyError';
  readonly timedOut = false;
  readonly disconnected = false;
  constructor(
    message: string,
    /** The request that kept getting lost. */
    readonly seq: number,
    /** Times it was lost in a row. */
    readonly losses: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The link went away under the session (the transport reported `disconnected: true`). */
export class DeviceDisconnectedError extends Error {
  override readonly name = 'DeviceDisconnectedError';
  readonly timedOut = false;
  readonly disconnected = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The session was closed (by close(), or after a fatal error) while this was pending. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  constructor(message = 'the session is closed: connect a new one') {
    super(message);
  }
}
