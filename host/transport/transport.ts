// The one boundary between the session and a link to a device: a duplex byte
// pipe. Types only; implementations live beside this file (serial.ts,
// virtual-device.ts, pty.ts, qemu.ts, lossy.ts) and the session is typed
// against nothing else.
//
// A transport moves bytes, nothing more: no framing, no retries, no timeouts
// on reads. A link that goes quiet is the session's business (heartbeats); a
// link that goes away is reported here as `close` with `disconnected: true`.
//
// Non-goals: several readers, message boundaries, flow control beyond what
// `write()`'s promise gives.

/** Why a transport stopped. Delivered once, with the `close` event. */
export interface TransportCloseInfo {
  /**
   * true: the far end went away without close() being called (the device
   * process exited, the USB adapter was unplugged, socat or QEMU ended).
   * false: close() was called on this side.
   */
  disconnected: boolean;
  /** What the OS or the device said, when anything (an I/O error, an exit code). */
  error?: Error;
  /** A short human account, e.g. "device process exited with code 134". */
  reason?: string;
}

export interface TransportEvents {
  /**
   * Bytes from the device, in order, in chunks of any size (a frame may span
   * chunks, a chunk may hold many frames). A listener may keep the chunk.
   */
  data: (chunk: Uint8Array) => void;
  /**
   * The link is finished, either way: emitted exactly once per open(), after
   * the last `data`. There is no separate `error` event: a fatal I/O error
   * arrives here as `{ disconnected: true, error }`.
   */
  close: (info: TransportCloseInfo) => void;
}

export type TransportEventName = keyof TransportEvents;

/**
 * A duplex byte link to one device.
 *
 * Contract:
 * - `open()` resolves once bytes can flow both ways; it rejects with a
 *   `TransportError` (errors.ts) whose `code` says why (`not-found`, `busy`,
 *   `permission`, `missing-tool`, ...) and whose message says what to do.
 *   Opening an open transport rejects with `already-open`.
 * - `write()` queues bytes for the device and resolves once they are handed
 *   to the OS (a pipe, a tty); it never splits or reorders two writes. It
 *   rejects with `not-open` before open() / after close, or when the link is
 *   gone.
 * - `close()` stops the link from this side and resolves when it is down.
 *   Bytes not yet delivered as `data` are discarded; no `data` follows the
 *   `close` event; a pending write() either completes or rejects, it never
 *   hangs. Calling close() twice, or after a disconnect, resolves at once.
 * - A transport is single-use: after `close` it cannot be reopened.
 */
export interface Transport {
  /** Human-readable name of the link for messages, e.g. "serial /dev/ttyACM0 @ 115200". */
  readonly description: string;
  /**
   * Bytes per second the link carries each way, when it is slow enough to
   * matter (a UART: baud / 10 for 8N1); undefined = fast (pipes, ptys, USB
   * CDC). The session adds the time its own queued bytes take to cross to the
   * heartbeat deadline, so a slow link is not taken for a dead device.
   */
  readonly bytesPerSecond?: number | undefined;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  on<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this;
  off<E extends TransportEventName>(event: E, listener: TransportEvents[E]): this;
}
