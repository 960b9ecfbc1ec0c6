/**
 * The receive side of a stream: a bounded queue filled from quiche. When the queue
 * holds HIGH_WATER bytes we stop calling streamRecv, so quiche stops granting the peer
 * flow-control credit and the sender slows down; reading below LOW_WATER pulls again.
 */
import { WwatpError } from '../../tree/errors.js';
import { quicheErrorName, quicheStreamCode, quiche } from './binding.js';
import { QuicStreamAbortedError } from './errors.js';
import type { StreamIo } from './stream-io.js';

export const READ_HIGH_WATER = 1024 * 1024;
const LOW_WATER = READ_HIGH_WATER / 2;

interface Waiter {
  resolve: (chunk: Uint8Array | undefined) => void;
  reject: (err: Error) => void;
}

export class StreamReader {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private queued = 0;
  private waiters: Waiter[] = [];
  private ended = false;
  private error: WwatpError | undefined;
  private paused = false;
  /** No more input from quiche will be routed here (FIN, reset, stop or close). */
  finished = false;

  constructor(
    private readonly io: StreamIo,
    readonly id: number,
    private readonly onFinished: () => void,
  ) {}

  /** Bytes received and not read yet. */
  get readableLength(): number {
    return this.queued;
  }

  /** Moves what quiche holds for this stream into the queue, up to the high-water mark. */
  pull(): void {
    if (this.finished) return;
    const q = this.io.quiche;
    const scratch = this.io.scratch;
    // Reads go into the shared scratch and are copied out at their size. Once a read fills
    // it, the stream is carrying bulk: the next reads land in buffers of their own, kept
    // as they are, which saves that copy for every full read.
    let into = scratch;
    while (this.queued < READ_HIGH_WATER) {
      let r: [number, boolean] | null;
      try {
        r = q.streamRecv(this.id, into);
      } catch (err) {
        const code = quicheStreamCode(err, 'StreamReset');
        const e = code === undefined ? new WwatpError('PROTOCOL', `QUIC stream ${this.id}: ${quicheErrorName(err)}`) : new QuicStreamAbortedError(this.id, 'reset', code);
        this.fail(e);
        return;
      }
      if (r === null) break;
      const [n, fin] = r;
      if (n > 0) this.push(into === scratch ? scratch.slice(0, n) : n === into.length ? into : into.subarray(0, n));
      if (fin) {
        this.end();
        return;
      }
      // quiche hands over all the contiguous data it has: a read that did not fill the
      // buffer took everything, and asking again would only be told so.
      if (n < into.length) break;
      into = new Uint8Array(scratch.length);
    }
    this.paused = this.queued >= READ_HIGH_WATER;
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.head < this.chunks.length) return Promise.resolve(this.shift());
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  stopSending(code: number): void {
    if (this.finished) return;
    this.io.sendHeldBack();
    try {
      this.io.quiche.streamShutdown(this.id, quiche.Shutdown.Read, code);
    } catch {
      // a local stream the peer has not seen yet: nothing to stop
    }
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    this.end();
    this.io.touched();
  }

  /** Ends the stream with an error (reset, connection closed); queued bytes stay readable first. */
  fail(err: WwatpError): void {
    if (this.finished) return;
    this.error = err;
    this.finish();
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    return {
      next: async () => {
        const value = await this.read();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      // Leaving a for-await loop early means we want no more: tell the peer.
      return: async () => {
        this.stopSending(0);
        return { done: true, value: undefined };
      },
    };
  }

  private push(chunk: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) return w.resolve(chunk);
    this.chunks.push(chunk);
    this.queued += chunk.length;
  }

  private shift(): Uint8Array {
    const chunk = this.chunks[this.head] as Uint8Array;
    this.head++;
    this.queued -= chunk.length;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.queued <= LOW_WATER) {
      this.paused = false;
      this.pull();
      this.io.touched(); // reading released flow-control credit: let quiche announce it
    }
    return chunk;
  }

  private end(): void {
    if (this.finished) return;
    this.ended = true;
    this.finish();
    for (const w of this.waiters.splice(0)) w.resolve(undefined);
  }

  private finish(): void {
    this.finished = true;
    this.paused = false;
    this.onFinished();
  }
}
