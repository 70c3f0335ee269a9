// `ffedge monitor --port P`: every frame a device sends, decoded, one line each
// (HELLO, GOODNESS, PONG, ERROR, ...). It asks for HELLO once and PINGs every
// second, so a device that says nothing shows as "no frame for N s" rather than
// as an empty screen. `ffedge reset --port P`: send RESET (docs/protocol.md §5.1)
// and report the device's answer.
//
// Non-goals: sending samples (that is ffedge stream), sharing a port with a
// running session (serialport locks it).

import { Deframer, decodeMessage, describeArenaFree, encodeMessage, errorFromMessage, errorName, type Frame, type Message } from '../protocol/index.js';
import { TransportError } from '../transport/errors.js';
import type { TransportCloseInfo } from '../transport/transport.js';
import { makeTransport, openSession, type DeviceFlags } from './device.js';
import { UsageError } from './errors.js';

export interface MonitorFlags extends DeviceFlags {
  count?: string;
  pingMs?: string;
}

const round = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

/** One line for one decoded message, in the protocol's field names. */
export function describeMessage(message: Message, seq: number): string {
  switch (message.type) {
    case 'HELLO':
      return (
        `HELLO seq ${seq}: ${message.runtime}, protocol v${message.protocolVersion}, window ${message.window}, max payload ${message.maxPayload} B, ` +
        `arena free ${describeArenaFree(message.arenaFree)}, next expected ${message.nextExpected}, build ${message.buildId.toString(16)}`
      );
    case 'GOODNESS':
      return (
        `GOODNESS seq ${seq}: sample ${message.sampleSeq}, step ${message.step}${message.prediction !== null ? `, predicted ${message.prediction}` : ''}${message.drift ? ', DRIFT' : ''}; ` +
        message.layers
          .map(
            (l, i) =>
              `layer ${i + 1} pos ${round(l.goodnessPositive)} neg ${round(l.goodnessNegative)} loss ${round(l.loss)} active ${round(l.activeFraction)}`,
          )
          .join('; ')
      );
    case 'ERROR':
      return `ERROR seq ${seq}: ${errorName(message.code)} (code ${message.code}, detail ${message.detail}) "${message.text}" — ${errorFromMessage(message, seq).message}`;
    case 'PONG':
      return `PONG seq ${seq}: next expected ${message.nextExpected}, frames ok ${message.framesOk}, bad CRC ${message.badCrc}, malformed ${message.malformed}, too large ${message.tooLarge}`;
    case 'PREDICTION':
      return `PREDICTION seq ${seq}: label ${message.label}, scores ${Array.from(message.scores, round).join(' ')}`;
    case 'CHECKPOINT_DATA':
    case 'CHECKPOINT_PUT':
      return `${message.type} seq ${seq}: ${message.data.length} B at ${message.offset} of ${message.total}, blob CRC ${message.blobCrc.toString(16).padStart(8, '0')}`;
    default: {
      const fields = Object.entries(message)
        .filter(([k]) => k !== 'type')
        .map(([k, v]) => `${k} ${typeof v === 'object' && v !== null && 'length' in v ? `[${(v as ArrayLike<unknown>).length}]` : String(v)}`);
      return `${message.type} seq ${seq}${fields.length ? `: ${fields.join(', ')}` : ''}`;
    }
  }
}

function positive(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag} must be an integer >= 1, got ${JSON.stringify(text)}`);
  return v;
}

export async function monitorCommand(flags: MonitorFlags): Promise<void> {
  if (flags.port === undefined && flags.device === undefined)
    throw new UsageError('monitor needs --port PATH (a board, a QEMU pty) or --device running (ffedge device start)');
  const count = positive('--count', flags.count);
  const pingMs = positive('--ping-ms', flags.pingMs) ?? 1000;
  const transport = await makeTransport(flags);
  await transport.open();
  process.stderr.write(`monitoring ${transport.description} (a PING every ${pingMs} ms; Ctrl-C ends)\n`);
  const started = Date.now();
  let lastFrame = Date.now();
  let frames = 0;
  let tag = 0;
  const stamp = (): string => `${((Date.now() - started) / 1000).toFixed(3).padStart(8)}s`;
  const send = (message: Message): void => {
    tag = (tag + 1) & 0xffff;
    transport.write(encodeMessage(message, tag)).catch(() => undefined); // a dead link shows as close
  };

  let timer: NodeJS.Timeout | undefined;
  let stop: (() => void) | undefined;
  try {
    await new Promise<void>((done, fail) => {
      const deframer = new Deframer({ onDrop: (code) => process.stdout.write(`${stamp()}  dropped a frame: ${errorName(code)}\n`) });
      const onFrame = (frame: Frame): void => {
        lastFrame = Date.now();
        let line: string;
        try {
          line = describeMessage(decodeMessage(frame), frame.seq);
        } catch (err) {
          line = `undecodable frame type 0x${frame.type.toString(16)} seq ${frame.seq}: ${(err as Error).message}`;
        }
        process.stdout.write(`${stamp()}  ${line}\n`);
        if (count !== undefined && ++frames >= count) done();
      };
      transport.on('data', (chunk) => {
        for (const frame of deframer.push(chunk)) onFrame(frame);
      });
      transport.on('close', (info: TransportCloseInfo) => {
        if (info.disconnected)
          fail(new TransportError('not-open', `${transport.description} went away: ${info.reason ?? 'the device stopped'}`, { disconnected: true }));
      });
      timer = setInterval(() => {
        const quiet = Date.now() - lastFrame;
        if (quiet >= 3 * pingMs)
          process.stdout.write(`${stamp()}  no frame for ${(quiet / 1000).toFixed(1)} s (check the baud rate, the cable, that the firmware runs)\n`);
        send({ type: 'PING' });
      }, pingMs);
      stop = done;
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      send({ type: 'HELLO_REQUEST' });
    });
  } finally {
    clearInterval(timer);
    if (stop) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    await transport.close();
  }
}

export async function resetCommand(flags: DeviceFlags & { quiet?: boolean }): Promise<void> {
  if (flags.port === undefined && flags.device === undefined)
    throw new UsageError('reset needs --port PATH (a board, a QEMU pty) or --device running (ffedge device start)');
  const session = await openSession(flags, undefined, flags.quiet ?? false);
  try {
    await session.reset();
    process.stdout.write(
      `${session.device.runtime} answered RESET with ACK (applied): its learner is back to "not configured" (weights and config dropped); configure it again with ffedge stream or ffedge checkpoint put\n`,
    );
  } finally {
    await session.close();
  }
}
