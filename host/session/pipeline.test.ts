// pipeline() alone, over a fake link with a window of 2: a source is read no
// further ahead than the window, stop() is honoured before the next item is
// taken, everything started is waited for, and the source is closed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline, type Sendable } from './pipeline.js';

/** A link with `window` slots; each send holds one until the test answers it. */
class FakeWindow implements Sendable {
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  constructor(
    private readonly window: number,
    private failure?: Error,
  ) {}

  whenSendable(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.failure) reject(this.failure);
        else if (this.inFlight < this.window) resolve();
        else this.waiting.push(check);
      };
      check();
    });
  }
  send(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) =>
      this.answers.push({
        resolve: () => {
          this.inFlight--;
          resolve();
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      }),
    );
  }
  /** Answers the oldest request. */
  answer(): void {
    this.answers.shift()?.resolve();
    for (const w of this.waiting.splice(0)) w();
  }
  /** The link ends: as Link does, every request in flight settles (rejects) and whenSendable() rejects. */
  fail(error: Error): void {
    this.failure = error;
    for (const a of this.answers.splice(0)) a.reject(error);
    for (const w of this.waiting.splice(0)) w();
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function source(n: number): { items: Iterable<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  function* gen(): Generator<number> {
    try {
      for (let i = 0; i < n; i++) {
        pulled++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { items: gen(), pulled: () => pulled, closed: () => closed };
}

test('pipeline: at most a window in flight, the source read no further ahead', async () => {
  const link = new FakeWindow(2);
  const src = source(5);
  const sent: number[] = [];
  let done = false;
  const run = pipeline(link, src.items, async (i) => {
    sent.push(i);
    await link.send();
  }).then(() => {
    done = true;
  });
  await turn();
  assert.deepEqual(sent, [0, 1]);
  assert.equal(src.pulled(), 2, 'the third item is not taken before a slot is free');
  for (let i = 0; i < 5; i++) {
    link.answer();
    await turn();
  }
  await run;
  assert.ok(done);
  assert.deepEqual(sent, [0, 1, 2, 3, 4]);
  assert.equal(link.maxInFlight, 2);
  assert.ok(src.closed());
});

test('pipeline: stop() ends taking items, started ones are waited for, the source is closed', async () => {
  const link = new FakeWindow(4);
  const src = source(100);
  const sent: number[] = [];
  let answered = 0;
  const run = pipeline(
    link,
    src.items,
    async (i) => {
      sent.push(i);
      await link.send();
      answered++;
    },
    () => sent.length >= 3,
  );
  await turn();
  assert.deepEqual(sent, [0, 1, 2]);
  assert.ok(src.closed(), 'closed as soon as no more items are wanted');
  let settled = false;
  void run.then(() => {
    settled = true;
  });
  await turn();
  assert.equal(settled, false, 'still waiting for the three in flight');
  for (let i = 0; i < 3; i++) link.answer();
  await run;
  assert.equal(answered, 3);
  assert.equal(src.pulled(), 3);
});

test('pipeline: a send still running when the items end rejects the pipeline; a link that ends rejects it at once', async () => {
  const link = new FakeWindow(2);
  const refused = new Error('refused');
  let others = 0;
  const run = pipeline(link, [0, 1], async (i) => {
    await link.send();
    if (i === 1) throw refused;
    others++;
  });
  await turn();
  link.answer();
  await turn();
  link.answer();
  await assert.rejects(run, (err) => err === refused);
  assert.equal(others, 1, 'the other send ran to its end');

  const ended = new FakeWindow(1);
  const gone = new Error('link gone');
  const src = source(10);
  const stuck = pipeline(ended, src.items, async () => {
    await ended.send();
  });
  await turn();
  ended.fail(gone);
  await assert.rejects(stuck, (err) => err === gone);
  assert.ok(src.closed());
  assert.equal(src.pulled(), 1);
});

test('pipeline: when the link ends, every send it settled has finished before the pipeline rejects', async () => {
  const link = new FakeWindow(2);
  const gone = new Error('link gone');
  const finished: string[] = [];
  const run = pipeline(link, source(10).items, async (i) => {
    await link.send().then(
      () => {
        finished.push(`${i} trained`);
      },
      () => {
        finished.push(`${i} in doubt`);
      },
    );
    await turn(); // reporting a result takes a few turns (log, progress)
    finished.push(`${i} reported`);
  });
  await turn();
  link.fail(gone);
  await assert.rejects(run, (err) => err === gone);
  assert.deepEqual(finished, ['0 in doubt', '1 in doubt', '0 reported', '1 reported']);
});
