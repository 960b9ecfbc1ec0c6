/** The three stream shapes of types.ts, each a thin face over a reader and/or a writer. */
import type { QuicBidiStream, QuicUniRecvStream, QuicUniSendStream } from './types.js';
import { StreamReader } from './reader.js';
import { StreamWriter } from './writer.js';
import type { StreamIo } from './stream-io.js';

/** Calls `done` once `sides` sides have finished. */
function countdown(sides: number, done: () => void): () => void {
  let left = sides;
  return () => {
    if (--left === 0) done();
  };
}

export class BidiStream implements QuicBidiStream {
  readonly kind = 'bidi' as const;
  readonly reader: StreamReader;
  readonly writer: StreamWriter;

  constructor(
    private readonly io: StreamIo,
    readonly id: number,
    peerOpened = false,
  ) {
    const sideDone = countdown(2, () => io.streamDone(id));
    this.reader = new StreamReader(io, id, sideDone);
    this.writer = new StreamWriter(io, id, sideDone, peerOpened);
  }

  read(): Promise<Uint8Array | undefined> {
    return this.reader.read();
  }
  stopSending(code: number): void {
    this.reader.stopSending(code);
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    return this.reader[Symbol.asyncIterator]();
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }
  end(): Promise<void> {
    return this.writer.end();
  }
  reset(code: number): void {
    this.writer.reset(code);
  }
  sendNow(): void {
    this.io.sendNow();
  }
  /** Bytes written and not yet accepted by quiche (backpressure gauge). */
  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }
  /** Bytes received and not yet read. */
  get readableLength(): number {
    return this.reader.readableLength;
  }
}

export class UniSendStream implements QuicUniSendStream {
  readonly kind = 'uni-send' as const;
  readonly reader = undefined;
  readonly writer: StreamWriter;

  constructor(
    private readonly io: StreamIo,
    readonly id: number,
    watchWhileIdle = true,
  ) {
    this.writer = new StreamWriter(io, id, () => io.streamDone(id), false, watchWhileIdle);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }
  end(): Promise<void> {
    return this.writer.end();
  }
  reset(code: number): void {
    this.writer.reset(code);
  }
  sendNow(): void {
    this.io.sendNow();
  }
  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }
}

export class UniRecvStream implements QuicUniRecvStream {
  readonly kind = 'uni-recv' as const;
  readonly reader: StreamReader;
  readonly writer = undefined;

  constructor(
    io: StreamIo,
    readonly id: number,
  ) {
    this.reader = new StreamReader(io, id, () => io.streamDone(id));
  }

  read(): Promise<Uint8Array | undefined> {
    return this.reader.read();
  }
  stopSending(code: number): void {
    this.reader.stopSending(code);
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    return this.reader[Symbol.asyncIterator]();
  }
  get readableLength(): number {
    return this.reader.readableLength;
  }
}

export type AnyStream = BidiStream | UniSendStream | UniRecvStream;
