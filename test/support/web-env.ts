/**
 * Shared pieces for the WebSocket tunnel and browser client tests: a real server with
 * its HTTP side on, tunnel clients, and a raw WebSocket for sending frames by hand.
 */
import type { Test } from 'tap';
import { WebSocket } from 'ws';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import type { Backend } from '../../src/backends/backend.js';
import type { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { connectWebSocket, type WebSocketConnectOptions } from '../../src/frontends/client/websocket.js';
import { startServer, type StartServerOptions } from '../../src/frontends/server/start-server.js';
import { concatBytes } from '../../src/transport/bytes.js';
import { decodeWsFrame, type WsFrame } from '../../src/transport/wwatp/ws-mux.js';
import { tempDir, within, type Closer } from './transport-env.js';

export interface WebTestServer {
  readonly url: string;
  readonly port: number;
  readonly certificateHash: string;
  readonly httpPort: number;
  /** http://127.0.0.1:PORT */
  readonly httpBase: string;
  /** ws://127.0.0.1:PORT/wwatp-ws */
  readonly wsUrl: string;
  readonly backend: Backend;
  readonly certsDir: string;
  /** Closes it now (it is closed at the end of the test anyway). */
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (free ports) with HTTP on, a memory tree unless given, closed by `closer`. */
export async function serveWeb(t: Test, closer: Closer, options: Partial<StartServerOptions> = {}): Promise<WebTestServer> {
  const backend = options.backend ?? new SimpleBackend();
  const certsDir = options.certsDir ?? tempDir(t, 'wwatp-web-certs-');
  const server = await startServer({ port: 0, httpPort: 0, host: '127.0.0.1', ...options, backend, certsDir });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= server.close());
  closer.add(`server ${server.url}`, close, server);
  const httpPort = server.httpPort as number;
  return {
    url: server.url,
    port: server.port,
    get certificateHash() {
      return server.certificateHash;
    },
    httpPort,
    httpBase: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}/wwatp-ws`,
    backend,
    certsDir,
    close,
  };
}

/** A tunnel client, closed at the end of the test. */
export async function wsClient(closer: Closer, server: { wsUrl: string }, options: WebSocketConnectOptions = {}): Promise<Http3ClientBackend> {
  const backend = await within(connectWebSocket(server.wsUrl, options), 10_000, `connecting to ${server.wsUrl}`);
  return closer.add(`tunnel client of ${server.wsUrl}`, () => backend.close(), backend);
}

/** A WebSocket to the tunnel that speaks frames by hand. */
export class RawTunnel {
  readonly frames: WsFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: (() => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeWsFrame(new Uint8Array(data)));
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(closer: Closer, url: string, headers: Record<string, string> = {}): Promise<RawTunnel> {
    const ws = new WebSocket(url, { headers });
    await within(new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }), 5000, `opening ${url}`);
    ws.on('error', () => undefined);
    return closer.add(`raw tunnel ${url}`, async () => ws.terminate(), new RawTunnel(ws));
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** Frames received on `streamId` until its FIN (or RESET), within `ms`. */
  async streamUntilEnd(streamId: number, ms = 5000): Promise<WsFrame[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const mine = this.frames.filter((f) => f.streamId === streamId);
      if (mine.some((f) => f.fin || f.reset)) return mine;
      if (Date.now() > deadline) throw new Error(`stream ${streamId} did not end within ${ms} ms`);
      await within(new Promise<void>((resolve) => (this.#wake = resolve)), Math.max(1, deadline - Date.now()), `stream ${streamId}`).catch(() => undefined);
    }
  }
}

export { concatBytes as concat };
