/**
 * WebTransport streams with the shapes of the QUIC stream interfaces (quic/types.ts), over
 * a QUIC stream positioned after its WebTransport header. Codes given to reset() and
 * stopSending() are WebTransport application codes (32 bits), mapped into the HTTP/3
 * range on the wire; the peer's come back as WebTransportStreamError. When the session
 * ends every stream still open is aborted with WT_SESSION_GONE and fails with CLOSED.
 */
import { WwatpError } from '../../tree/errors.js';
import { quicErrorCode } from '../h3/stream-util.js';
import type { QuicBidiStream, QuicReadable, QuicUniRecvStream, QuicUniSendStream, QuicWritable } from '../quic/types.js';
import { WT_ERROR } from './constants.js';
import { isSessionGone, sessionGoneError, webTransportCodeToHttp3, WebTransportStreamError } from './error-codes.js';

/** A stream as its session sees it: something to abort when the session ends. */
export interface SessionStream {
  /** Resets / stops every open side with `h3Code` (WT_SESSION_GONE by default); later calls fail with `err`. */
  abort(err: WwatpError, h3Code?: number): void;
}

/** What a stream needs from its session. */
export interface StreamOwner {
  readonly id: number;
  /** Registers a live stream; returns the session's end error instead if it is over. */
  track(stream: SessionStream): WwatpError | undefined;
  untrack(stream: SessionStream): void;
}

function mapError(err: unknown, streamId: number, sessionId: number, how: 'reset' | 'stopped'): unknown {
  const code = quicErrorCode(err);
  if (code === undefined || err instanceof WwatpError && err.code === 'CLOSED') return err;
  if (isSessionGone(code)) return sessionGoneError(sessionId, 'the peer ended the WebTransport session');
  return new WebTransportStreamError(streamId, how, code, { cause: err });
}

class ReadSide {
  done = false;
  private failure: unknown;

  constructor(private readonly source: QuicReadable, private readonly ids: { stream: number; session: number }, private readonly onDone: () => void) {}

  async read(): Promise<Uint8Array | undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (this.done) return undefined;
    let chunk: Uint8Array | undefined;
    try {
      chunk = await this.source.read();
    } catch (err) {
      this.failure ??= mapError(err, this.ids.stream, this.ids.session, 'reset');
      this.finish();
      throw this.failure;
    }
    // An abort (stopSending underneath) ends a pending read like a FIN: report the abort.
    if (this.failure !== undefined) throw this.failure;
    if (chunk === undefined) this.finish();
    return chunk;
  }

  stopSending(h3Code: number): void {
    if (this.done) return;
    try {
      this.source.stopSending(h3Code);
    } catch {
      // the connection is gone
    }
    this.finish();
  }

  abort(err: WwatpError, h3Code: number): void {
    if (this.done) return;
    this.failure = err;
    this.stopSending(h3Code);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }
}

class WriteSide {
  done = false;
  private ending = false;
  private failure: unknown;

  constructor(private readonly sink: QuicWritable, private readonly ids: { stream: number; session: number }, private readonly onDone: () => void) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ending) throw new WwatpError('CLOSED', `WebTransport stream ${this.ids.stream}: write after end`);
    try {
      await this.sink.write(bytes);
    } catch (err) {
      throw this.failure ?? mapError(err, this.ids.stream, this.ids.session, 'stopped');
    }
  }

  async end(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ending) return;
    this.ending = true;
    try {
      await this.sink.end();
    } catch (err) {
      throw this.failure ?? mapError(err, this.ids.stream, this.ids.session, 'stopped');
    } finally {
      this.finish();
    }
  }

  reset(h3Code: number, failure: unknown = new WwatpError('CLOSED', `WebTransport stream ${this.ids.stream} was reset locally`)): void {
    if (this.done) return;
    this.failure ??= failure;
    this.ending = true;
    try {
      this.sink.reset(h3Code);
    } catch {
      // the connection is gone
    }
    this.finish();
  }

  abort(err: WwatpError, h3Code: number): void {
    this.reset(h3Code, err);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }
}

/** Counts finished sides; the stream leaves its session's books when all are done. */
function register(owner: StreamOwner, stream: SessionStream, sides: number): { sideDone: () => void; gone: WwatpError | undefined } {
  let left = sides;
  const gone = owner.track(stream);
  return {
    gone,
    sideDone: () => {
      if (--left === 0) owner.untrack(stream);
    },
  };
}

function iterate(read: () => Promise<Uint8Array | undefined>, stop: () => void): AsyncIterator<Uint8Array> {
  return {
    next: async () => {
      const value = await read();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    // Leaving a for-await loop early means no more is wanted: tell the peer (code 0).
    return: async () => {
      stop();
      return { done: true, value: undefined };
    },
  };
}

export class WebTransportBidiStream implements QuicBidiStream, SessionStream {
  readonly kind = 'bidi' as const;
  readonly sessionId: number;
  private readonly reader: ReadSide;
  private readonly writer: WriteSide;

  constructor(readonly id: number, owner: StreamOwner, source: QuicReadable, sink: QuicWritable) {
    this.sessionId = owner.id;
    const ids = { stream: id, session: owner.id };
    const { sideDone, gone } = register(owner, this, 2);
    this.reader = new ReadSide(source, ids, sideDone);
    this.writer = new WriteSide(sink, ids, sideDone);
    if (gone !== undefined) this.abort(gone);
  }

  read(): Promise<Uint8Array | undefined> {
    return this.reader.read();
  }
  stopSending(code = 0): void {
    this.reader.stopSending(webTransportCodeToHttp3(code));
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return iterate(() => this.read(), () => this.stopSending(0));
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }
  end(): Promise<void> {
    return this.writer.end();
  }
  reset(code = 0): void {
    this.writer.reset(webTransportCodeToHttp3(code));
  }
  abort(err: WwatpError, h3Code: number = WT_ERROR.SESSION_GONE): void {
    this.reader.abort(err, h3Code);
    this.writer.abort(err, h3Code);
  }
}

export class WebTransportUniSendStream implements QuicUniSendStream, SessionStream {
  readonly kind = 'uni-send' as const;
  readonly sessionId: number;
  private readonly writer: WriteSide;

  constructor(readonly id: number, owner: StreamOwner, sink: QuicWritable) {
    this.sessionId = owner.id;
    const { sideDone, gone } = register(owner, this, 1);
    this.writer = new WriteSide(sink, { stream: id, session: owner.id }, sideDone);
    if (gone !== undefined) this.abort(gone);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes);
  }
  end(): Promise<void> {
    return this.writer.end();
  }
  reset(code = 0): void {
    this.writer.reset(webTransportCodeToHttp3(code));
  }
  abort(err: WwatpError, h3Code: number = WT_ERROR.SESSION_GONE): void {
    this.writer.abort(err, h3Code);
  }
}

export class WebTransportUniRecvStream implements QuicUniRecvStream, SessionStream {
  readonly kind = 'uni-recv' as const;
  readonly sessionId: number;
  private readonly reader: ReadSide;

  constructor(readonly id: number, owner: StreamOwner, source: QuicReadable) {
    this.sessionId = owner.id;
    const { sideDone, gone } = register(owner, this, 1);
    this.reader = new ReadSide(source, { stream: id, session: owner.id }, sideDone);
    if (gone !== undefined) this.abort(gone);
  }

  read(): Promise<Uint8Array | undefined> {
    return this.reader.read();
  }
  stopSending(code = 0): void {
    this.reader.stopSending(webTransportCodeToHttp3(code));
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return iterate(() => this.read(), () => this.stopSending(0));
  }
  abort(err: WwatpError, h3Code: number = WT_ERROR.SESSION_GONE): void {
    this.reader.abort(err, h3Code);
  }
}

export type WebTransportIncomingStream = WebTransportBidiStream | WebTransportUniRecvStream;
