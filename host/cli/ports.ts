// `ffedge ports`: serial ports the OS knows. SerialPort.list() needs udevadm on
// Linux (DESIGN.md facts); without it, fall back to the usual device names.

import { readdirSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { renderTable } from '../logs/summary.js';

const LIKELY = /^(ttyACM\d+|ttyUSB\d+|ttyAMA\d+|ttyS\d+|cu\..+|tty\.usb.+)$/;

function devicesByName(): string[] {
  const found: string[] = [];
  try {
    for (const name of readdirSync('/dev/serial/by-id')) found.push(`/dev/serial/by-id/${name}`);
  } catch {
    /* no USB serial devices, or not Linux */
  }
  try {
    for (const name of readdirSync('/dev')) if (LIKELY.test(name) && !/^ttyS\d+$/.test(name)) found.push(`/dev/${name}`);
  } catch {
    /* no /dev */
  }
  return found;
}

export async function portsCommand(flags: { json?: boolean }): Promise<void> {
  let ports: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    ports = await SerialPort.list();
  } catch (err) {
    const why = (err as Error).message;
    const hint = /udevadm/.test(why) ? ' (udevadm is missing: install udev, or read the device names below)' : '';
    process.stderr.write(`ffedge: cannot list serial ports with details: ${why}${hint}\n`);
    const names = devicesByName();
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify(
          names.map((path) => ({ path })),
          null,
          2,
        )}\n`,
      );
    else if (names.length === 0)
      process.stdout.write('no serial devices found under /dev (ttyACM*, ttyUSB*, serial/by-id); plug the board in, or use --device virtual\n');
    else process.stdout.write(`serial devices by name:\n${names.map((n) => `  ${n}`).join('\n')}\n`);
    return;
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(ports, null, 2)}\n`);
    return;
  }
  if (ports.length === 0) {
    process.stdout.write('no serial ports found; plug the board in (check dmesg), or use --device virtual\n');
    return;
  }
  process.stdout.write(
    `${renderTable(
      ['path', 'manufacturer', 'serial number', 'vendor:product'],
      ports.map((p) => [p.path, p.manufacturer ?? '', p.serialNumber ?? '', p.vendorId ? `${p.vendorId}:${p.productId ?? ''}` : '']),
      ['left', 'left', 'left', 'left'],
    )}\n`,
  );
}
