/**
 * A request as the server's handler sees it: validated headers, a pull-based body, and
 * the means to answer (respond / writer) or refuse (reject). The raw QUIC stream is
 * exposed for extensions that take a stream over after an extended CONNECT.
 */
import { concatBytes } from '../bytes.js';
import type { QuicBidiStream } from '../quic/types.js';
import type { H3BodyWriter } from './body-writer.js';
import { H3_ERROR, H3Error } from './errors.js';
import { getHeader, lowercaseNames, type HeaderList } from './headers.js';
import type { MessageReader } from './message-reader.js';
import { validateResponse, type RequestHead } from './validate.js';

export type BodySource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface RespondOptions {
  readonly body?: BodySource;
  /** Send FIN after the body (default true). False leaves `writer` open for more DATA. */
  readonly endStream?: boolean;
  readonly trailers?: HeaderList;
}

export class H3Request {
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** The extended CONNECT protocol (`:protocol`), e.g. 'webtransport'. */
  readonly protocol: string | undefined;
  /** DATA payloads as they arrive. Iterate once. */
  readonly body: AsyncIterableIterator<Uint8Array>;

  constructor(
    readonly headers: HeaderList,
    head: RequestHead,
    /** The request stream itself, for extensions (e.g. a WebTransport session's CONNECT stream). */
    readonly stream: QuicBidiStream,
    /** Writes the response: HEADERS first (respond does that), then DATA, then end(). */
    readonly writer: H3BodyWriter,
    private readonly reader: MessageReader,
  ) {
    this.method = head.method;
    this.scheme = head.scheme;
    this.authority = head.authority;
    this.path = head.path;
    this.protocol = head.protocol;
    this.body = reader.body(head.contentLength);
  }

  /** The first value of a header (case-insensitive). */
  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  /** Trailers, once the body has been read to its end. */
  get trailers(): HeaderList | undefined {
    return this.reader.trailers;
  }

  /** The whole body in one buffer (for small bodies). */
  async text(): Promise<string> {
    return new TextDecoder().decode(await collect(this.body));
  }

  get responded(): boolean {
    return this.writer.headersSent;
  }

  /** Sends an interim (1xx) response. */
  async informational(fields: HeaderList): Promise<void> {
    const headers = lowercaseNames(fields);
    const { status } = validateResponse(headers);
    if (status >= 200) throw new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', `informational status ${status}`);
    await this.writer.writeHeaders(headers);
  }

  /** Sends the response head (with `:status`), then the body, then FIN unless endStream is false. */
  async respond(fields: HeaderList, options: RespondOptions = {}): Promise<void> {
    const headers = lowercaseNames(fields);
    const { status } = validateResponse(headers);
    if (status < 200) throw new H3Error(H3_ERROR.H3_INTERNAL_ERROR, 'stream', `use informational() for status ${status}`);
    await this.writer.writeHeaders(headers);
    if (options.body !== undefined) await writeBody(this.writer, options.body);
    if (options.endStream ?? true) await this.writer.end(options.trailers && lowercaseNames(options.trailers));
  }

  /** Refuses the request: resets the stream and stops reading (default H3_REQUEST_REJECTED). */
  reject(code: number = H3_ERROR.H3_REQUEST_REJECTED): void {
    this.writer.reset(code);
    try {
      this.stream.stopSending(code);
    } catch {
      // Already gone.
    }
  }
}

export async function writeBody(writer: H3BodyWriter, body: BodySource): Promise<void> {
  if (body instanceof Uint8Array) {
    await writer.write(body);
    return;
  }
  if (Symbol.asyncIterator in body) {
    for await (const chunk of body) await writer.write(chunk);
    return;
  }
  for (const chunk of body) await writer.write(chunk);
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    total += chunk.length;
  }
  return concatBytes(parts, total);
}
