import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COORDINATOR, decodeJson, encodeJson, fleetFilter, parseTopic, topic } from './topics.js';
import { FleetView } from './fleet-view.js';

test('topic layout ffedge/<fleet>/<device>/<kind>, parsed back', () => {
  assert.equal(topic('lab', 'pi-3', 'train'), 'ffedge/lab/pi-3/train');
  assert.equal(topic('lab', COORDINATOR, 'round'), 'ffedge/lab/_coordinator/round');
  assert.equal(fleetFilter('lab'), 'ffedge/lab/#');
  assert.deepEqual(parseTopic('ffedge/lab/pi-3/status'), { fleet: 'lab', device: 'pi-3', kind: 'status' });
  assert.equal(parseTopic('ffedge/lab/pi-3/round'), null); // a coordinator kind
  assert.equal(parseTopic('other/lab/pi-3/train'), null);
  assert.throws(() => topic('lab', 'a/b', 'train'), /one MQTT topic level/);
  assert.throws(() => topic('la+b', 'x', 'train'), /fleet name/);
  assert.throws(() => topic('lab', '_coordinator2', 'train'), /device name/);
  assert.throws(() => topic('lab', 'x', 'summary'), /not a topic kind of a device/);
});

test('payloads are JSON objects; anything else is refused, not guessed', () => {
  assert.deepEqual(decodeJson(encodeJson({ seq: 1, accuracy: 0.5 })), { seq: 1, accuracy: 0.5 });
  assert.equal(decodeJson(Buffer.from('[1]')), null);
  assert.equal(decodeJson(Buffer.from('{no')), null);
});

test('the view counts records per sender by seq: repeats once, gaps as missing', () => {
  const view = new FleetView('lab');
  const train = (seq: number): Buffer =>
    encodeJson({ t: 1, seq, device: 'd0', round: 1, n: 10, trained: seq * 10, step: seq * 10, layers: [{ gpos: 3, gneg: 1, loss: 0.2 }], accuracy: null });
  view.apply('ffedge/lab/d0/status', encodeJson({ t: 1, device: 'd0', state: 'online', transport: 'virtual' }));
  for (const s of [1, 2, 2, 4]) view.apply('ffedge/lab/d0/train', train(s));
  view.apply('ffedge/lab/d0/eval', encodeJson({ t: 1, seq: 5, device: 'd0', round: 1, scope: 'average', step: 40, accuracy: 0.75, n: 100 }));
  view.apply('ffedge/lab/d0/status', encodeJson({ t: 2, device: 'd0', state: 'offline', reason: 'last-will' }));
  view.apply('ffedge/other/d0/train', train(9)); // another fleet
  const d = view.snapshot().devices[0]!;
  assert.equal(d.online, false);
  assert.equal(d.reason, 'last-will');
  assert.equal(d.received, 4);
  assert.equal(d.repeats, 1);
  assert.equal(d.missing, 1); // seq 3
  assert.equal(d.accuracy, 0.75);
  assert.equal(d.trained, 40);
  assert.deepEqual(view.delivery('d0'), { received: 4, highest: 5, missing: 1, repeats: 1, instances: 1 });
});

test('a restarted device counts seq from 1 under a new instance: not repeats, gaps per instance', () => {
  const view = new FleetView('lab');
  const train = (instance: string, seq: number): Buffer =>
    encodeJson({ t: 1, seq, instance, device: 'd3', round: 1, n: 10, trained: 10, step: 10, layers: [], accuracy: null });
  for (const s of [1, 2, 3]) view.apply('ffedge/lab/d3/train', train('first', s));
  for (const s of [1, 2, 2, 4]) view.apply('ffedge/lab/d3/train', train('second', s)); // after the restart
  const d = view.snapshot().devices[0]!;
  assert.equal(d.received, 6);
  assert.equal(d.repeats, 1);
  assert.equal(d.missing, 1); // the second instance's seq 3
  assert.deepEqual(view.delivery('d3'), { received: 6, highest: 4, missing: 1, repeats: 1, instances: 2 });
  // Without instances the same seqs would have been taken for repeats.
  const old = new FleetView('lab');
  for (const s of [1, 2, 3, 1, 2])
    old.apply('ffedge/lab/d3/train', encodeJson({ t: 1, seq: s, device: 'd3', round: 1, n: 1, trained: 1, step: 1, layers: [], accuracy: null }));
  assert.equal(old.snapshot().devices[0]!.repeats, 2);
});
