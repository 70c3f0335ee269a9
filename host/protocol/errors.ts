// Protocol error codes, mirrored from assembly/protocol/errors.ts (the device's
// single table; errors.test.ts holds the two together) and the typed error the
// host raises. Spec: docs/protocol.md §7.

/** Protocol-layer codes (64..127). Codes 1..63 belong to the learner. */
import { PROTOCOL_VERSION } from './version.js';

export const ErrorCode = {
  BAD_CRC: 64,
  MALFORMED: 65,
  UNKNOWN_TYPE: 66,
  VERSION_MISMATCH: 67,
  SAMPLE_LENGTH: 68,
  FRAME_TOO_LARGE: 69,
  OUT_OF_ORDER: 70,
  CHECKPOINT_CRC: 71,
  CHECKPOINT_SEQUENCE: 72,
  DEVICE_TRAP: 73,
  PART_ORDER: 74,
  TIMEOUT: 80,
  LINK_DESYNC: 81,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** DEVICE_TRAP detail at and above this: a CPU fault, detail - FAULT_DETAIL_BASE = exception number. */
export const FAULT_DETAIL_BASE = 256;

/**
 * The one table of wasm trap names, by DEVICE_TRAP detail = wabt 1.0.32's `wasm_rt_trap_t`.
 * Detail 0 stands for a code not listed (the glue never sends WASM_RT_TRAP_NONE:
 * wasm-rt-pool.c turns it into unreachable). The firmware's pre-encoded frames
 * (scripts/fatal-frames.ts) and the virtual device (virtual-device-child.ts) use it too.
 */
export const TRAP_NAMES = [
  'unknown',
  'oob',
  'int-overflow',
  'div-by-zero',
  'invalid-conversion',
  'unreachable',
  'call-indirect',
  'uncaught-exception',
  'exhaustion',
] as const;

/** Number of the external-interrupt entry: vectors.c reports any interrupt as this exception. */
export const FAULT_IRQ = 16;

/**
 * The one table of CPU faults, by Cortex-M exception number (DEVICE_TRAP detail =
 * FAULT_DETAIL_BASE + number): what firmware-targets/cortex-m4-qemu/vectors.c routes
 * to the fatal report. 0 stands for an exception not listed.
 */
export const FAULT_NAMES: ReadonlyArray<readonly [exception: number, name: string]> = [
  [0, 'unknown'],
  [2, 'nmi'],
  [3, 'hardfault'],
  [4, 'memmanage'],
  [5, 'busfault'],
  [6, 'usagefault'],
  [11, 'svcall'],
  [12, 'debugmon'],
  [14, 'pendsv'],
  [FAULT_IRQ, 'unexpected-irq'],
];

/**
 * What a DEVICE_TRAP detail means: "wasm trap 5 (unreachable)", "cpu fault 3 (hardfault)",
 * "cpu fault 16 (unexpected-irq)".
 */
export function describeTrap(detail: number): string {
  if (detail >= FAULT_DETAIL_BASE) {
    const exception = detail - FAULT_DETAIL_BASE;
    const entry = FAULT_NAMES.find(([n]) => n === Math.min(exception, FAULT_IRQ));
    return `cpu fault ${exception} (${entry?.[1] ?? 'unknown'})`;
  }
  return `wasm trap ${detail} (${TRAP_NAMES[detail] ?? 'unknown'})`;
}
export type ProtocolErrorCode = (typeof ErrorCode)[ErrorCodeName];

export const LEARNER_CODE_MIN = 1;
export const LEARNER_CODE_MAX = 63;
export const PROTOCOL_CODE_MIN = 64;
export const PROTOCOL_CODE_MAX = 127;

const names = new Map<number, ErrorCodeName>((Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name]));

/** "BAD_CRC" for 64, "LEARNER_12" for a learner code, "CODE_200" otherwise. */
export function errorName(code: number): string {
  const name = names.get(code);
  if (name !== undefined) return name;
  if (code >= LEARNER_CODE_MIN && code <= LEARNER_CODE_MAX) return `LEARNER_${code}`;
  return `CODE_${code}`;
}

/** What the user should do about a code (detail as defined per code in the spec). */
export function adviceFor(code: number, detail = 0, hostVersion = PROTOCOL_VERSION): string {
  switch (code) {
    case ErrorCode.BAD_CRC:
      return 'frame failed its CRC-32 check: the link is noisy or the baud rate is wrong; check the cable and that both ends use the same baud rate';
    case ErrorCode.MALFORMED:
      return 'frame or payload is malformed: host and device disagree on the message layout; rebuild both from the same ff-edge version';
    case ErrorCode.UNKNOWN_TYPE:
      return `message type 0x${detail.toString(16).padStart(2, '0')} is unknown to the receiver: rebuild the device firmware and the host from the same ff-edge version`;
    case ErrorCode.VERSION_MISMATCH:
      if (detail !== 0 && detail < hostVersion) {
        return `device speaks protocol v${detail}, this host speaks v${hostVersion}: update the device (rebuild and flash build/ff-device.wasm from this ff-edge version)`;
      }
      if (detail > hostVersion) {
        return `device speaks protocol v${detail}, this host speaks v${hostVersion}: update the host (install the ff-edge version the device was built from)`;
      }
      return `protocol version mismatch (host v${hostVersion}): rebuild host and device from the same ff-edge version`;
    case ErrorCode.SAMPLE_LENGTH:
      return detail > 0
        ? `sample length is wrong: the device expects ${detail} input values; make the source's feature count match the configured input width`
        : 'sample length is wrong: payload length does not match count x value width; check the sample encoder';
    case ErrorCode.FRAME_TOO_LARGE:
      return detail > 0
        ? `frame payload exceeds the receiver's limit of ${detail} bytes: send smaller samples or chunks (see HELLO maxPayload)`
        : "frame payload exceeds the receiver's limit: send smaller samples or chunks (see HELLO maxPayload)";
    case ErrorCode.OUT_OF_ORDER:
      return 'a frame arrived with a sequence number outside the window: restart the session (HELLO) to resynchronise';
    case ErrorCode.CHECKPOINT_CRC:
      return 'checkpoint blob CRC-32 mismatch, nothing was applied: send the checkpoint again from offset 0';
    case ErrorCode.CHECKPOINT_SEQUENCE:
      return 'checkpoint chunks out of order (or blob larger than the device can stage), nothing was applied: send the checkpoint again from offset 0';
    case ErrorCode.DEVICE_TRAP: {
      const what = describeTrap(detail);
      const memory = /oob|exhaustion|memmanage|busfault/.test(what)
        ? '; oob/exhaustion/bus faults usually mean too little RAM or stack for this model: check it with `ffedge budget`'
        : '; it is a bug in the device program or its runtime: report it with this message';
      return `the device program stopped on ${what} and has halted: reset the device (or restart the program / QEMU), then reconnect and configure it again${memory}`;
    }
    case ErrorCode.PART_ORDER:
      return `a sample part was not the next slice of the sample in progress (the device expected value ${detail}), so the sample was dropped: send a sample's parts in order as consecutive requests, starting at 0`;
    case ErrorCode.TIMEOUT:
      return 'the device stopped answering: check that it is powered and connected, the port and baud rate, and whether it crashed (its console)';
    case ErrorCode.LINK_DESYNC:
      return 'the device lost track of the session (did it restart?): reconnect so the host sends HELLO and reconfigures the device';
    default:
      if (code >= LEARNER_CODE_MIN && code <= LEARNER_CODE_MAX) {
        return `learner error ${code}: see the learner's error table`;
      }
      return `unknown error code ${code}: rebuild host and device from the same ff-edge version`;
  }
}

export interface ProtocolErrorOptions {
  /** Number whose meaning depends on the code (docs/protocol.md §7). */
  detail?: number;
  /** The device reported it in an ERROR frame (false: the host detected it). */
  remote?: boolean;
  /** Sequence number of the frame concerned, if any. */
  seq?: number;
  /** The short ASCII text the device sent, if any. */
  deviceText?: string;
  /** What exactly was wrong, for the message ("sample of 3 int8 values needs 15 bytes, got 14"). */
  context?: string;
  cause?: unknown;
}

/** A protocol failure with a stable numeric `code` and a message saying what to do. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: number;
  readonly detail: number;
  readonly remote: boolean;
  readonly seq: number | undefined;
  readonly deviceText: string | undefined;

  constructor(code: number, message?: string, options: ProtocolErrorOptions = {}) {
    const detail = options.detail ?? 0;
    const where = options.remote ? 'device reported' : 'host detected';
    const said = options.deviceText ? ` "${options.deviceText}"` : '';
    const context = options.context ? `: ${options.context}` : '';
    super(
      message ?? `${errorName(code)} (${where}${said}${context}) — ${adviceFor(code, detail)}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.detail = detail;
    this.remote = options.remote ?? false;
    this.seq = options.seq;
    this.deviceText = options.deviceText;
  }
}
