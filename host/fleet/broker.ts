// Where a fleet's messages go: an embedded broker in this process (aedes, so
// `ffedge fleet` works with nothing installed), or any MQTT broker by URL
// (mosquitto, EMQX, HiveMQ; mqtt://, mqtts://, user:password@ in the URL) via
// the `mqtt` client. `startMosquitto` runs Debian's mosquitto on a free
// localhost port for tests and the benchmark.
//
// Non-goals: broker clustering, TLS certificates on the embedded broker.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as connectTcp, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

export class BrokerError extends Error {
  override name = 'BrokerError';
}

export interface RunningBroker {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** aedes on 127.0.0.1 (port 0 = any free port). */
export async function startEmbeddedBroker(port = 0, host = '127.0.0.1'): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new BrokerError(`port ${port} is in use: pass another --broker-port (0 = any free port)`) : err),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_MISSING = 'mosquitto is not installed: sudo apt-get install mosquitto (scripts/setup-toolchains.sh installs it)';

export function mosquittoPath(): string | null {
  for (const p of [MOSQUITTO, '/usr/bin/mosquitto']) if (existsSync(p)) return p;
  return null;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new BrokerError(`mosquitto exited with code ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connectTcp(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new BrokerError(`mosquitto did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * mosquitto on 127.0.0.1 with a temporary config: anonymous clients, and
 * queues deep enough that a slow QoS-1 subscriber is not dropped messages
 * (the default max_queued_messages is 1000 per client).
 */
export async function startMosquitto(port?: number): Promise<RunningBroker & { process: ChildProcess }> {
  const bin = mosquittoPath();
  if (!bin) throw new BrokerError(MOSQUITTO_MISSING);
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ffedge-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${p} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'max_inflight_messages 100',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  child.stderr!.on('data', (d: Buffer) => {
    said = (said + d.toString()).slice(-2000);
  });
  try {
    await waitForPort(p, child, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new BrokerError(`${(err as Error).message}${said ? `; it said: ${said.trim()}` : ''}`);
  }
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    process: child,
    close: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ClientOptions {
  clientId: string;
  /** The retained message the broker publishes if this client vanishes (MQTT last will). */
  will?: { topic: string; payload: Buffer };
  /** Seconds without traffic before the broker declares the client gone (default 10). */
  keepalive?: number;
}

/** Connects to a broker; a refusal becomes a BrokerError that says what to start. */
export async function connectClient(url: string, options: ClientOptions): Promise<MqttClient> {
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) {
    throw new BrokerError(`broker URL ${JSON.stringify(url)} must start with mqtt:// or mqtts:// (e.g. mqtt://localhost:1883)`);
  }
  const opts: IClientOptions = {
    clientId: options.clientId,
    clean: true,
    keepalive: options.keepalive ?? 10,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
    ...(options.will ? { will: { topic: options.will.topic, payload: options.will.payload, qos: 1, retain: true } } : {}),
  };
  try {
    return await connectAsync(url, opts);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'nothing listens there' : (err as Error).message;
    throw new BrokerError(`cannot connect to the MQTT broker at ${url} (${why}): start one (mosquitto -p 1883) or leave out --broker to use the embedded one`);
  }
}

/** Publishes at QoS 1 and resolves when the broker acknowledged it (PUBACK). */
export function publish(client: MqttClient, topic: string, payload: Buffer, retain = false): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve()));
  });
}

/** Ends the connection at once without DISCONNECT, as a crashed process would: the broker sends the last will. */
export function dropConnection(client: MqttClient): void {
  client.stream?.destroy();
  client.end(true);
}
