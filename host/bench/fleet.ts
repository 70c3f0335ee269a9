// `npm run bench:fleet`: the fleet on a real mosquitto (started here on a free port).
//
//   1. FedAvg: 8 virtual devices, MNIST non-IID (by-class:2, two digits per
//      device), rounds of R samples per device; accuracy of the average on the
//      2,004 test digits per round, against one device trained centrally on the
//      same number of samples, and each device trained alone on its own part
//      (the local-only baseline); bytes moved per round
//   2. one device killed in the middle of sending its weights: the round goes
//      on without it, no record lost at QoS 1, the device rejoins with the average
//   3. 32 virtual devices: records/s delivered, lost, and the fleet's samples/s
//      against one device's
//
//   node dist/host/bench/fleet.js [--quick] [--rounds N] [--round-samples N] [--server-momentum B] [--plain-label-average] [--json]
//
// Numbers only; nothing is asserted.

import { Command } from 'commander';
import {
  DeviceRunner,
  fleetData,
  openDevice,
  parseShare,
  parseSplit,
  runLocalFleet,
  splitAcrossDevices,
  startMosquitto,
  watchFleet,
  type DeviceSpec,
  type LocalFleetOptions,
} from '../fleet/index.js';
import type { Sample } from '../sources/sample.js';
import type { PackedSamples } from '../sources/sample.js';

const flags = new Command('node dist/host/bench/fleet.js')
  .description('FedAvg of FF on 8 virtual devices (MNIST non-IID), a device killed mid-round, 32 devices on one mosquitto')
  .option('--quick', 'fewer rounds and devices (a smoke run)')
  .option('--rounds <n>', 'FedAvg rounds', '32')
  .option('--round-samples <n>', 'samples per device per round', '62')
  .option('--server-momentum <beta>', 'FedAvgM server momentum', '0.8')
  .option('--local-optimizer <name>', "the devices' optimizer in the fleet (the centralised run keeps the model's Adam)", 'sgd')
  .option('--local-lr <rate>', "the devices' learning rate in the fleet", '0.01')
  .option('--plain-label-average', 'average the label-overlay inputs over all devices (the plain FedAvg of issue 13)')
  .option('--only <parts>', 'comma list of fedavg, kill, scale', 'fedavg,kill,scale')
  .option('--json', 'print JSON')
  .parse(process.argv)
  .opts<{
    quick?: boolean;
    rounds: string;
    roundSamples: string;
    serverMomentum: string;
    localOptimizer: string;
    localLr: string;
    plainLabelAverage?: boolean;
    only: string;
    json?: boolean;
  }>();

const quick = flags.quick === true;
const rounds = quick ? 2 : Number(flags.rounds);
const roundSamples = quick ? 100 : Number(flags.roundSamples);
const only = new Set(flags.only.split(','));
const say = (m: string): void => {
  process.stderr.write(`${m}\n`);
};
const out: Record<string, unknown> = {};

const rows = (p: PackedSamples, indices: ArrayLike<number>): Sample[] =>
  Array.from({ length: indices.length }, (_, k) => {
    const i = indices[k]!;
    return { inputs: p.inputs.slice(i * p.inputSize, (i + 1) * p.inputSize), label: p.labels[i]! };
  });

const broker = await startMosquitto();
say(`mosquitto at ${broker.url}`);
try {
  const data = fleetData('mnist', 1);
  const config = data.config;
  // Each round restarts a device's optimizer (CHECKPOINT_PUT): a stateless SGD
  // suits that better than an Adam whose moments start from zero every round.
  const localConfig = { ...config, optimizer: flags.localOptimizer as 'sgd' | 'adam', learningRate: Number(flags.localLr) };
  const test = rows(
    data.test,
    Uint32Array.from({ length: data.test.count }, (_, i) => i),
  );
  const devices = quick ? 4 : 8;
  const split = parseSplit('by-class:2');

  if (only.has('fedavg')) {
    const perDevice = rounds * roundSamples;
    // Centralised: one device, the same total number of samples, over the whole training set.
    say(`centralised: 1 device, ${(perDevice * devices).toLocaleString('en-US')} samples`);
    const central = await openDevice({ device: 'virtual' }, config);
    const all = rows(data.train, splitAcrossDevices(data.train.labels, data.classes, 1, parseSplit('iid'), 1)[0]!.indices);
    const cycle = function* (list: Sample[], n: number): Generator<Sample> {
      for (let k = 0; k < n; k++) yield list[k % list.length]!;
    };
    let t = performance.now();
    await central.trainStream(cycle(all, perDevice * devices));
    const centralSeconds = (performance.now() - t) / 1000;
    const centralAcc = (await central.evaluate(test, { log: false })).accuracy;
    await central.close();
    say(`  accuracy ${centralAcc.toFixed(4)} (${centralSeconds.toFixed(1)} s)`);
    // Local only: each device trained alone on its own two digits.
    const parts = splitAcrossDevices(data.train.labels, data.classes, devices, split, 1);
    const local: number[] = [];
    for (const part of parts) {
      const s = await openDevice({ device: 'virtual' }, localConfig);
      await s.trainStream(cycle(rows(data.train, part.indices), perDevice));
      local.push((await s.evaluate(test, { log: false })).accuracy);
      await s.close();
    }
    const localMean = local.reduce((a, b) => a + b, 0) / local.length;
    say(`local only: mean accuracy ${localMean.toFixed(4)} (${local.map((a) => a.toFixed(3)).join(' ')})`);
    say(
      `FedAvg: ${devices} devices, ${rounds} rounds x ${roundSamples} samples, by-class:2, devices ${flags.localOptimizer} lr ${flags.localLr}, server momentum ${flags.serverMomentum}, label inputs averaged over ${flags.plainLabelAverage ? 'all devices' : 'their holders'}`,
    );
    t = performance.now();
    const fed = await runLocalFleet({
      fleet: 'bench',
      brokerUrl: broker.url,
      devices: Array.from({ length: devices }, (_, i): DeviceSpec => ({ name: `dev-${i}` })),
      data,
      config: localConfig,
      split,
      seed: 1,
      coordinator: true,
      average: true,
      rounds,
      roundSamples,
      share: parseShare('all'),
      recordEvery: 50,
      deviceEvalSamples: 0,
      serverMomentum: Number(flags.serverMomentum),
      labelHolders: flags.plainLabelAverage !== true,
      onCoordinator: (c) =>
        c.on('summary', (r: { round: number; accuracy: number | null; bytesIn: number; bytesOut: number; seconds: number }) =>
          say(
            `  round ${r.round}: accuracy ${r.accuracy?.toFixed(4)}, ${(r.bytesIn / 1e6).toFixed(2)} MB in, ${(r.bytesOut / 1e6).toFixed(2)} MB out (x${devices} delivered), ${r.seconds.toFixed(1)} s`,
          ),
        ),
    });
    const fedSeconds = (performance.now() - t) / 1000;
    const accs = fed.rounds.map((r) => r.accuracy ?? 0);
    const target = 0.9 * centralAcc;
    const needed = accs.findIndex((a) => a >= target);
    const r0 = fed.rounds[0]!;
    out.fedavg = {
      devices,
      rounds,
      roundSamples,
      serverMomentum: Number(flags.serverMomentum),
      localOptimizer: flags.localOptimizer,
      localLr: Number(flags.localLr),
      labelHolders: flags.plainLabelAverage !== true,
      centralised: centralAcc,
      localOnlyMean: localMean,
      localOnly: local,
      fedavg: accs,
      ratio: accs[accs.length - 1]! / centralAcc,
      roundsTo90: needed < 0 ? null : needed + 1,
      bytesPerRound: { toCoordinator: r0.bytesIn, averageOut: r0.bytesOut, deliveredToDevices: r0.bytesOut * devices },
      seconds: fedSeconds,
    };
    const best = Math.max(...accs);
    (out.fedavg as Record<string, unknown>).best = best;
    say(`FedAvg best ${best.toFixed(4)} = ${((100 * best) / centralAcc).toFixed(1)}% (round ${accs.indexOf(best) + 1})`);
    say(
      `FedAvg final ${accs[accs.length - 1]!.toFixed(4)} = ${((100 * accs[accs.length - 1]!) / centralAcc).toFixed(1)}% of centralised; >= 90% after ${needed < 0 ? 'not reached' : `${needed + 1} round(s)`}`,
    );
  }

  if (only.has('kill')) {
    say(`kill: ${devices} devices, dev-3 killed mid-transfer in round 2, restarted after it`);
    const watch = await watchFleet(broker.url, 'killbench');
    const runners: DeviceRunner[] = [];
    let rejoined: DeviceRunner | undefined;
    let rejoinedRound = 0;
    const parts = splitAcrossDevices(data.train.labels, data.classes, devices, split, 1);
    const options: LocalFleetOptions = {
      fleet: 'killbench',
      brokerUrl: broker.url,
      devices: Array.from({ length: devices }, (_, i): DeviceSpec => ({ name: `dev-${i}` })),
      data,
      config,
      split,
      seed: 1,
      coordinator: true,
      average: true,
      rounds: 4,
      roundSamples: 100,
      share: parseShare('all'),
      recordEvery: 20,
      deviceEvalSamples: 0,
      averageEvalSamples: 500,
      chunkBytes: 64 * 1024,
      onRunner: (r) => {
        runners.push(r);
        if (r.name === 'dev-3')
          r.on('chunk', (i: number, _n: number, round: number) => {
            if (round === 2 && i === 3) r.kill();
          });
      },
      onCoordinator: (c) =>
        c.on('summary', (s: { round: number }) => {
          if (s.round !== 2) return;
          void (async () => {
            const session = await openDevice({ device: 'virtual' }, config);
            rejoined = await DeviceRunner.start({
              fleet: 'killbench',
              name: 'dev-3',
              brokerUrl: broker.url,
              session,
              train: { data: data.train, indices: parts[3]!.indices },
            });
            rejoined.on('applied', (round: number) => {
              rejoinedRound ||= round;
            });
          })();
        }),
    };
    const result = await runLocalFleet(options);
    await rejoined?.stop();
    await new Promise((r) => setTimeout(r, 500));
    let published = 0;
    let received = 0;
    for (const r of [...runners, ...(rejoined ? [rejoined] : [])]) published += Object.values(r.counts.published).reduce((a, b) => a + b, 0);
    for (const d of watch.view.snapshot().devices) received += d.received;
    const lost = watch.view.snapshot().devices.reduce((s, d) => s + d.missing, 0);
    await watch.close();
    out.kill = {
      rounds: result.rounds.map((r) => ({ round: r.round, averaged: r.averaged.length, excluded: r.excluded })),
      published,
      received,
      lost,
      rejoinedWithRound: rejoinedRound,
    };
    say(
      `  round 2 averaged ${result.rounds[1]!.averaged.length}, left out ${JSON.stringify(result.rounds[1]!.excluded)}; round 4 averaged ${result.rounds[3]!.averaged.length}`,
    );
    say(`  records published ${published}, received ${received}, lost ${lost}; dev-3 rejoined with the average of round ${rejoinedRound}`);
  }

  if (only.has('scale')) {
    const imu = fleetData('imu', 1);
    const small = { ...imu.config };
    const samples = quick ? 100 : 400;
    const run = async (n: number): Promise<Record<string, number>> => {
      const watch = await watchFleet(broker.url, `scale${n}`);
      const t0 = performance.now();
      const r = await runLocalFleet({
        fleet: `scale${n}`,
        brokerUrl: broker.url,
        devices: Array.from({ length: n }, (_, i): DeviceSpec => ({ name: `dev-${i}` })),
        data: imu,
        config: small,
        split: parseSplit('iid'),
        seed: 1,
        coordinator: true,
        average: true,
        rounds: 2,
        roundSamples: samples,
        share: parseShare('all'),
        recordEvery: 10,
        deviceEvalSamples: 0,
        averageEvalSamples: 0,
      });
      const seconds = (performance.now() - t0) / 1000;
      await new Promise((res) => setTimeout(res, 500));
      const published = r.runners.reduce((s, x) => s + Object.values(x.counts.published).reduce((a, b) => a + b, 0), 0);
      const received = watch.view.snapshot().devices.reduce((s, d) => s + d.received, 0);
      const lost = watch.view.snapshot().devices.reduce((s, d) => s + d.missing, 0) + Math.max(0, published - received);
      await watch.close();
      const trained = r.runners.reduce((s, x) => s + x.counts.trained, 0);
      const train = r.rounds.reduce((s, x) => s + x.seconds, 0);
      return { devices: n, published, received, lost, recordsPerSecond: received / seconds, samplesPerSecond: trained / train, seconds };
    };
    const one = await run(1);
    say(`scale: 1 device ${one.samplesPerSecond!.toFixed(0)} samples/s`);
    const many = await run(quick ? 8 : 32);
    say(
      `scale: ${many.devices} devices ${many.samplesPerSecond!.toFixed(0)} samples/s (${(many.samplesPerSecond! / one.samplesPerSecond!).toFixed(2)}x one), records ${many.received}/${many.published} delivered, ${many.recordsPerSecond!.toFixed(0)} records/s, lost ${many.lost}`,
    );
    out.scale = { one, many, speedup: many.samplesPerSecond! / one.samplesPerSecond! };
  }
} finally {
  await broker.close();
}
if (flags.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else process.stdout.write(`${JSON.stringify(out)}\n`);
