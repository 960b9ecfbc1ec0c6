/**
 * Hands incoming items (streams, datagrams) to a handler; holds a bounded number until
 * one is set, as QuicConnection.onStream does, so nothing that arrives early is lost.
 */
export class Inbox<T> {
  private waiting: T[] = [];
  private fn: ((item: T) => void) | undefined;

  /** `overflow` disposes of what arrives while `limit` items already wait. */
  constructor(private readonly overflow: (item: T) => void, private readonly limit = 64) {}

  get handler(): ((item: T) => void) | undefined {
    return this.fn;
  }

  set handler(fn: ((item: T) => void) | undefined) {
    this.fn = fn;
    if (fn !== undefined) for (const item of this.waiting.splice(0)) this.deliver(fn, item);
  }

  put(item: T): void {
    if (this.fn !== undefined) this.deliver(this.fn, item);
    else if (this.waiting.length < this.limit) this.waiting.push(item);
    else this.overflow(item);
  }

  clear(): void {
    this.waiting = [];
  }

  private deliver(fn: (item: T) => void, item: T): void {
    try {
      fn(item);
    } catch (err) {
      // A handler bug: surface it the way an EventEmitter would, outside the transport.
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
