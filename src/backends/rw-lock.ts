/**
 * A fair readers-writer lock for async callers: readers share, a writer is alone, and
 * waiters run in arrival order (a waiting writer holds back later readers, so writers
 * are never starved).
 */
export class ReadWriteLock {
  #readers = 0;
  #writer = false;
  readonly #queue: Array<{ exclusive: boolean; start: () => void }> = [];

  /** True while a writer holds the lock. */
  get writing(): boolean {
    return this.#writer;
  }

  get idle(): boolean {
    return !this.#writer && this.#readers === 0 && this.#queue.length === 0;
  }

  async read<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire(false);
    try {
      return await work();
    } finally {
      this.#readers--;
      this.#pump();
    }
  }

  async write<T>(work: () => Promise<T>, afterRelease?: () => void): Promise<T> {
    await this.#acquire(true);
    try {
      return await work();
    } finally {
      this.#writer = false;
      afterRelease?.();
      this.#pump();
    }
  }

  #acquire(exclusive: boolean): Promise<void> {
    if (this.#queue.length === 0 && this.#canStart(exclusive)) {
      this.#take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push({ exclusive, start: resolve }));
  }

  #canStart(exclusive: boolean): boolean {
    return exclusive ? !this.#writer && this.#readers === 0 : !this.#writer;
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#writer = true;
    else this.#readers++;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as { exclusive: boolean; start: () => void };
      if (!this.#canStart(next.exclusive)) return;
      this.#queue.shift();
      this.#take(next.exclusive);
      next.start();
    }
  }
}
