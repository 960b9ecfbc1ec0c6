/**
 * Helpers for the HTTP/3 suites: connection pairs over any QuicConnection pair (memory
 * now, quiche later), and a "raw" peer that writes hand-made bytes so tests can send what
 * a correct implementation never would.
 */
import { H3Connection } from '../../../../src/transport/h3/connection.js';
import { decodeFieldSection } from '../../../../src/transport/h3/qpack/decoder.js';
import { encodeFieldSection } from '../../../../src/transport/h3/qpack/encoder.js';
import { FrameReader } from '../../../../src/transport/h3/frame-reader.js';
import { encodeFrame, FRAME } from '../../../../src/transport/h3/frames.js';
import type { H3ConnectionOptions } from '../../../../src/transport/h3/options.js';
import type { HeaderList } from '../../../../src/transport/h3/headers.js';
import { concatBytes } from '../../../../src/transport/bytes.js';
import { quicErrorCode } from '../../../../src/transport/h3/stream-util.js';
import type { QuicCloseInfo, QuicConnection, QuicReadable, QuicUniSendStream } from '../../../../src/transport/quic/types.js';
import { encodeVarint } from '../../../../src/transport/varint.js';

export interface QuicPair {
  readonly client: QuicConnection;
  readonly server: QuicConnection;
}

/** Creates a connected QUIC pair (ALPN h3). The suites run over whatever this returns. */
export type MakePair = () => Promise<QuicPair>;

export interface H3Pair {
  readonly quic: QuicPair;
  readonly client: H3Connection;
  readonly server: H3Connection;
  close(): Promise<void>;
}

export async function h3Pair(
  makePair: MakePair,
  serverOptions: Partial<H3ConnectionOptions> = {},
  clientOptions: Partial<H3ConnectionOptions> = {},
): Promise<H3Pair> {
  const quic = await makePair();
  const server = new H3Connection(quic.server, { ...serverOptions, role: 'server' });
  const client = new H3Connection(quic.client, { ...clientOptions, role: 'client' });
  await Promise.all([server.start(), client.start()]);
  return { quic, client, server, close: () => closeBoth(quic) };
}

export async function closeBoth(quic: QuicPair): Promise<void> {
  await Promise.all([quic.client.close({ app: true, code: 0x100 }).catch(() => undefined), quic.server.close({ app: true, code: 0x100 }).catch(() => undefined)]);
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function getRequest(path: string, method = 'GET'): HeaderList {
  return [[':method', method], [':scheme', 'https'], [':authority', 'localhost'], [':path', path]];
}

/** Rejects if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms = 5000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the error a promise rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Bytes for a HEADERS frame. */
export function headersFrame(fields: HeaderList): Uint8Array {
  return encodeFrame(FRAME.HEADERS, encodeFieldSection(fields));
}

export function settingsFrame(pairs: readonly (readonly [number, number])[]): Uint8Array {
  return encodeFrame(FRAME.SETTINGS, concatBytes(pairs.flatMap(([id, v]) => [encodeVarint(id), encodeVarint(v)])));
}

/** A hand-driven HTTP/3 endpoint over a bare QuicConnection. */
export class RawPeer {
  constructor(readonly quic: QuicConnection) {}

  /** Opens a uni stream and writes `type` then `payload` (FIN only if asked). */
  async uni(type: number, payload: Uint8Array = new Uint8Array(0), fin = false): Promise<QuicUniSendStream> {
    const stream = this.quic.openUniStream();
    await stream.write(concatBytes([encodeVarint(type), payload]));
    if (fin) await stream.end();
    return stream;
  }

  /** The three critical streams a correct peer opens, with `control` as the control stream's bytes. */
  async handshake(control: Uint8Array = settingsFrame([[0x1, 0], [0x6, 65536]])): Promise<QuicUniSendStream> {
    const stream = await this.uni(0x00, control);
    await this.uni(0x02);
    await this.uni(0x03);
    return stream;
  }

  /** Sends raw bytes on a new bidi stream and reads back what the other side answers. */
  async exchange(request: Uint8Array, fin = true): Promise<RawResponse> {
    const stream = this.quic.openBidiStream();
    await stream.write(request);
    if (fin) await stream.end();
    return readRawResponse(stream);
  }
}

export interface RawResponse {
  readonly headers: HeaderList[];
  readonly body: Uint8Array;
  /** The application code of a reset, if the stream was reset. */
  readonly resetCode: number | undefined;
}

/** Reads HEADERS and DATA frames from a stream until FIN or reset. */
export async function readRawResponse(stream: QuicReadable): Promise<RawResponse> {
  const frames = new FrameReader();
  const headers: HeaderList[] = [];
  const body: Uint8Array[] = [];
  for (;;) {
    let chunk: Uint8Array | undefined;
    try {
      chunk = await stream.read();
    } catch (err) {
      return { headers, body: concatBytes(body), resetCode: quicErrorCode(err) ?? -1 };
    }
    if (chunk === undefined) return { headers, body: concatBytes(body), resetCode: undefined };
    frames.push(chunk);
    for (let e = frames.next(); e !== undefined; e = frames.next()) {
      if (e.kind === 'data') body.push(e.bytes);
      else if (e.kind === 'frame' && e.type === FRAME.HEADERS) headers.push(decodeFieldSection(e.payload));
    }
  }
}

/** The close info of a connection, waiting at most `ms`. */
export function closedWithin(quic: QuicConnection, ms = 5000): Promise<QuicCloseInfo> {
  return within(quic.closed, ms, 'connection close');
}
