import { WwatpError } from '../../src/tree/errors.js';
import { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { RequestBatcher } from '../../src/transport/wwatp/request-batcher.js';
import { Signal } from '../../src/transport/wwatp/signals.js';
import type { StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
import { fetchWwatpInfo, webSocketUrlOf } from './info.js';
import { openWebTransportStreams, webTransportAvailable } from './webtransport.js';
import { openWebSocketTunnel } from './websocket.js';
import { withDeadline } from './deadline.js';

export type BrowserTransport = 'webtransport' | 'websocket';
export type ConnectionState = 'connected' | 'reconnecting' | 'closed';

export interface ConnectBrowserOptions {
  /** 'auto' (default): WebTransport, falling back to the WebSocket tunnel by itself. */
  transport?: 'auto' | BrowserTransport;
  /** Where the server describes itself (default /wwatp-info on the page's origin). */
  infoUrl?: string;
  /** Most nodes kept in the local cache (default 10,000; 0 disables it). */
  cacheSize?: number;
  maxContentBytes?: number;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** How long WebTransport may take to prove itself before 'auto' falls back (default 3000 ms). */
  webTransportTimeoutMs?: number;
  /** Connection changes, for a status display. */
  onState?: (state: ConnectionState, detail: { transport: BrowserTransport | undefined; error?: unknown; fallbackReason?: string }) => void;
}

export interface BrowserConnection {
  /** The tree: the same Http3ClientBackend as the Node client. */
  readonly backend: Http3ClientBackend;
  /** The transport in use now (it can change when a reconnect falls back). */
  readonly transport: BrowserTransport;
  /** Why 'auto' is not on WebTransport, when it is not. */
  readonly fallbackReason: string | undefined;
  close(): Promise<void>;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One WWATP round trip on a fresh opener: proves the streams work, not just the handshake. */
async function probe(opener: StreamOpener, ms: number): Promise<void> {
  const batcher = new RequestBatcher(() => opener, 1 << 20);
  await withDeadline(batcher.request(Signal.HEARTBEAT, {}), ms, 'a WWATP heartbeat over WebTransport');
}

/**
 * Connects a page to the WWATP server it came from. Every attempt (the first and each
 * reconnect) fetches /wwatp-info afresh, so a renewed certificate's hash is used; in
 * 'auto' it tries WebTransport (handshake and one heartbeat, within
 * `webTransportTimeoutMs`) and otherwise opens the WebSocket tunnel.
 */
export async function connectBrowser(options: ConnectBrowserOptions = {}): Promise<BrowserConnection> {
  const mode = options.transport ?? 'auto';
  const wtTimeout = options.webTransportTimeoutMs ?? 3000;
  let current: BrowserTransport | undefined;
  let fallbackReason: string | undefined;

  const connect = async (): Promise<StreamOpener> => {
    const info = await fetchWwatpInfo(options.infoUrl);
    if (mode !== 'websocket') {
      try {
        if (!webTransportAvailable()) throw new WwatpError('UNSUPPORTED', 'this browser (or page) has no WebTransport');
        const opener = await openWebTransportStreams(info, wtTimeout);
        try {
          await probe(opener, wtTimeout);
        } catch (error) {
          await opener.close().catch(() => undefined);
          throw error;
        }
        current = 'webtransport';
        fallbackReason = undefined;
        return opener;
      } catch (error) {
        if (mode === 'webtransport') throw error;
        fallbackReason = `WebTransport: ${describe(error)}`;
      }
    }
    const opener = await openWebSocketTunnel(webSocketUrlOf(info, options.infoUrl));
    current = 'websocket';
    return opener;
  };

  const backend = await Http3ClientBackend.open({
    connect,
    ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}),
    ...(options.maxContentBytes !== undefined ? { maxContentBytes: options.maxContentBytes } : {}),
    ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    onState: (state, error) => options.onState?.(state, { transport: current, ...(error !== undefined ? { error } : {}), ...(fallbackReason ? { fallbackReason } : {}) }),
  });
  return {
    backend,
    get transport() {
      return current as BrowserTransport;
    },
    get fallbackReason() {
      return fallbackReason;
    },
    close: () => backend.close(),
  };
}
