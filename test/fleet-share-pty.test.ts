// The fleet end to end on a real mosquitto, for what fleet-mosquitto.test.ts
// leaves out: `--share lower:K` (a round where the top layer stays personal,
// checked on the devices' own checkpoints), and devices behind real
// pseudo-terminals (`--devices pty:2`, socat).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Coordinator,
  DeviceRunner,
  fleetData,
  mosquittoPath,
  openDevice,
  parseDevices,
  parseShare,
  parseSplit,
  runLocalFleet,
  sharedBytes,
  splitAcrossDevices,
  startMosquitto,
  weightBytes,
} from '../host/fleet/index.js';
import type { Session } from '../host/session/index.js';
import { hasSocat } from './support/socat.js';

const skipBroker = mosquittoPath() ? false : 'mosquitto is not installed (Debian package mosquitto; scripts/setup-toolchains.sh)';
const skipPty = skipBroker || (hasSocat() ? false : 'socat is not installed (scripts/setup-toolchains.sh installs it)');

let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
before(async () => {
  if (!skipBroker) broker = await startMosquitto();
});
after(async () => {
  await broker?.close();
});

const data = fleetData('mnist', 1);

test(
  "share lower:1: after a round the devices' layer 0 is the average and their top layer and head stay their own",
  { skip: skipBroker, timeout: 60000 },
  async () => {
    const fleet = 'lower';
    const config = { ...data.config, layers: [24, 16] };
    const share = parseShare('lower:1');
    const shared = sharedBytes(config, share);
    const total = weightBytes(config);
    assert.ok(shared > 0 && shared < total);
    const parts = splitAcrossDevices(data.train.labels, data.classes, 3, parseSplit('by-class:2'), 1);
    const sessions: Session[] = [];
    const runners: DeviceRunner[] = [];
    let coordinator: Coordinator | undefined;
    try {
      for (let i = 0; i < 3; i++) {
        const session = await openDevice({ device: 'virtual' }, config);
        sessions.push(session);
        runners.push(
          await DeviceRunner.start({
            fleet,
            name: `d${i}`,
            brokerUrl: broker!.url,
            session,
            train: { data: data.train, indices: parts[i]!.indices },
            classes: parts[i]!.classes,
          }),
        );
      }
      coordinator = await Coordinator.start({
        fleet,
        brokerUrl: broker!.url,
        rounds: 2,
        roundSamples: 80,
        sharedBytes: shared,
        weightBytes: total,
        minDevices: 3,
      });
      const rounds = await coordinator.run();
      assert.deepEqual(
        rounds.map((r) => r.averaged),
        [
          ['d0', 'd1', 'd2'],
          ['d0', 'd1', 'd2'],
        ],
      );
      assert.equal(rounds[1]!.bytesOut > shared && rounds[1]!.bytesOut < total, true, `only the shared prefix travels back: ${rounds[1]!.bytesOut} bytes out`);
      await Promise.all(runners.map((r) => r.finished));
      for (const r of runners) {
        await r.idle();
        assert.equal(r.failure, undefined);
      }
      const average = coordinator.average!;
      assert.equal(average.round, 2);
      assert.equal(average.weights.length, shared);
      const own = await Promise.all(sessions.map(async (s) => (await s.getCheckpoint()).weights));
      for (const [i, w] of own.entries()) {
        assert.equal(w.length, total);
        assert.deepEqual(w.subarray(0, shared), average.weights, `d${i}: layer 0 (W_0 b_0) is the round-2 average`);
      }
      // The personal part (layer 1 and the head) trained on different digits: no two devices agree.
      for (let i = 0; i < 3; i++) {
        for (let j = i + 1; j < 3; j++) {
          assert.notDeepEqual(own[i]!.subarray(shared), own[j]!.subarray(shared), `d${i} and d${j} must keep different top layers`);
        }
      }
    } finally {
      for (const r of runners) await r.stop().catch(() => undefined);
      for (const s of sessions) await s.close().catch(() => undefined);
      await coordinator?.stop();
    }
  },
);

test('--devices pty:2: two devices behind real pseudo-terminals take part in the rounds', { skip: skipPty, timeout: 90000 }, async () => {
  const devices = parseDevices('pty:2').map((d, i) => ({ ...d, name: `p${i}` }));
  assert.deepEqual(
    devices.map((d) => d.device),
    ['pty', 'pty'],
  );
  const result = await runLocalFleet({
    fleet: 'pty',
    brokerUrl: broker!.url,
    devices,
    data,
    config: { ...data.config, layers: [32] },
    split: parseSplit('by-class:5'),
    seed: 1,
    coordinator: true,
    average: true,
    rounds: 2,
    roundSamples: 60,
    share: parseShare('all'),
    recordEvery: 30,
    deviceEvalSamples: 0,
    averageEvalSamples: 200,
  });
  assert.deepEqual(
    result.rounds.map((r) => r.averaged),
    [
      ['p0', 'p1'],
      ['p0', 'p1'],
    ],
  );
  assert.deepEqual(
    result.rounds.map((r) => r.samples),
    [120, 120],
  );
  for (const r of result.runners) {
    assert.equal(r.failure, undefined);
    assert.equal(r.counts.trained, 120);
    assert.ok(r.counts.published.train >= 4, `${r.name} published ${r.counts.published.train} train records`);
  }
  const last = result.rounds[1]!.accuracy;
  assert.ok(last !== null && last > 0.1, `the average of two pty devices scores ${last} on 200 test digits (chance 0.1)`);
});
