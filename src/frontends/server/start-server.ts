import type { Backend } from '../../backends/backend.js';
import type { JournaledBackend } from '../../backends/journal.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import { listenQuic, type QuicConnection } from '../../transport/quic/index.js';
import { H3Connection, type H3Request } from '../../transport/h3/index.js';
import { certificateSha256, DevCertificateRenewer } from '../../transport/certs/index.js';
import { WebTransportConnection, type WebTransportSession } from '../../transport/webtransport/index.js';
import type { JournalSource } from './memory-journal.js';
import { openJournal } from './memory-journal.js';
import { WwatpSession } from './session.js';
import { serveStream } from './serve-stream.js';
import { serveStatic } from './static-files.js';
import { startHttpServer, type HttpServer } from './http-server.js';

export interface StartServerOptions {
  backend: Backend;
  /** UDP port (default 4433; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Files served for GET requests (the browser explorer). */
  staticDir?: string;
  /** PEM certificate chain and key; without them a development certificate is made (and renewed). */
  cert?: string;
  key?: string;
  /** Where the development certificate is kept (default the project's certs/). */
  certsDir?: string;
  /** Largest node contents accepted (default 16 MiB). */
  maxContentBytes?: number;
  /** Journal entries kept for clients to resume from, for backends without a journal of their own. */
  journalCapacity?: number;
  /**
   * A journal file (DurableJournal) for a backend without a journal of its own, so clients
   * resume across restarts; without it such a backend gets a memory journal. Give it only
   * when the whole backend is durable (docs/PROTOCOL.md §6).
   */
  journalPath?: string;
  /** Journaled backends inside the backend (a composite's SQLite root): changed while the server was down, they start a new epoch. */
  journalWatermarks?: readonly JournaledBackend[];
  /** Called for each WebTransport session once it serves WWATP (may take its uni streams and datagrams). */
  onWebTransportSession?: (session: WebTransportSession) => void;
  /** TCP port for the HTTP/1.1 server (explorer files, /wwatp-info, WebSocket tunnel); none when absent. */
  httpPort?: number;
  /** Address of the HTTP server (default: `host`). */
  httpHost?: string;
}

export interface WwatpServer {
  /** wwatp://host:port/ */
  readonly url: string;
  readonly port: number;
  /** Hex SHA-256 of the certificate's DER: what clients pin. */
  readonly certificateHash: string;
  /** The HTTP server's TCP port and page URL, when `httpPort` was given. */
  readonly httpPort?: number;
  readonly httpUrl?: string;
  close(): Promise<void>;
}

export const WWATP_PATH = '/wwatp';
export const WWATP_CONTENT_TYPE = 'application/wwatp';

/**
 * Serves a backend over QUIC and HTTP/3: each `POST /wwatp` request is one WWATP stream
 * (docs/PROTOCOL.md); a WebTransport session on `/wwatp` is one WWATP session whose
 * bidirectional streams are WWATP streams; other GETs are answered from `staticDir`.
 */
export async function startServer(options: StartServerOptions): Promise<WwatpServer> {
  const host = options.host ?? '127.0.0.1';
  const maxContentBytes = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const journal = await openJournal(options.backend, {
    ...(options.journalCapacity !== undefined ? { capacity: options.journalCapacity } : {}),
    ...(options.journalPath !== undefined ? { path: options.journalPath } : {}),
    ...(options.journalWatermarks ? { watermarks: options.journalWatermarks } : {}),
  });
  try {
    return await listen(options, host, maxContentBytes, journal);
  } catch (error) {
    journal.close();
    throw error;
  }
}

async function listen(options: StartServerOptions, host: string, maxContentBytes: number, journal: JournalSource): Promise<WwatpServer> {
  let renewer: DevCertificateRenewer | undefined;
  let cert = options.cert;
  let key = options.key;
  if (cert === undefined || key === undefined) {
    let onRenew: (c: { cert: string; key: string }) => void = () => undefined;
    renewer = new DevCertificateRenewer({ dir: options.certsDir, hosts: ['localhost', '127.0.0.1', '::1', ...(host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' || host === '::' ? [] : [host])], onRenew: (c) => onRenew(c) });
    const dev = await renewer.start();
    cert = dev.cert;
    key = dev.key;
    onRenew = (c) => {
      quic.setCertificate(c.cert, c.key);
      hash = certificateSha256(c.cert);
    };
  }
  let hash = certificateSha256(cert);
  const connections = new Set<H3Connection>();
  const onConnection = (connection: QuicConnection): void => {
    const session = new WwatpSession(options.backend, journal, { maxContentBytes });
    const h3: H3Connection = new H3Connection(connection, {
      role: 'server',
      isolateRequestErrors: true,
      onRequest: (request): Promise<void> | undefined => {
        if (wt.handleRequest(request)) return undefined;
        return handleRequest(request, session, maxContentBytes, options.staticDir);
      },
    });
    const wt = new WebTransportConnection(h3, {
      paths: [WWATP_PATH],
      onSession: (s) => serveWebTransport(s, options, journal, maxContentBytes),
    });
    connections.add(h3);
    void connection.closed.then(() => {
      session.close();
      connections.delete(h3);
    });
    h3.start().catch(() => undefined);
  };
  // QUIC datagrams on: browsers send H3_DATAGRAM=1 (RFC 9297), which needs them underneath.
  const quic = await listenQuic({ host, port: options.port ?? 4433, cert, key, alpn: ['h3'], datagrams: true, onConnection });
  const port = quic.address.port;
  // HTTP/1.1 on TCP beside QUIC: the explorer, /wwatp-info and the WebSocket tunnel.
  let http: HttpServer | undefined;
  if (options.httpPort !== undefined) {
    http = await startHttpServer({
      port: options.httpPort, host: options.httpHost ?? host, staticDir: options.staticDir, quicHost: host, quicPort: quic.address.port,
      certificateHash: () => hash, session: () => new WwatpSession(options.backend, journal, { maxContentBytes }), maxMessageBytes: maxContentBytes + 1024 * 1024,
    }).catch(async (error: unknown) => {
      renewer?.stop();
      await quic.close();
      throw error;
    });
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `wwatp://${shownHost}:${port}/`,
    port,
    get certificateHash() {
      return hash;
    },
    ...(http ? { httpPort: http.port, httpUrl: http.url } : {}),
    async close() {
      renewer?.stop();
      await http?.close();
      await Promise.all([...connections].map((c) => c.goaway().catch(() => undefined)));
      await quic.close();
      journal.close();
    },
  };
}

/**
 * A WebTransport session is one WWATP session: each bidirectional stream the client opens
 * is served exactly like a `POST /wwatp` body, and the session's listeners and transaction
 * layers go when the WebTransport session (or its connection) ends.
 */
function serveWebTransport(wt: WebTransportSession, options: StartServerOptions, journal: JournalSource, maxContentBytes: number): void {
  const session = new WwatpSession(options.backend, journal, { maxContentBytes });
  wt.onBidiStream = (stream) => void serveStream(session, stream, stream, { maxMessageBytes: maxContentBytes + 1024 * 1024 });
  // WWATP defines nothing for uni streams or datagrams: refuse and drop them unless the hook takes them.
  wt.onUniStream = (stream) => stream.stopSending(0);
  wt.onDatagram = () => undefined;
  void wt.closed.then(() => session.close());
  options.onWebTransportSession?.(wt);
}

async function handleRequest(request: H3Request, session: WwatpSession, maxContentBytes: number, staticDir: string | undefined): Promise<void> {
  if (request.path === WWATP_PATH || request.path?.startsWith(`${WWATP_PATH}?`)) {
    if (request.method !== 'POST') {
      await request.respond([[':status', '405'], ['allow', 'POST']], { body: new TextEncoder().encode('WWATP streams are POST requests\n') });
      return;
    }
    await request.respond([[':status', '200'], ['content-type', WWATP_CONTENT_TYPE]], { endStream: false });
    await serveStream(session, request.body, { write: (b) => request.writer.write(b), end: () => request.writer.end(), sendNow: () => request.writer.sendNow() }, { maxMessageBytes: maxContentBytes + 1024 * 1024 });
    return;
  }
  await serveStatic(request, staticDir);
}
