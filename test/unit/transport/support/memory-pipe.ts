/**
 * One direction of an in-memory QUIC stream: an ordered, reliable byte pipe with FIN,
 * RESET_STREAM (writer) and STOP_SENDING (reader), a flow-control window, and delivery
 * one event-loop turn later so reader and writer interleave as they would over a network.
 * Test support only.
 */

import { connectionClosedError, QuicStreamAbortedError } from '../../../../src/transport/quic/errors.js';

/** The errors the real QUIC layer raises, so the H3 code sees the same shapes. */
export const streamAborted = (streamId: number, how: 'reset' | 'stopped', code: number): Error => new QuicStreamAbortedError(streamId, how, code);
export const connectionClosed = (): Error => connectionClosedError('closed');

export interface PipeOptions {
  readonly streamId: number;
  readonly window: number;
  /** Splits each write into chunks of 1..n bytes; n is chosen per chunk. */
  readonly chunkSize: () => number;
}

type WireEvent = { kind: 'data'; bytes: Uint8Array } | { kind: 'fin' } | { kind: 'reset'; code: number };

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class MemoryPipe {
  private queue: Uint8Array[] = [];
  private queueHead = 0; // index of the next unread chunk (shift() would be quadratic)
  private buffered = 0; // delivered and in flight, not yet read
  private finReceived = false;
  private resetReceived: number | undefined;
  /** STOP_SENDING code, as the writer sees it (a turn after the reader sent it). */
  private stoppedByReader: number | undefined;
  private readerStopped = false;
  private writerDone: 'fin' | 'reset' | undefined;
  private closedError: Error | undefined;
  private readonly readers: Waiter<Uint8Array | undefined>[] = [];
  private readonly writers: Waiter<void>[] = [];
  /** Called once, at the writer's first action, so the peer learns of the stream. */
  onFirstActivity: (() => void) | undefined;

  constructor(private readonly options: PipeOptions) {}

  // ---- writer side ----

  write(bytes: Uint8Array): Promise<void> {
    const refusal = this.writeRefusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    this.announce();
    const copy = bytes.slice();
    const pieces: WireEvent[] = [];
    for (let offset = 0; offset < copy.length;) {
      const n = Math.max(1, Math.min(this.options.chunkSize(), copy.length - offset));
      pieces.push({ kind: 'data', bytes: copy.subarray(offset, offset + n) });
      offset += n;
    }
    this.send(...pieces);
    this.buffered += copy.length;
    return this.waitForWindow();
  }

  end(): Promise<void> {
    const refusal = this.writeRefusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    this.announce();
    this.writerDone = 'fin';
    this.send({ kind: 'fin' });
    return Promise.resolve();
  }

  reset(code: number): void {
    if (this.writerDone === 'reset' || this.closedError !== undefined) return;
    this.announce();
    this.writerDone = 'reset';
    this.send({ kind: 'reset', code });
    for (const w of this.writers.splice(0)) w.reject(new Error('stream reset locally'));
  }

  // ---- reader side ----

  read(): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      this.readers.push({ resolve, reject });
      this.pump();
    });
  }

  stopSending(code: number): void {
    if (this.readerStopped || this.closedError !== undefined) return;
    this.readerStopped = true;
    this.dropQueue();
    setImmediate(() => {
      this.stoppedByReader = code;
      this.buffered = 0;
      for (const w of this.writers.splice(0)) w.reject(streamAborted(this.options.streamId, 'stopped', code));
    });
    for (const r of this.readers.splice(0)) r.reject(new Error('read after stopSending'));
  }

  // ---- connection ----

  close(err: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = err;
    for (const r of this.readers.splice(0)) r.reject(err);
    for (const w of this.writers.splice(0)) w.reject(err);
  }

  private writeRefusal(): Error | undefined {
    if (this.closedError !== undefined) return this.closedError;
    if (this.stoppedByReader !== undefined) return streamAborted(this.options.streamId, 'stopped', this.stoppedByReader);
    if (this.writerDone !== undefined) return new Error(`write after ${this.writerDone}`);
    return undefined;
  }

  private announce(): void {
    const first = this.onFirstActivity;
    this.onFirstActivity = undefined;
    first?.();
  }

  /** Delivery happens a turn later, in order; each chunk reaches the reader separately. */
  private send(...events: WireEvent[]): void {
    setImmediate(() => {
      for (const event of events) {
        if (this.closedError !== undefined || this.readerStopped || this.resetReceived !== undefined) return;
        if (event.kind === 'data') this.queue.push(event.bytes);
        else if (event.kind === 'fin') this.finReceived = true;
        else {
          // RESET_STREAM discards whatever was not read yet.
          this.resetReceived = event.code;
          this.dropQueue();
          this.buffered = 0;
          this.releaseWriters();
        }
      }
      this.pump();
    });
  }

  private pump(): void {
    while (this.readers.length > 0) {
      if (this.readerStopped) {
        (this.readers.shift() as Waiter<Uint8Array | undefined>).reject(new Error('read after stopSending'));
        continue;
      }
      if (this.resetReceived !== undefined) {
        (this.readers.shift() as Waiter<Uint8Array | undefined>).reject(streamAborted(this.options.streamId, 'reset', this.resetReceived));
        continue;
      }
      const chunk = this.takeChunk();
      if (chunk !== undefined) {
        this.buffered -= chunk.length;
        (this.readers.shift() as Waiter<Uint8Array | undefined>).resolve(chunk);
        this.releaseWriters();
        continue;
      }
      if (this.finReceived) {
        (this.readers.shift() as Waiter<Uint8Array | undefined>).resolve(undefined);
        continue;
      }
      if (this.closedError !== undefined) {
        (this.readers.shift() as Waiter<Uint8Array | undefined>).reject(this.closedError);
        continue;
      }
      return;
    }
  }

  private takeChunk(): Uint8Array | undefined {
    const chunk = this.queue[this.queueHead];
    if (chunk === undefined) return undefined;
    this.queueHead += 1;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return chunk;
  }

  private dropQueue(): void {
    this.queue = [];
    this.queueHead = 0;
  }

  private waitForWindow(): Promise<void> {
    if (this.buffered <= this.options.window) return Promise.resolve();
    return new Promise((resolve, reject) => this.writers.push({ resolve, reject }));
  }

  private releaseWriters(): void {
    if (this.buffered > this.options.window) return;
    for (const w of this.writers.splice(0)) w.resolve();
  }
}
