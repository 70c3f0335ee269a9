import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionRecord, countConfusion, lastConfusion, renderConfusion } from './confusion.js';
import { parseLog } from './records.js';

test('countConfusion counts (true, predicted) pairs and skips unlabelled ones', () => {
  const m = countConfusion(
    [
      { label: 0, predicted: 0 },
      { label: 0, predicted: 1 },
      { label: 1, predicted: 1 },
      { label: -1, predicted: 0 },
    ],
    2,
  );
  assert.deepEqual(m, [
    [1, 1],
    [0, 1],
  ]);
  assert.throws(() => countConfusion([{ label: 2, predicted: 0 }], 2), RangeError);
});

test('the last confusion record of a log renders with recall and precision', () => {
  const first = confusionRecord({
    step: 10,
    mode: 'goodness',
    classes: ['a', 'b'],
    matrix: [
      [1, 0],
      [0, 1],
    ],
  });
  const last = confusionRecord({
    step: 20,
    mode: 'head',
    classes: ['a', 'b'],
    matrix: [
      [3, 1],
      [2, 2],
    ],
  });
  const records = parseLog([first, { type: 'meta', t: 1, config: {} }, last].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const c = lastConfusion(records)!;
  assert.equal(c.step, 20);
  const text = renderConfusion(c);
  assert.match(text, /step 20 \(head; 8 held-out samples, accuracy 0\.625\)/);
  assert.match(text, /^a +3 +1 +4 +0\.750 +0\.600$/m, 'recall 3/4, precision 3/5');
  assert.match(text, /^b +2 +2 +4 +0\.500 +0\.667$/m);
  assert.equal(lastConfusion(parseLog('{"type":"meta","t":1}\n')), undefined);
});
