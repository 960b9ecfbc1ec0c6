import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_MAX_FRAME_BYTES, WsCloseCode } from '../../transport/wwatp/ws-mux.js';
import { attachMux } from './http-ws-mux.js';
import { serveStream } from './serve-stream.js';
import type { WwatpSession } from './session.js';

export interface TunnelOptions {
  /** A fresh session for each WebSocket (one WebSocket = one WWATP session). */
  session: () => WwatpSession;
  maxMessageBytes: number;
}

export interface Tunnel {
  /** Takes over an HTTP upgrade request for the tunnel path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** WebSockets open now. */
  readonly connections: number;
  /** Closes every WebSocket (1001 going away) and waits for them to go. */
  close(): Promise<void>;
}

/**
 * Browsers only let a page open WebSockets to any origin, so the tunnel accepts pages of
 * its own origin (Origin's host equals Host) and clients that send no Origin (Node,
 * tools); another site the user visits must not reach the tree through the browser.
 */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${text.length + 1}\r\n\r\n${text}\n`);
}

/** The WebSocket tunnel endpoint: each WebSocket gets a session, each tunnel stream is served like an HTTP/3 request. */
export function createTunnel(options: TunnelOptions): Tunnel {
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES, perMessageDeflate: false });
  const live = new Set<WebSocket>();
  const gone = new Set<Promise<void>>();

  const onConnection = (ws: WebSocket): void => {
    const session = options.session();
    live.add(ws);
    const mux = attachMux(ws, {
      role: 'server',
      onStream: (stream) => void serveStream(session, stream.readable, stream, { maxMessageBytes: options.maxMessageBytes }).catch(() => undefined),
    });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    gone.add(closed);
    void Promise.all([mux.closed, closed]).then(() => {
      session.close();
      live.delete(ws);
      gone.delete(closed);
    });
  };

  return {
    handleUpgrade(req, socket, head) {
      if (!sameOrigin(req)) return refuse(socket, 403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, onConnection);
    },
    get connections() {
      return live.size;
    },
    async close() {
      for (const ws of live) {
        ws.close(WsCloseCode.GOING_AWAY, 'server shutting down');
        setTimeout(() => ws.terminate(), 1000).unref();
      }
      await Promise.all([...gone]);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
