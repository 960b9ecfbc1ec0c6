/**
 * Writes that must go one after another (frames on a stream, messages on a pipe), each
 * started at once when none is unfinished: a write then reaches the transport in the
 * caller's own call rather than a microtask later, which is what lets a push to one
 * subscriber leave before the next subscriber's is even encoded. After a failure every
 * later write chains on it and fails too. No Node APIs: the browser client bundles it.
 */
export class SerialWrites {
  #tail: Promise<void> = Promise.resolve();
  #unfinished = 0;
  #failed = false;

  /** Settles once every write so far has (rejects if the last one failed). */
  get tail(): Promise<void> {
    return this.#tail;
  }

  /** Runs `op` after every earlier write; the result is also the new tail. */
  run(op: () => Promise<void>): Promise<void> {
    const started = this.#unfinished === 0 && !this.#failed ? startNow(op) : this.#tail.then(op);
    this.#unfinished++;
    const next = started.then(
      () => void this.#unfinished--,
      (error: unknown) => {
        this.#unfinished--;
        this.#failed = true;
        throw error;
      },
    );
    // Callers may fire writes without awaiting each: the failure is theirs to see.
    next.catch(() => undefined);
    this.#tail = next;
    return next;
  }
}

/** Runs `op` now; a synchronous throw becomes a rejection, as inside then() it would. */
function startNow(op: () => Promise<void>): Promise<void> {
  try {
    return op();
  } catch (error) {
    return Promise.reject(error);
  }
}
