// Exit codes and error printing for `ffedge`. Every failure ends with one line
// "ffedge: <what went wrong and what to do>" on stderr and a code saying what
// kind of failure it was, so scripts can branch on it.

import { TransportError } from '../transport/errors.js';
import { DeviceDisconnectedError, DeviceTimeoutError, LinkTooLossyError } from '../session/errors.js';
import { LearnerError } from '../learner/errors.js';
import { ErrorCode, ProtocolError } from '../protocol/errors.js';
import { SerialSensorError } from '../sources/serial-sensor.js';

export const ExitCode = {
  OK: 0,
  /** The device refused something, or a protocol/learner error. */
  FAILURE: 1,
  /** Bad command line, config or input file; an output file that cannot be written. */
  USAGE: 2,
  /**
   * No link: the port cannot be opened, the device does not answer, went away
   * or restarted (LINK_DESYNC: it lost the session), or the link loses too much.
   */
  LINK: 3,
  /**
   * A program the command needs is not installed (cross compiler, wasm2c, QEMU,
   * a flasher): the message names the Debian package, scripts/setup-toolchains.sh,
   * and for a flasher the exact command to run once it is there.
   */
  TOOL: 4,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the device or learner refused (bad config, model too big, sample of the wrong length, ...)
  2  bad command line, config file or input file (missing, a directory, bad contents),
     an output file that cannot be written (missing folder, a directory, disk full),
     or a --port for logs live that is in use
  3  no link: a serial port missing/busy/denied (the device's --port or a serial-sensor:PORT),
     the device not answering, disconnected or restarted mid-session, or a link that loses
     too many frames
  4  a program this command needs is not installed (cross compiler, QEMU, st-flash,
     OpenOCD, pyOCD): the message names the package and the exact command to run`;

/** A problem with what the user asked for (flags, files). */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** A program is not installed; the message says which package has it and what to run then. */
export class MissingToolError extends Error {
  override readonly name: string = 'MissingToolError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof MissingToolError) return ExitCode.TOOL;
  if (
    error instanceof TransportError ||
    error instanceof DeviceTimeoutError ||
    error instanceof DeviceDisconnectedError ||
    error instanceof LinkTooLossyError ||
    error instanceof SerialSensorError
  ) {
    return ExitCode.LINK;
  }
  // The device restarted (or lost track of the session): the link's fault, not a refusal.
  if (error instanceof ProtocolError && error.code === ErrorCode.LINK_DESYNC) return ExitCode.LINK;
  if (error instanceof UsageError || error instanceof TypeError || error instanceof RangeError) return ExitCode.USAGE;
  if (error instanceof Error && ['SampleFileError', 'LogParseError', 'CheckpointFileError', 'SyntaxError'].includes(error.name)) return ExitCode.USAGE;
  if (
    error instanceof Error &&
    ['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG'].includes((error as NodeJS.ErrnoException).code ?? '')
  )
    return ExitCode.USAGE;
  if (error instanceof LearnerError || error instanceof ProtocolError) return ExitCode.FAILURE;
  return ExitCode.FAILURE;
}

/**
 * The one line for stderr, in the user's words: no class names (TransportError,
 * SampleFileError, ...) and no raw errno prefixes (ENOENT: ...), also where a
 * lower layer embedded them in its message.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `ffedge: ${String(error)}`;
  const kind = error instanceof LearnerError ? 'the device refused: ' : error instanceof ProtocolError ? 'protocol error: ' : '';
  const message = error.message.replace(/\b[A-Z][A-Za-z]*Error: /g, '').replace(/\bE[A-Z]{3,}: /g, '');
  return `ffedge: ${kind}${message}`;
}
