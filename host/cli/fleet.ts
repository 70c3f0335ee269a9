// `ffedge fleet`: many devices at once over MQTT, with federated averaging of
// their FF layers (host/fleet). Three ways to run it:
//
//   ffedge fleet --devices virtual:8                 devices + coordinator here, embedded broker
//   ffedge fleet --join mqtt://broker --fleet F --port /dev/ttyACM0 --shard 2/8    devices only
//   ffedge fleet --coordinator --broker mqtt://broker --fleet F --min-devices 8    coordinator only
//
// Progress (every device) on stderr, the round table on stdout.

import { Option, type Command } from 'commander';
import { hostname } from 'node:os';
import type { LearnerConfig } from '../learner/config.js';
import {
  Coordinator,
  FleetProgress,
  averageEvaluator,
  fleetData,
  parseDevices,
  parseShare,
  parseSplit,
  runLocalFleet,
  checkName,
  labelInputs,
  serveFleetPage,
  sharedBytes,
  watchFleet,
  weightBytes,
  FLEET_SOURCES,
  type DeviceSpec,
  type RoundResult,
} from '../fleet/index.js';
import { UsageError } from './errors.js';

export interface FleetFlags {
  devices?: string;
  port?: string[];
  broker?: string;
  join?: string;
  coordinator?: boolean;
  fleet: string;
  source: string;
  split: string;
  shard?: string;
  rounds: string;
  roundSamples: string;
  share: string;
  localOnly?: boolean;
  serverMomentum: string;
  plainLabelAverage?: boolean;
  minDevices?: string;
  recordEvery: string;
  evalSamples: string;
  averageEvalSamples?: string;
  roundTimeout: string;
  layers?: string;
  lr?: string;
  optimizer?: string;
  seed: string;
  name?: string;
  quiet?: boolean;
}

function int(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
}

export function addFleetCommand(program: Command): void {
  program
    .command('fleet')
    .description('many devices at once over MQTT: live goodness from every device, federated averaging (FedAvg) of the FF layers')
    .option('--devices <list>', 'devices on this host: virtual[:N], pty[:N], qemu[:N], comma-separated (default virtual:4 unless --port)')
    .option('--port <path>', 'a serial board running the device firmware (repeat for several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--broker <url>', 'an MQTT broker (mqtt://host:1883, mqtts://user:pass@host:8883); default: an embedded broker in this process')
    .option('--join <url>', "join a fleet on this broker with this host's devices; the coordinator runs elsewhere (--coordinator)")
    .option('--coordinator', 'run only the coordinator (needs --broker); devices --join from any host')
    .option('--fleet <name>', 'fleet name (one MQTT topic level: ffedge/<fleet>/<device>/<kind>)', 'ffedge')
    .addOption(new Option('--source <name>', 'training data, split across the devices').choices([...FLEET_SOURCES]).default('mnist'))
    .option('--split <mode>', 'iid | by-class:K (non-IID: K classes per device)', 'iid')
    .option('--shard <k/n>', "with --join: the whole fleet has n devices; this host's take parts k, k+1, ... (default 0/<devices here>)")
    .option('--rounds <n>', 'federated rounds', '5')
    .option('--round-samples <n>', 'samples each device trains per round', '500')
    .option('--share <layers>', 'all | lower:K (average the lower K layers, keep the rest personal)', 'all')
    .option('--server-momentum <beta>', 'FedAvgM server momentum in [0, 1) (0 = plain FedAvg)', '0')
    .option('--plain-label-average', 'average the label-overlay inputs over all devices, not only over those holding each class')
    .option('--local-only', 'no averaging: the rounds only pace the devices (the local-only baseline)')
    .option('--min-devices <n>', 'coordinator: wait for this many devices before round 1 (default: the devices here, or 1)')
    .option('--record-every <n>', 'publish aggregated training goodness every n samples', '100')
    .option('--eval-samples <n>', 'held-out samples each device evaluates after an average (0 = none)', '500')
    .option('--average-eval-samples <n>', 'test samples the coordinator evaluates each average on (default all; 0 = none)')
    .option('--round-timeout <s>', 'a round goes on without devices not done after this many seconds', '600')
    .option('--layers <widths>', 'hidden layer widths (default mnist 256, imu 64,32)')
    .option('--lr <rate>', 'learning rate')
    .option('--optimizer <name>', "sgd | adam (default: the source's model, Adam); each round restarts it, so SGD suits non-IID rounds (docs/fleet.md)")
    .option('--seed <n>', 'seed of the split, data order and model', '1')
    .option('--name <prefix>', "device name prefix (default: this host's name)")
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Topics (QoS 1): ffedge/<fleet>/<device>/{status (retained; last will = offline), train, eval, link, drift, weights, model}
and ffedge/<fleet>/_coordinator/{status, round, model, eval, summary}. Watch them: ffedge logs live --mqtt URL --fleet NAME.
A CHECKPOINT_PUT of the average restarts each device's optimizer state and step count (see docs/fleet.md).

Examples:
  ffedge fleet --devices virtual:8 --split by-class:2 --rounds 10
  ffedge fleet --broker mqtt://localhost:1883 --devices virtual:4,pty:1 --share lower:1
  ffedge fleet --coordinator --broker mqtt://broker:1883 --fleet lab --min-devices 2
  ffedge fleet --join mqtt://broker:1883 --fleet lab --port /dev/ttyACM0 --shard 0/2`,
    )
    .action(async (flags: FleetFlags) => fleetCommand(flags));
}

function modelConfig(flags: FleetFlags, base: LearnerConfig): LearnerConfig {
  const config: LearnerConfig = { ...base };
  if (flags.layers !== undefined) {
    const layers = flags.layers.split(',').map((w) => Number(w));
    if (layers.length === 0 || layers.some((w) => !Number.isInteger(w) || w < 1))
      throw new UsageError(`--layers takes positive widths like 256 or 64,32; got ${JSON.stringify(flags.layers)}`);
    config.layers = layers;
  }
  if (flags.lr !== undefined) {
    const lr = Number(flags.lr);
    if (!(lr > 0 && lr <= 1)) throw new UsageError(`--lr must be in (0, 1], got ${JSON.stringify(flags.lr)}`);
    config.learningRate = lr;
  }
  if (flags.optimizer !== undefined) {
    if (flags.optimizer !== 'sgd' && flags.optimizer !== 'adam') throw new UsageError(`--optimizer takes sgd or adam, got ${JSON.stringify(flags.optimizer)}`);
    config.optimizer = flags.optimizer;
  }
  return config;
}

function printRound(r: RoundResult): void {
  const excluded = r.excluded.map((e) => `${e.device} (${e.reason})`).join('; ');
  process.stdout.write(
    `round ${r.round}: averaged ${r.averaged.length} devices, ${r.samples} samples, accuracy ${r.accuracy === null ? '-' : r.accuracy.toFixed(4)}, ` +
      `${(r.bytesIn / 1024).toFixed(0)} KiB in, ${(r.bytesOut / 1024).toFixed(0)} KiB out, ${r.seconds.toFixed(1)} s${excluded ? `; left out: ${excluded}` : ''}\n`,
  );
}

export async function fleetCommand(flags: FleetFlags): Promise<void> {
  const seed = int('--seed', flags.seed, 0);
  const rounds = int('--rounds', flags.rounds, 1);
  const roundSamples = int('--round-samples', flags.roundSamples, 1);
  const recordEvery = int('--record-every', flags.recordEvery, 1);
  const evalSamples = int('--eval-samples', flags.evalSamples, 0);
  const roundTimeoutMs = int('--round-timeout', flags.roundTimeout, 1) * 1000;
  const share = usage(() => parseShare(flags.share));
  const split = usage(() => parseSplit(flags.split));
  const serverMomentum = Number(flags.serverMomentum);
  if (!(serverMomentum >= 0 && serverMomentum < 1))
    throw new UsageError(`--server-momentum takes a number in [0, 1) (0 = plain FedAvg), got ${JSON.stringify(flags.serverMomentum)}`);
  if (flags.join !== undefined && flags.coordinator) throw new UsageError('--join (devices) and --coordinator exclude each other: run them as two commands');
  if (flags.join !== undefined && flags.broker !== undefined) throw new UsageError('--join already names the broker: drop --broker');
  if (flags.coordinator && flags.broker === undefined) throw new UsageError('--coordinator needs --broker URL (the broker the devices --join)');
  const data = fleetData(flags.source, seed);
  const config = modelConfig(flags, data.config);
  const quiet = flags.quiet === true;
  const say = (m: string): void => {
    if (!quiet) process.stderr.write(`${m}\n`);
  };

  if (flags.coordinator) {
    if (flags.devices !== undefined || flags.port !== undefined)
      throw new UsageError('--coordinator runs no devices: drop --devices/--port (start them with --join)');
    const minDevices = flags.minDevices === undefined ? 1 : int('--min-devices', flags.minDevices, 1);
    const averageEval = flags.averageEvalSamples === undefined ? data.test.count : int('--average-eval-samples', flags.averageEvalSamples, 0);
    const evaluator = !flags.localOnly && averageEval > 0 && share.layers === 'all' ? await averageEvaluator(config, data, averageEval) : undefined;
    const { view, close } = await watchFleet(flags.broker!, flags.fleet);
    const progress = quiet ? undefined : new FleetProgress(view, rounds);
    const coordinator = await Coordinator.start({
      fleet: flags.fleet,
      brokerUrl: flags.broker!,
      rounds,
      roundSamples,
      average: !flags.localOnly,
      minDevices,
      roundTimeoutMs,
      sharedBytes: usage(() => sharedBytes(config, share)),
      weightBytes: weightBytes(config),
      serverMomentum,
      labelInputs: flags.plainLabelAverage ? null : labelInputs(config),
      ...(evaluator ? { evaluate: evaluator.evaluate } : {}),
    });
    coordinator.on('warning', (m: string) => (progress ? progress.log(m) : say(m)));
    coordinator.on('rejoin', (d: string, r: number) => say(`${d} rejoined: sent it the average of round ${r}`));
    coordinator.on('summary', printRound);
    say(`coordinator of fleet ${flags.fleet} on ${flags.broker}: waiting for ${minDevices} device(s)`);
    progress?.start();
    try {
      await coordinator.run();
    } finally {
      progress?.stop();
      await coordinator.stop();
      await close();
      await evaluator?.close();
    }
    return;
  }

  const devices: DeviceSpec[] = [];
  if (flags.devices !== undefined) devices.push(...usage(() => parseDevices(flags.devices!)));
  for (const port of flags.port ?? []) devices.push({ device: 'serial', port });
  if (devices.length === 0) devices.push(...parseDevices('virtual:4'));
  const prefix = flags.name ?? (hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'host');
  let shard = { first: 0, parts: devices.length };
  if (flags.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flags.shard);
    if (!m || Number(m[1]) + devices.length > Number(m[2]))
      throw new UsageError(
        `--shard k/n: this host's ${devices.length} device(s) take parts k..k+${devices.length - 1}, which must be below n; got ${JSON.stringify(flags.shard)}`,
      );
    shard = { first: Number(m[1]), parts: Number(m[2]) };
  }
  devices.forEach((d, i) => {
    d.name = `${prefix}-${shard.first + i}`;
  });
  const joining = flags.join !== undefined;
  let stopWatch: (() => Promise<void>) | undefined;
  let progress: FleetProgress | undefined;
  say(
    `fleet ${flags.fleet}: ${devices.length} device(s) on ${data.name}, split ${flags.split}${joining ? `, joining ${flags.join}` : `, ${rounds} rounds of ${roundSamples} samples, share ${flags.share}${flags.localOnly ? ' (local only)' : ''}`}`,
  );
  const result = await runLocalFleet({
    fleet: flags.fleet,
    ...((flags.join ?? flags.broker) ? { brokerUrl: (flags.join ?? flags.broker)! } : {}),
    devices,
    data,
    config,
    split,
    shard,
    seed,
    coordinator: !joining,
    average: !flags.localOnly,
    rounds,
    roundSamples,
    share,
    recordEvery,
    deviceEvalSamples: evalSamples,
    roundTimeoutMs,
    serverMomentum,
    labelHolders: flags.plainLabelAverage !== true,
    ...(flags.minDevices !== undefined ? { minDevices: int('--min-devices', flags.minDevices, 1) } : {}),
    ...(flags.averageEvalSamples !== undefined ? { averageEvalSamples: int('--average-eval-samples', flags.averageEvalSamples, 0) } : {}),
    onBroker: async (url) => {
      if (!flags.broker && !joining) say(`embedded MQTT broker at ${url} (watch: ffedge logs live --mqtt ${url} --fleet ${flags.fleet})`);
      if (quiet) return;
      const watch = await watchFleet(url, flags.fleet);
      stopWatch = watch.close;
      progress = new FleetProgress(watch.view, joining ? null : rounds);
      progress.start();
    },
    onRunner: (runner) => {
      runner.on('error', (err: Error) => say(`${runner.name}: ${err.message} (left out until it is started again)`));
      runner.on('warning', (m: string) => say(m));
      if (joining) say(`${runner.name} joined; waiting for the coordinator's rounds`);
    },
    onCoordinator: (c) => {
      c.on('warning', (m: string) => (progress ? progress.log(m) : say(m)));
      c.on('summary', printRound);
    },
  }).finally(async () => {
    progress?.stop();
    await stopWatch?.();
  });
  const trained = result.runners.reduce((s, r) => s + r.counts.trained, 0);
  process.stdout.write(
    `${devices.length} device(s) trained ${trained.toLocaleString('en-US')} samples in ${result.seconds.toFixed(1)} s (${Math.round(trained / result.seconds)} samples/s)\n`,
  );
}

/** `ffedge logs live` without --mqtt needs the log file. */
export function requireLogFile(file: string | undefined): string {
  if (file === undefined) throw new UsageError('ffedge logs live needs a goodness log FILE, or --mqtt URL --fleet NAME for a fleet');
  return file;
}

/** `ffedge logs live --mqtt URL --fleet NAME`: the fleet page on 127.0.0.1 until Ctrl-C. */
export async function fleetLiveCommand(file: string | undefined, flags: { port?: string; mqtt: string; fleet: string }): Promise<void> {
  if (file !== undefined) throw new UsageError(`--mqtt shows a fleet, not a file: drop ${file} (or drop --mqtt to follow the file)`);
  const port = flags.port === undefined ? 8080 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${JSON.stringify(flags.port)}`);
  usage(() => checkName('fleet', flags.fleet));
  const watch = await watchFleet(flags.mqtt, flags.fleet);
  let page;
  try {
    page = await serveFleetPage(watch.view, port);
  } catch (err) {
    await watch.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${port} is in use by another program: pass another --port (0 = any free port)`);
    throw err;
  }
  process.stdout.write(`live view of fleet ${flags.fleet} on ${flags.mqtt}: ${page.url}  (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = (): void =>
      void page
        .close()
        .then(() => watch.close())
        .then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
