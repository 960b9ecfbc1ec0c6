import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WwatpError } from '../../tree/errors.js';
import { WWATP_INFO_PATH, WWATP_WS_PATH, type WwatpInfo } from '../../transport/wwatp/ws-mux.js';
import { defaultStaticDir, serveHttpStatic } from './http-static.js';
import { createTunnel } from './http-tunnel.js';
import type { WwatpSession } from './session.js';

export interface HttpServerOptions {
  /** TCP port (0 picks a free one). */
  port: number;
  host: string;
  /** Files for GET requests; default the built web/dist when it exists. */
  staticDir?: string;
  /** Where the QUIC server listens: for the WebTransport URL in /wwatp-info. */
  quicHost: string;
  quicPort: number;
  /** The certificate hash now (it changes when the development certificate is renewed). */
  certificateHash: () => string;
  /** A fresh session per WebSocket. */
  session: () => WwatpSession;
  maxMessageBytes: number;
}

export interface HttpServer {
  readonly port: number;
  /** http://localhost:port/ (or the address it listens on). */
  readonly url: string;
  close(): Promise<void>;
}

const WILDCARD = new Set(['0.0.0.0', '::']);
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * /wwatp-info for one request. WebTransport goes to the QUIC listener's own address; when
 * that listens everywhere, to the host the page came from (a LAN address, say), except
 * `localhost`, which a browser may resolve to ::1 where an IPv4 listener is not.
 */
export function wwatpInfo(options: Pick<HttpServerOptions, 'quicHost' | 'quicPort' | 'certificateHash'>, requestHost?: string): WwatpInfo {
  let host = options.quicHost;
  if (WILDCARD.has(host)) {
    let seen: string | undefined;
    try {
      seen = requestHost ? new URL(`http://${requestHost}`).hostname.replace(/^\[|\]$/g, '') : undefined;
    } catch {
      seen = undefined;
    }
    host = seen && !LOOPBACK.has(seen) ? seen : host === '::' ? '::1' : '127.0.0.1';
  } else if (host === 'localhost') {
    host = '127.0.0.1';
  }
  const hash = options.certificateHash();
  return {
    webTransportUrl: `https://${bracket(host)}:${options.quicPort}/wwatp`,
    certificateHash: hash,
    certificateHashBytes: Array.from(hash.match(/../g) ?? [], (byte) => parseInt(byte, 16)),
    webSocketPath: WWATP_WS_PATH,
    quicPort: options.quicPort,
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * The server's HTTP/1.1 face on TCP: the explorer's files, GET /wwatp-info (how to reach
 * the tree by WebTransport) and the WebSocket tunnel at /wwatp-ws (docs/PROTOCOL.md §2.1).
 * A page on http://localhost is a secure context, so it may use WebTransport.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const staticDir = options.staticDir ?? defaultStaticDir();
  const tunnel = createTunnel({ session: options.session, maxMessageBytes: options.maxMessageBytes });
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req);
    if (path === WWATP_INFO_PATH) {
      const body = JSON.stringify(wwatpInfo(options, req.headers.host));
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return;
    }
    if (path === WWATP_WS_PATH) {
      res.writeHead(426, { upgrade: 'websocket', 'content-type': 'text/plain' });
      res.end('the WWATP tunnel is a WebSocket\n');
      return;
    }
    serveHttpStatic(req, res, staticDir).catch(() => res.destroy());
  };
  const server = createServer(onRequest);
  server.on('upgrade', (req, socket, head) => {
    if (pathOf(req) === WWATP_WS_PATH) return tunnel.handleUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new WwatpError('UNAVAILABLE', `cannot listen on tcp ${bracket(options.host)}:${options.port}: ${error.code ?? error.message}`, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = WILDCARD.has(options.host) || LOOPBACK.has(options.host) ? 'localhost' : bracket(options.host);
  return {
    port,
    url: `http://${shown}:${port}/`,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await tunnel.close();
      server.closeAllConnections();
      await stopped;
    },
  };
}
