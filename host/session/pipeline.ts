// Requests pipelined up to the link's window: one loop for training streams,
// evaluation and both checkpoint directions. It waits for a free slot before
// taking the next item, so a source is never read further ahead than the
// window, and stops taking items as soon as `stop()` says so; whatever was
// started is still waited for, also when the loop fails (so every result the
// link settled is reported before the error is).

/** What the pipeline needs of the link (link.ts). */
export interface Sendable {
  /** Resolves when a new request would be sent at once; rejects once the link has ended. */
  whenSendable(): Promise<void>;
}

/**
 * For each item, once a slot is free: `send(item)`, which must put its
 * request on the link before it first awaits. Resolves when every send
 * started has settled. A send catches the errors that should not stop the
 * others (and sets what `stop()` reads); one it lets through rejects the
 * pipeline only if it is still running when the items end, so an error that
 * ends the link must also end whenSendable(), which rejects at once. The
 * source's iterator is returned (closed) in every case.
 */
export async function pipeline<T>(
  link: Sendable,
  items: Iterable<T> | AsyncIterable<T>,
  send: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  const inflight = new Set<Promise<void>>();
  const iterator = (Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    AsyncIterator<T> | Iterator<T>;
  try {
    while (!stop()) {
      await link.whenSendable();
      const next = await iterator.next();
      if (next.done) break;
      const p = send(next.value).finally(() => inflight.delete(p));
      inflight.add(p);
      p.catch(() => undefined); // observed by Promise.all below, or dropped with the link's own error
    }
  } catch (err) {
    await Promise.allSettled(inflight); // a failed link settles them at once
    throw err;
  } finally {
    await iterator.return?.();
  }
  await Promise.all(inflight);
}
