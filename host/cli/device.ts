// Device flags shared by the commands that talk to a device, and opening a
// session from them.

import type { Command } from 'commander';
import { Session, type RecordSink, type SessionOptions } from '../session/index.js';
import { createTransport, DEVICE_KINDS, LossyTransport, type DeviceKind, type Transport } from '../transport/index.js';
import { describeArenaFree, type SampleEncoding } from '../protocol/index.js';
import { UsageError } from './errors.js';
import { FIRMWARE_BOARDS, type FirmwareBoardName } from '../boards.js';

export interface DeviceFlags {
  device?: string;
  port?: string;
  baud?: string;
  ramLimit?: string;
  elf?: string;
  board?: string;
  lossy?: string;
  encoding?: string;
  heartbeatMs?: string;
  rtoMinMs?: string;
}

export function addDeviceOptions(command: Command): Command {
  return command
    .option(
      '--device <kind>',
      `device: ${DEVICE_KINDS.filter((k) => k !== 'serial').join(' | ')} | running (the one ffedge device start left running) (default virtual; --port implies serial)`,
    )
    .option('--port <path>', 'serial port of a board running the ff-edge device firmware (see `ffedge ports`)')
    .option('--baud <n>', 'baud rate of --port (default 115200)')
    .option('--ram-limit <bytes>', 'virtual/pty device: emulate an MCU with this much RAM')
    .option('--board <name>', `qemu device: ${FIRMWARE_BOARDS.map((b) => b.name).join(' | ')} (default cortex-m4-qemu)`)
    .option('--elf <path>', 'qemu device: firmware ELF (default firmware-targets/<board>/build/fw.elf)')
    .option('--encoding <enc>', 'sample values on the wire: f32 | int8 | int16 (smaller for slow links)', 'f32')
    .option('--heartbeat-ms <ms>', 'PING after this long without a frame; 3 missed PINGs end the session (default 1000)')
    .option('--rto-min-ms <ms>', 'lowest retransmission timeout (default 200; raise it on slow links)')
    .option('--lossy <p>', 'damage the link on purpose: flip a bit in this fraction of 64-byte pieces each way (shows recovery)');
}

function integer(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

export async function makeTransport(flags: DeviceFlags): Promise<Transport> {
  if (flags.device === 'running') {
    if (flags.port !== undefined)
      throw new UsageError('--port and --device running exclude each other: --device running is the port ffedge device start printed');
    const { runningDevicePath } = await import('./device-daemon.js');
    const { device: _running, ...rest } = flags;
    flags = { ...rest, port: runningDevicePath() };
  }
  const device = flags.device as DeviceKind | undefined;
  if (device !== undefined && (!DEVICE_KINDS.includes(device) || device === 'serial')) {
    throw new UsageError(`--device must be virtual, pty, qemu or running (use --port PATH for a serial board); got ${JSON.stringify(flags.device)}`);
  }
  if (device !== undefined && flags.port !== undefined) throw new UsageError('--port and --device exclude each other: --port means a serial board');
  const baudRate = integer('--baud', flags.baud, 1);
  const ramLimitBytes = integer('--ram-limit', flags.ramLimit, 0);
  if (flags.board !== undefined && !FIRMWARE_BOARDS.some((b) => b.name === flags.board)) {
    throw new UsageError(`--board must be one of ${FIRMWARE_BOARDS.map((b) => b.name).join(', ')}; got ${JSON.stringify(flags.board)}`);
  }
  let transport = await createTransport({
    ...(device !== undefined ? { device } : {}),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(baudRate !== undefined ? { baudRate } : {}),
    ...(ramLimitBytes !== undefined ? { ramLimitBytes } : {}),
    ...(flags.elf !== undefined ? { elf: flags.elf } : {}),
    ...(flags.board !== undefined ? { board: flags.board as FirmwareBoardName } : {}),
  });
  if (flags.lossy !== undefined) {
    const p = Number(flags.lossy);
    if (!(p >= 0 && p <= 0.5)) throw new UsageError(`--lossy must be a probability in [0, 0.5], got ${JSON.stringify(flags.lossy)}`);
    transport = new LossyTransport(transport, { seed: 1, flipProbability: p, dropProbability: p / 2 });
  }
  return transport;
}

export function sessionOptions(flags: DeviceFlags, log?: RecordSink): SessionOptions {
  const encoding = flags.encoding ?? 'f32';
  if (!['f32', 'int8', 'int16'].includes(encoding)) throw new UsageError(`--encoding must be f32, int8 or int16; got ${JSON.stringify(encoding)}`);
  const heartbeat = integer('--heartbeat-ms', flags.heartbeatMs, 1);
  const rtoMin = integer('--rto-min-ms', flags.rtoMinMs, 1);
  return {
    encoding: encoding as SampleEncoding,
    ...(log ? { log } : {}),
    ...(heartbeat !== undefined ? { heartbeatIdleMs: heartbeat } : {}),
    ...(rtoMin !== undefined ? { rtoMinMs: rtoMin, rtoInitialMs: Math.max(1000, rtoMin) } : {}),
  };
}

/** Opens the link and shakes hands; tells the user what it is doing on stderr. */
export async function openSession(flags: DeviceFlags, log?: RecordSink, quiet = false): Promise<Session> {
  const transport = await makeTransport(flags);
  const options = sessionOptions(flags, log);
  if (!quiet) process.stderr.write(`connecting to ${transport.description} ...\n`);
  const session = await Session.connect(transport, options);
  if (!quiet) {
    const d = session.device;
    const free = describeArenaFree(d.arenaFree);
    process.stderr.write(`device ${d.runtime}: protocol v${d.protocolVersion}, window ${d.window}, max payload ${d.maxPayload} B, arena free ${free}\n`);
  }
  return session;
}
