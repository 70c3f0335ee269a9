// Errors every transport raises. `code` is stable (tests and the CLI branch on
// it); the message names the link and says what to do.

export type TransportErrorCode =
  /** The port path does not exist. */
  | 'not-found'
  /** Another program holds the port (or its lock). */
  | 'busy'
  /** The OS refused to open the port for this user. */
  | 'permission'
  /** The path exists but is not a serial port (a file, /dev/null). */
  | 'not-a-tty'
  /** Opening failed for another reason (the OS message is kept). */
  | 'open-failed'
  /** A program the transport needs (socat, qemu-system-arm) is not installed. */
  | 'missing-tool'
  /** A file the transport needs (build/ff-device.wasm, a firmware ELF) is missing. */
  | 'missing-file'
  /** The device program or a helper did not start, or did not come up in time. */
  | 'start-failed'
  | 'already-open'
  /** write() before open(), after close(), or after the link went away. */
  | 'not-open';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  /** The link is gone (the far end closed it): reconnecting is the only way on. */
  readonly disconnected: boolean;
  constructor(code: TransportErrorCode, message: string, options: { disconnected?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.disconnected = options.disconnected ?? false;
  }
}
