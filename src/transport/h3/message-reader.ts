/**
 * Reads one HTTP message from a request stream (RFC 9114 §4.1): HEADERS (interim ones
 * first for responses), DATA*, optional trailing HEADERS, with unknown frames anywhere.
 * Pull-based: the body is read from QUIC only as the consumer iterates, so QUIC flow
 * control pushes back on the peer. Throws H3Error; `onError` sees every error first so the
 * connection can reset the stream or close the connection.
 */
import { WwatpError } from '../../tree/errors.js';
import type { QuicReadable } from '../quic/types.js';
import { connectionError, H3_ERROR, H3Error, streamError } from './errors.js';
import { FrameReader, type FrameEvent, type FrameLimits } from './frame-reader.js';
import { FRAME } from './frames.js';
import type { HeaderList } from './headers.js';
import { decodeFieldSection } from './qpack/decoder.js';
import { quicErrorCode } from './stream-util.js';
import { validateTrailers } from './validate.js';

export interface MessageReaderOptions {
  /** 'server' reads requests, 'client' reads responses (PUSH_PROMISE rules differ). */
  readonly role: 'client' | 'server';
  readonly frameLimits: Partial<FrameLimits>;
  readonly maxFieldSectionSize: number;
  readonly onError: (err: H3Error) => void;
}

/** The stream ended or was reset because the connection went away; not a protocol error. */
export class StreamGoneError extends WwatpError {
  constructor(cause: unknown) {
    super('CLOSED', 'the QUIC connection closed under this stream', { cause });
    this.name = 'StreamGoneError';
  }
}

type Phase = 'headers' | 'body' | 'trailers' | 'done';

export class MessageReader {
  private readonly frames: FrameReader;
  private phase: Phase = 'headers';
  private received = 0;
  private failure: unknown;
  /** The stream's FIN was read: what the frame reader holds is all there is. */
  private sourceEnded = false;
  trailers: HeaderList | undefined;

  constructor(private readonly source: QuicReadable, private readonly options: MessageReaderOptions) {
    this.frames = new FrameReader(options.frameLimits);
  }

  /** The next HEADERS frame's fields, or undefined if the stream ended cleanly before one. */
  async readHeaders(): Promise<HeaderList | undefined> {
    return this.guard(async () => {
      for (;;) {
        const event = await this.nextEvent();
        if (event === 'fin') return undefined;
        if (event.kind === 'unknown') continue;
        if (event.kind === 'data') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'DATA before HEADERS');
        this.checkRequestStreamFrame(event.type);
        return this.decode(event.payload);
      }
    });
  }

  /**
   * The remaining DATA payloads; call once after the final HEADERS. Not an async
   * generator: a payload already received is returned without awaiting anything, and one
   * still on its way costs one wait on the stream, where a generator over async steps
   * cost a promise and a microtask per step for every chunk (pushes, replies, requests).
   * One next() at a time, as for-await calls it.
   */
  body(contentLength: number | undefined): AsyncIterableIterator<Uint8Array> {
    this.phase = 'body';
    let returned = false;
    const iterator: AsyncIterableIterator<Uint8Array> = {
      [Symbol.asyncIterator]: () => iterator,
      next: () => (returned ? Promise.resolve(DONE) : this.nextBody(contentLength)),
      return: () => {
        returned = true;
        return Promise.resolve(DONE);
      },
    };
    return iterator;
  }

  private nextBody(contentLength: number | undefined): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let result: IteratorResult<Uint8Array, undefined> | undefined;
    try {
      result = this.bodyStep(contentLength);
    } catch (err) {
      return Promise.reject(this.fail(err));
    }
    if (result !== undefined) return Promise.resolve(result);
    return this.source.read().then(
      (chunk) => {
        try {
          this.take(chunk);
        } catch (err) {
          throw this.fail(err);
        }
        return this.nextBody(contentLength);
      },
      (err: unknown) => {
        throw this.fail(readError(err));
      },
    );
  }

  /** The next body result from the bytes at hand; undefined when more must be read. */
  private bodyStep(contentLength: number | undefined): IteratorResult<Uint8Array, undefined> | undefined {
    for (;;) {
      const event = this.frames.next();
      if (event === undefined) {
        if (!this.sourceEnded) return undefined;
        if (contentLength !== undefined && this.received !== contentLength) {
          throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `body of ${this.received} bytes, content-length ${contentLength}`);
        }
        this.phase = 'done';
        return DONE;
      }
      if (event.kind === 'unknown') continue;
      if (event.kind === 'data') {
        if (this.phase === 'trailers') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'DATA after trailers');
        if (event.bytes.length === 0) continue;
        this.received += event.bytes.length;
        if (contentLength !== undefined && this.received > contentLength) {
          throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `body exceeds content-length ${contentLength}`);
        }
        return { done: false, value: event.bytes };
      }
      this.checkRequestStreamFrame(event.type);
      if (this.phase === 'trailers') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'HEADERS after trailers');
      const trailers = this.decode(event.payload);
      validateTrailers(trailers);
      this.trailers = trailers;
      this.phase = 'trailers';
    }
  }

  /** A chunk read from the stream, or its end (undefined). */
  private take(chunk: Uint8Array | undefined): void {
    if (chunk !== undefined) return this.frames.push(chunk);
    if (this.sourceEnded) return;
    this.sourceEnded = true;
    this.frames.end();
  }

  /** Only HEADERS (and DATA) belong on a request stream (RFC 9114 §7.2). */
  private checkRequestStreamFrame(type: number): void {
    if (type === FRAME.HEADERS) return;
    if (type === FRAME.PUSH_PROMISE && this.options.role === 'client') {
      // We never send MAX_PUSH_ID, so every push ID exceeds the maximum (§7.2.5).
      throw connectionError(H3_ERROR.H3_ID_ERROR, 'PUSH_PROMISE without MAX_PUSH_ID');
    }
    throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, `frame 0x${type.toString(16)} on a request stream`);
  }

  private decode(payload: Uint8Array): HeaderList {
    return decodeFieldSection(payload, { maxFieldSectionSize: this.options.maxFieldSectionSize });
  }

  private async nextEvent(): Promise<FrameEvent | 'fin'> {
    for (;;) {
      const event = this.frames.next();
      if (event !== undefined) return event;
      if (this.sourceEnded) return 'fin';
      let chunk: Uint8Array | undefined;
      try {
        chunk = await this.source.read();
      } catch (err) {
        throw readError(err);
      }
      this.take(chunk);
    }
  }

  /** Runs a step; the first error is reported once and then repeated to every caller. */
  private async guard<T>(step: () => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return await step();
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Records the first error (reported once to onError) and returns it, to be thrown. */
  private fail(err: unknown): unknown {
    if (this.failure !== undefined) return this.failure;
    this.failure = err;
    if (err instanceof H3Error) this.options.onError(err);
    return err;
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** A failed stream read: the peer's reset as an H3Error with its code, else the connection going away. */
function readError(err: unknown): Error {
  const code = quicErrorCode(err);
  if (code === undefined) return new StreamGoneError(err);
  return new H3Error(code, 'stream', 'the peer reset the stream', { cause: err, remote: true });
}
