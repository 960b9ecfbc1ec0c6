/** A response as the client sees it, and the handle of a request still being sent. */
import type { QuicBidiStream } from '../quic/types.js';
import type { H3BodyWriter } from './body-writer.js';
import { getHeader, type HeaderList } from './headers.js';
import type { MessageReader } from './message-reader.js';
import { collect } from './request.js';

export class H3Response {
  /** DATA payloads as they arrive. Iterate once. */
  readonly body: AsyncIterableIterator<Uint8Array>;

  constructor(
    readonly status: number,
    readonly headers: HeaderList,
    /** The request stream, for extensions that keep it open (extended CONNECT). */
    readonly stream: QuicBidiStream,
    private readonly reader: MessageReader,
    contentLength: number | undefined,
  ) {
    this.body = reader.body(contentLength);
  }

  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  get trailers(): HeaderList | undefined {
    return this.reader.trailers;
  }

  async bytes(): Promise<Uint8Array> {
    return collect(this.body);
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }
}

/** A request whose body the caller streams: write to `writer`, then `writer.end()`. */
export interface ClientRequest {
  readonly stream: QuicBidiStream;
  readonly writer: H3BodyWriter;
  /** Settles when the final (non-1xx) response head arrives. */
  readonly response: Promise<H3Response>;
}
