/**
 * How the requests of one stream are ordered (docs/PROTOCOL.md §1): writes start in
 * arrival order without waiting for one another, a read waits for the writes before it,
 * and a barrier waits for everything before it while everything after waits for it.
 * Counters rather than promise chains: a stream of small gets would otherwise allocate
 * several promises per request just to learn that nothing is in the way.
 */
export type Ordering = 'write' | 'read' | 'barrier';

interface Waiting {
  readonly ordering: Ordering;
  readonly task: () => Promise<void>;
}

export class PipelineOrder {
  #running = 0;
  /** Writes and barriers running (what a read must wait for). */
  #writing = 0;
  #barrier = false;
  readonly #waiting: Waiting[] = [];
  #head = 0;
  #idle: Array<() => void> = [];

  /** Requests started or waiting to start. */
  get inProgress(): number {
    return this.#running + this.#waiting.length - this.#head;
  }

  /** Runs `task` as soon as the requests before it allow (see the file comment). */
  run(ordering: Ordering, task: () => Promise<void>): void {
    // Nothing overtakes a request that is waiting: starting stays in arrival order.
    if (this.#waiting.length === this.#head && this.#canStart(ordering)) this.#start(ordering, task);
    else this.#waiting.push({ ordering, task });
  }

  /** Resolves once every request given so far has finished. */
  whenIdle(): Promise<void> {
    if (this.inProgress === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #canStart(ordering: Ordering): boolean {
    if (ordering === 'write') return !this.#barrier;
    if (ordering === 'read') return this.#writing === 0;
    return this.#running === 0;
  }

  #start(ordering: Ordering, task: () => Promise<void>): void {
    this.#running++;
    if (ordering !== 'read') this.#writing++;
    if (ordering === 'barrier') this.#barrier = true;
    const finish = (): void => {
      this.#running--;
      if (ordering !== 'read') this.#writing--;
      if (ordering === 'barrier') this.#barrier = false;
      this.#drain();
    };
    task().then(finish, finish);
  }

  #drain(): void {
    while (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head] as Waiting;
      if (!this.#canStart(next.ordering)) break;
      this.#head++;
      this.#start(next.ordering, next.task);
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
    }
    if (this.inProgress === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
