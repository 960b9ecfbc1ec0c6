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

  /** The remaining DATA payloads; call once after the final HEADERS. */
  body(contentLength: number | undefined): AsyncIterableIterator<Uint8Array> {
    this.phase = 'body';
    return this.iterateBody(contentLength);
  }

  private async *iterateBody(contentLength: number | undefined): AsyncIterableIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.guard(() => this.nextBodyChunk(contentLength));
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  private async nextBodyChunk(contentLength: number | undefined): Promise<Uint8Array | undefined> {
    for (;;) {
      const event = await this.nextEvent();
      if (event === 'fin') {
        if (contentLength !== undefined && this.received !== contentLength) {
          throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `body of ${this.received} bytes, content-length ${contentLength}`);
        }
        this.phase = 'done';
        return undefined;
      }
      if (event.kind === 'unknown') continue;
      if (event.kind === 'data') {
        if (this.phase === 'trailers') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'DATA after trailers');
        if (event.bytes.length === 0) continue;
        this.received += event.bytes.length;
        if (contentLength !== undefined && this.received > contentLength) {
          throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `body exceeds content-length ${contentLength}`);
        }
        return event.bytes;
      }
      this.checkRequestStreamFrame(event.type);
      if (this.phase === 'trailers') throw connectionError(H3_ERROR.H3_FRAME_UNEXPECTED, 'HEADERS after trailers');
      const trailers = this.decode(event.payload);
      validateTrailers(trailers);
      this.trailers = trailers;
      this.phase = 'trailers';
    }
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
      let chunk: Uint8Array | undefined;
      try {
        chunk = await this.source.read();
      } catch (err) {
        const code = quicErrorCode(err);
        if (code === undefined) throw new StreamGoneError(err);
        throw new H3Error(code, 'stream', 'the peer reset the stream', { cause: err, remote: true });
      }
      if (chunk === undefined) {
        this.frames.end();
        return 'fin';
      }
      this.frames.push(chunk);
    }
  }

  /** Runs a step; the first error is reported once and then repeated to every caller. */
  private async guard<T>(step: () => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return await step();
    } catch (err) {
      this.failure = err;
      if (err instanceof H3Error) this.options.onError(err);
      throw err;
    }
  }
}
