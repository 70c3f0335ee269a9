// The fleet against a real broker: Debian's mosquitto, started here on a free
// localhost port and stopped after. QoS-1 delivery counts (published vs
// received), a device killed in the middle of sending its weights (left out of
// the round, rejoins with the current average), the last will of a killed
// device process, a two-process fleet, and the live page in headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeviceRunner,
  fleetData,
  mosquittoPath,
  openDevice,
  parseShare,
  parseSplit,
  runLocalFleet,
  serveFleetPage,
  splitAcrossDevices,
  startMosquitto,
  watchFleet,
  type Coordinator,
  type FleetView,
} from '../host/fleet/index.js';
import { cliPath, runCommand } from './cli-run.js';

const MOSQUITTO = mosquittoPath();
const skipBroker = MOSQUITTO ? false : 'mosquitto is not installed (Debian package mosquitto; scripts/setup-toolchains.sh)';
let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;

before(async () => {
  if (MOSQUITTO) broker = await startMosquitto();
});
after(async () => {
  await broker?.close();
});

const data = fleetData('mnist', 1);
const config = { ...data.config, layers: [32] };

async function until(what: string, check: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let liveView: FleetView | undefined;
let averaged: number | null = null;

test(
  'a round with a device killed mid-transfer completes without it; no record lost at QoS 1; the device rejoins with the average',
  { skip: skipBroker, timeout: 60000 },
  async () => {
    const fleet = 'kill';
    const watch = await watchFleet(broker!.url, fleet);
    const runners: DeviceRunner[] = [];
    let rejoined: DeviceRunner | undefined;
    let rejoinApplied = 0;
    let rejoinSent = 0;
    let coordinator: Coordinator | undefined;
    try {
      const result = await runLocalFleet({
        fleet,
        brokerUrl: broker!.url,
        devices: [{ name: 'd0' }, { name: 'd1' }, { name: 'd2' }],
        data,
        config,
        split: parseSplit('iid'),
        seed: 1,
        coordinator: true,
        average: true,
        rounds: 3,
        roundSamples: 150,
        share: parseShare('all'),
        recordEvery: 50,
        deviceEvalSamples: 50,
        averageEvalSamples: 300,
        chunkBytes: 8 * 1024,
        onRunner: (runner) => {
          runners.push(runner);
          if (runner.name !== 'd1') return;
          // Dies after its 2nd chunk of round 1 is acknowledged: the rest never leaves.
          runner.on('chunk', (index: number, count: number, round: number) => {
            if (round === 1 && index === 1) {
              assert.ok(count > 2);
              runner.kill();
            }
          });
        },
        onCoordinator: (c) => {
          coordinator = c;
          c.on('rejoin', (device: string, round: number) => {
            if (device === 'd1') rejoinSent = round;
          });
          c.on('summary', (r: { round: number }) => {
            if (r.round !== 1) return;
            // A new process for d1 would do the same: a fresh device and session under the same name.
            void (async () => {
              const session = await openDevice({ device: 'virtual' }, config);
              const part = splitAcrossDevices(data.train.labels, data.classes, 3, parseSplit('iid'), 1)[1]!;
              rejoined = await DeviceRunner.start({ fleet, name: 'd1', brokerUrl: broker!.url, session, train: { data: data.train, indices: part.indices } });
              rejoined.on('applied', (round: number) => {
                rejoinApplied ||= round;
              });
            })();
          });
        },
      });
      const [r1, r2, r3] = result.rounds;
      assert.deepEqual(r1!.averaged, ['d0', 'd2']);
      assert.deepEqual(
        r1!.excluded.map((e) => e.device),
        ['d1'],
      );
      assert.match(r1!.excluded[0]!.reason, /offline mid-round \(last will\)/);
      assert.equal(r1!.samples, 300);
      assert.ok(r2 && r3);
      assert.deepEqual(r3.averaged, ['d0', 'd1', 'd2'], 'the rejoined device takes part in a later round');
      assert.ok(rejoinSent >= 1 && rejoinApplied === rejoinSent, `rejoin: sent the average of round ${rejoinSent}, applied ${rejoinApplied}`);
      assert.ok(coordinator!.average);
      averaged = r3.accuracy;
      assert.ok(averaged !== null && averaged > 0.1);
      // QoS 1: every record the broker acknowledged reached the watcher (repeats are allowed, losses are not).
      await rejoined!.stop();
      const first = runners.find((r) => r.name === 'd1')!;
      for (const r of runners.filter((x) => x.name !== 'd1')) {
        const published = Object.values(r.counts.published).reduce((a, b) => a + b, 0);
        await until(`records of ${r.name}`, () => watch.view.delivery(r.name).received >= published);
        const got = watch.view.delivery(r.name);
        assert.equal(got.received, published, `${r.name}: published ${published}, received ${got.received}`);
        assert.equal(got.missing, 0);
      }
      assert.ok(Object.values(first.counts.published).reduce((a, b) => a + b, 0) > 0);
      const d1 = watch.view.snapshot().devices.find((d) => d.device === 'd1')!;
      assert.equal(d1.online, false);
      assert.equal(d1.reason, 'closed');
      liveView = watch.view;
    } finally {
      await rejoined?.stop().catch(() => undefined);
      await watch.close();
    }
  },
);

test(
  'the live page in headless Chromium shows every device, its state and accuracy, and the averaged model',
  { skip: skipBroker, timeout: 30000 },
  async (t) => {
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
    if (!chromium) {
      t.skip('chromium is not installed (Debian package chromium)');
      return;
    }
    assert.ok(liveView, 'needs the fleet of the test before');
    const page = await serveFleetPage(liveView);
    const profile = mkdtempSync(join(tmpdir(), 'ffedge-chromium-'));
    try {
      // Not spawnSync: the page is served by this process, whose event loop must keep running.
      const out = await runCommand(
        chromium,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          '--virtual-time-budget=3000',
          '--dump-dom',
          page.url,
        ],
        { timeoutMs: 25000 },
      );
      assert.equal(out.code, 0, out.stderr);
      const dom = out.stdout;
      assert.match(dom, /<body[^>]*data-updates="\d+"/, 'the page script fetched /state.json and redrew');
      for (const d of ['d0', 'd1', 'd2']) assert.match(dom, new RegExp(`data-device="${d}"`));
      assert.match(dom, /<tr class="device offline" data-device="d1"><td>d1<\/td><td class="state">offline \(closed\)/);
      const avg = [...dom.matchAll(/class="avg-accuracy">([\d.]+)</g)].map((m) => Number(m[1]));
      assert.equal(avg.length, 3);
      assert.equal(avg[2], Number(averaged!.toFixed(3)));
      assert.match(dom, /<b id="average">[\d.]+<\/b>/);
    } finally {
      await page.close();
      rmSync(profile, { recursive: true, force: true });
    }
  },
);

test('the last will: a killed device process is reported offline by the broker', { skip: skipBroker, timeout: 30000 }, async () => {
  const watch = await watchFleet(broker!.url, 'will');
  const child = spawn(
    process.execPath,
    [cliPath, 'fleet', '--join', broker!.url, '--fleet', 'will', '--devices', 'virtual:1', '--name', 'w', '--source', 'imu', '--quiet'],
    { stdio: 'ignore' },
  );
  try {
    await until('w-0 online', () => watch.view.snapshot().devices.some((d) => d.device === 'w-0' && d.online), 20000);
    child.kill('SIGKILL');
    await until('w-0 offline', () => watch.view.snapshot().devices.some((d) => d.device === 'w-0' && !d.online), 15000);
    assert.equal(watch.view.snapshot().devices.find((d) => d.device === 'w-0')!.reason, 'last-will');
  } finally {
    child.kill('SIGKILL');
    await watch.close();
  }
});

test('a two-process fleet: a coordinator and a joining host as separate ffedge processes', { skip: skipBroker, timeout: 60000 }, async () => {
  const common = ['--fleet', 'two', '--source', 'imu', '--layers', '16', '--round-samples', '100', '--rounds', '2', '--quiet'];
  const coordinator = runCommand(
    process.execPath,
    [cliPath, 'fleet', '--coordinator', '--broker', broker!.url, '--min-devices', '2', '--average-eval-samples', '200', ...common],
    { timeoutMs: 55000 },
  );
  const joiner = runCommand(
    process.execPath,
    [cliPath, 'fleet', '--join', broker!.url, '--devices', 'virtual:2', '--shard', '0/2', '--name', 'j', '--eval-samples', '50', ...common],
    { timeoutMs: 55000 },
  );
  const [c, j] = await Promise.all([coordinator, joiner]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(j.code, 0, j.stderr);
  assert.match(c.stdout, /round 1: averaged 2 devices, 200 samples, accuracy 0\.\d+/);
  assert.match(c.stdout, /round 2: averaged 2 devices, 200 samples/);
  assert.match(j.stdout, /2 device\(s\) trained 400 samples/);
});

test('clear errors: no broker there, bad flags', { timeout: 20000 }, async () => {
  const r = await runCommand(process.execPath, [cliPath, 'fleet', '--join', 'mqtt://127.0.0.1:1', '--devices', 'virtual:1', '--source', 'imu', '--quiet']);
  assert.equal(r.code === 0, false);
  assert.match(r.stderr, /cannot connect to the MQTT broker at mqtt:\/\/127\.0\.0\.1:1/);
  const bad = await runCommand(process.execPath, [cliPath, 'fleet', '--split', 'by-label', '--quiet']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /split must be "iid" or "by-class:K"/);
});
