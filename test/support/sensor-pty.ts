// A sensor board for CLI tests: a socat pty pair, one end written by the test
// as a board prints CSV readings, the other opened by \`ffedge\` as serial-sensor:PORT.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

export function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** A socat pty pair: the test writes to `board`, the CLI reads `sensor`. */
export async function ptyPair(dir: string): Promise<{ board: string; sensor: string; stop: () => void }> {
  const board = join(dir, 'board'),
    sensor = join(dir, 'sensor');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${board}`, `pty,raw,echo=0,link=${sensor}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(board) && existsSync(sensor))) {
    if (Date.now() > deadline) throw new Error('socat links did not appear');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { board, sensor, stop: () => socat.kill('SIGTERM') };
}

/** Writes lines in batches (default 64 every 40 ms) until `until()` (or `limitMs`); returns how many. */
export async function feedBoard(
  path: string,
  line: (i: number) => string,
  until: () => boolean,
  limitMs = 30_000,
  pace: { batch: number; everyMs: number } = { batch: 64, everyMs: 40 },
): Promise<number> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200 }, (err) => (err ? reject(err) : resolve(p)));
  });
  const deadline = Date.now() + limitMs;
  let i = 0;
  while (!until() && Date.now() < deadline) {
    const batch: string[] = [];
    for (let k = 0; k < pace.batch; k++) batch.push(line(i++));
    // Nobody reading the far end (the CLI already gone): the pty fills up; never wait on it.
    if (port.writableLength < 65536) port.write(batch.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, pace.everyMs));
  }
  await Promise.race([new Promise<void>((r) => port.drain(() => r())), new Promise((r) => setTimeout(r, 1000))]);
  await Promise.race([new Promise<void>((r) => port.close(() => r())), new Promise((r) => setTimeout(r, 1000))]);
  return i;
}
