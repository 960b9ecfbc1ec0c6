import { readFileSync } from 'node:fs';
import { WwatpError } from '../../tree/errors.js';
import { connectQuic } from '../../transport/quic/index.js';
import { H3Connection, type H3Response } from '../../transport/h3/index.js';
import type { ByteStream, StreamOpener } from '../../transport/wwatp/byte-stream.js';
import { Http3ClientBackend, type Http3ClientBackendOptions } from '../../backends/http3-client/http3-client-backend.js';
import { WWATP_CONTENT_TYPE, WWATP_PATH } from '../server/start-server.js';

export interface ConnectOptions {
  /** Hex SHA-256 of the server certificate (what `wwatp serve` prints). */
  certificateHash?: string;
  /** A CA certificate, PEM text or a path to a PEM file. */
  ca?: string;
  /** Accept any certificate (development only). */
  insecure?: boolean;
  /** Most nodes kept in the local cache (default 10,000; 0 disables it). */
  cacheSize?: number;
  maxContentBytes?: number;
  reconnect?: boolean;
  onState?: Http3ClientBackendOptions['onState'];
}

export const DEFAULT_PORT = 4433;

/** Parses wwatp://host:port/ (or https://host:port/). */
export function parseServerUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^wwatp:/, 'https:'));
  } catch (cause) {
    throw new WwatpError('INVALID_NODE', `not a server URL: "${url}" (use wwatp://host:port/)`, { cause });
  }
  if (parsed.protocol !== 'https:') throw new WwatpError('INVALID_NODE', `unsupported URL scheme in "${url}" (use wwatp:// or https://)`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port) };
}

/** Opens one QUIC + HTTP/3 connection and offers WWATP streams on it. */
export async function openH3Streams(url: string, options: ConnectOptions): Promise<StreamOpener> {
  const { host, port } = parseServerUrl(url);
  const ca = options.ca && !options.ca.includes('-----BEGIN') ? readFileSync(options.ca, 'utf8') : options.ca;
  // QUIC datagrams on: the server sends H3_DATAGRAM=1 (for WebTransport), which a peer
  // must refuse (H3_SETTINGS_ERROR) on a connection without them (RFC 9297 §2.1.1).
  const quic = await connectQuic({ host, port, alpn: ['h3'], datagrams: true, certificateHash: options.certificateHash, ca, insecure: options.insecure });
  const h3 = new H3Connection(quic, { role: 'client' });
  await h3.start();
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    closed: quic.closed.then(() => undefined),
    close: () => h3.close(),
    async openStream(): Promise<ByteStream> {
      const request = await h3.openRequest([
        [':method', 'POST'],
        [':scheme', 'https'],
        [':authority', authority],
        [':path', WWATP_PATH],
        ['content-type', WWATP_CONTENT_TYPE],
      ]);
      return {
        write: (bytes) => request.writer.write(bytes),
        end: () => request.writer.end(),
        abort: () => request.writer.reset(),
        readable: okBody(request.response),
      };
    },
  };
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The body of a WWATP stream's response, which must be 200. Once that is known, next()
 * is the body's own, with no generator in between: a layer of promises per chunk less
 * for every reply and push.
 */
function okBody(response: Promise<H3Response>): AsyncIterableIterator<Uint8Array> {
  let body: AsyncIterator<Uint8Array> | undefined;
  let opening: Promise<AsyncIterator<Uint8Array>> | undefined;
  const open = async (): Promise<AsyncIterator<Uint8Array>> => {
    const r = await response;
    if (r.status !== 200) throw new WwatpError('PROTOCOL', `server answered ${r.status} to a WWATP stream`);
    return r.body;
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => (body ? body.next() : (opening ??= open()).then((b) => (body = b).next())),
    return: () => (body?.return ? body.return() : Promise.resolve(DONE)),
  };
  return iterator;
}

/**
 * Connects to a WWATP server and returns it as a Backend. The server must be verified:
 * give `certificateHash`, `ca`, or (for development) `insecure: true`.
 */
export function connect(url: string, options: ConnectOptions = {}): Promise<Http3ClientBackend> {
  return Http3ClientBackend.open({
    connect: () => openH3Streams(url, options),
    ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}),
    ...(options.maxContentBytes !== undefined ? { maxContentBytes: options.maxContentBytes } : {}),
    ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    ...(options.onState ? { onState: options.onState } : {}),
  });
}
