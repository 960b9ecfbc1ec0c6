/**
 * A Node WebTransport client over our own QUIC and HTTP/3, for what Chromium cannot do
 * from a page: several sessions on one connection, and hand-made malformed bytes.
 */
import { connectQuic, type QuicConnection } from '../../src/transport/quic/index.js';
import { H3Connection } from '../../src/transport/h3/index.js';
import { WebTransportConnection } from '../../src/transport/webtransport/index.js';

export interface WtClient {
  readonly quic: QuicConnection;
  readonly h3: H3Connection;
  readonly wt: WebTransportConnection;
  close(): Promise<void>;
}

export async function connectWebTransportClient(port: number, certificateHash: string): Promise<WtClient> {
  const quic = await connectQuic({ host: '127.0.0.1', port, alpn: ['h3'], certificateHash, datagrams: true });
  const h3 = new H3Connection(quic, { role: 'client' });
  const wt = new WebTransportConnection(h3);
  await h3.start();
  return {
    quic,
    h3,
    wt,
    close: () => h3.close().catch(() => undefined),
  };
}

export async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Resolves with `promise`, or rejects after `ms` so a hang fails the test instead of the run. */
export function within<T>(promise: Promise<T>, ms = 5000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
