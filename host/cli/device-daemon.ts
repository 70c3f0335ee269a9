// `ffedge device start | stop | status`: a virtual device that outlives one
// command, so its weights carry from one call to the next (ffedge stream, then
// ffedge checkpoint get, then --load-checkpoint runs, ...). It is the pty device
// of host/transport/pty.ts started detached: socat in its own session, a pty link
// in the state directory, and a small state file naming its pid and path.
// Later commands reach it with --port PATH or --device running.
//
// State directory: $XDG_RUNTIME_DIR/ffedge (per user, cleared at logout), else
// <tmpdir>/ffedge-<uid>. Non-goals: several named devices, QEMU boards as daemons.

import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPtyDevice } from '../transport/pty.js';
import { TransportError } from '../transport/errors.js';
import { UsageError } from './errors.js';

export interface DeviceState {
  /** socat's pid; the device program is its child. */
  pid: number;
  /** The pty link to open as a serial port. */
  path: string;
  /** socat's and the device's stderr. */
  log: string;
  ramLimitBytes: number;
  started: string;
}

export function stateDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, 'ffedge') : join(tmpdir(), `ffedge-${process.getuid?.() ?? 'user'}`);
}

const stateFile = (): string => join(stateDir(), 'device.json');

/** Whether `pid` is still the socat serving `path` (not a reused pid). */
function alive(state: DeviceState): boolean {
  try {
    process.kill(state.pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').includes(state.path);
  } catch {
    return true; // no /proc (macOS): the signal check is all there is
  }
}

/** The running device's state, or undefined (a stale file is removed). */
export function runningDevice(): DeviceState | undefined {
  let state: DeviceState;
  try {
    state = JSON.parse(readFileSync(stateFile(), 'utf8')) as DeviceState;
  } catch {
    return undefined;
  }
  if (alive(state)) return state;
  rmSync(stateFile(), { force: true });
  return undefined;
}

/** The pty path of `--device running`. */
export function runningDevicePath(): string {
  const state = runningDevice();
  if (!state)
    throw new TransportError('not-found', 'no virtual device is running: start one with ffedge device start (then use --device running or --port PATH)');
  return state.path;
}

export async function deviceStartCommand(flags: { ramLimit?: string; virtual?: boolean }): Promise<void> {
  const running = runningDevice();
  if (running) throw new UsageError(`a virtual device is already running on ${running.path} (pid ${running.pid}): use it, or ffedge device stop first`);
  let ramLimitBytes = 0;
  if (flags.ramLimit !== undefined) {
    ramLimitBytes = Number(flags.ramLimit);
    if (!Number.isInteger(ramLimitBytes) || ramLimitBytes < 0)
      throw new UsageError(`--ram-limit must be an integer >= 0, got ${JSON.stringify(flags.ramLimit)}`);
  }
  const dir = stateDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const link = join(dir, 'device');
  const log = join(dir, 'device.log');
  rmSync(link, { force: true }); // a link left by a killed socat
  const device = await startPtyDevice({ link, detachedLog: log, ramLimitBytes });
  const state: DeviceState = { pid: device.process.pid!, path: device.path, log, ramLimitBytes, started: new Date().toISOString() };
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
  let tty = '';
  try {
    tty = `, ${realpathSync(link)}`;
  } catch {
    /* shown without it */
  }
  process.stdout.write(
    `virtual device running on ${device.path} (pid ${state.pid}${tty}); it keeps its model between commands\n` +
      `use it:   ffedge stream --port ${device.path}     (or --device running)\n` +
      '          ffedge checkpoint get model.ffck --device running\n' +
      'stop it:  ffedge device stop\n',
  );
}

export async function deviceStopCommand(): Promise<void> {
  const state = runningDevice();
  if (!state) {
    process.stdout.write('no virtual device is running\n');
    return;
  }
  process.kill(state.pid, 'SIGTERM'); // socat passes it on to the device
  const deadline = Date.now() + 3000;
  while (alive(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(state)) process.kill(state.pid, 'SIGKILL');
  rmSync(stateFile(), { force: true });
  if (existsSync(state.path)) rmSync(state.path, { force: true });
  process.stdout.write(`stopped the virtual device on ${state.path} (pid ${state.pid})\n`);
}

export function deviceStatusCommand(flags: { json?: boolean }): void {
  const state = runningDevice();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(state ? { running: true, ...state } : { running: false })}\n`);
    return;
  }
  process.stdout.write(
    state
      ? `virtual device running on ${state.path} (pid ${state.pid}, since ${state.started}, RAM limit ${state.ramLimitBytes || 'none'}); log ${state.log}\n`
      : 'no virtual device is running (ffedge device start)\n',
  );
}
