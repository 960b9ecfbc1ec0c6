import { WebSocket } from 'ws';
import { WwatpError } from '../../tree/errors.js';
import { muxStreamOpener, WS_MAX_FRAME_BYTES, WWATP_WS_PATH } from '../../transport/wwatp/ws-mux.js';
import type { StreamOpener } from '../../transport/wwatp/byte-stream.js';
import { Http3ClientBackend, type Http3ClientBackendOptions } from '../../backends/http3-client/http3-client-backend.js';
import { attachMux } from '../server/http-ws-mux.js';

export interface WebSocketConnectOptions {
  /** Most nodes kept in the local cache (default 10,000; 0 disables it). */
  cacheSize?: number;
  maxContentBytes?: number;
  reconnect?: boolean;
  onState?: Http3ClientBackendOptions['onState'];
  /** Give up opening the WebSocket after this long (default 10 s). */
  timeoutMs?: number;
  /** Extra request headers (a proxy's authorization, say). */
  headers?: Record<string, string>;
}

/**
 * The tunnel URL for `url`: ws(s):// URLs are taken as they are; http(s)://host:port/
 * (the page URL `wwatp serve` prints) becomes ws(s)://host:port/wwatp-ws.
 */
export function tunnelUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new WwatpError('INVALID_NODE', `not a URL: "${url}" (use ws://host:port/wwatp-ws or http://host:port/)`, { cause });
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    parsed.protocol = parsed.protocol === 'http:' ? 'ws:' : 'wss:';
    if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = WWATP_WS_PATH;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new WwatpError('INVALID_NODE', `unsupported URL scheme in "${url}" (use ws://, wss://, http:// or https://)`);
  return parsed.toString();
}

/** Opens one WebSocket to the tunnel and offers WWATP streams inside it. */
export function openWebSocketStreams(url: string, options: Pick<WebSocketConnectOptions, 'timeoutMs' | 'headers'> = {}): Promise<StreamOpener> {
  const target = tunnelUrl(url);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { maxPayload: WS_MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: options.timeoutMs ?? 10_000, ...(options.headers ? { headers: options.headers } : {}) });
    let settled = false;
    // Stays subscribed after a failure: terminating a handshake emits one more 'error'.
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(new WwatpError('UNAVAILABLE', `cannot open the WebSocket tunnel ${target}: ${error.message}`, { cause: error }));
      ws.terminate();
    };
    ws.on('error', fail);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      fail(new Error(`the server answered HTTP ${res.statusCode}`));
    });
    ws.once('open', () => {
      settled = true;
      const mux = attachMux(ws, { role: 'client' });
      ws.off('error', fail);
      resolve(muxStreamOpener(mux));
    });
  });
}

/**
 * Connects to a WWATP server through its WebSocket tunnel (TCP only: for networks that
 * block UDP) and returns it as a Backend, the same Http3ClientBackend as over QUIC.
 * `url`: ws://host:port/wwatp-ws, or the server's http://host:port/ page URL.
 */
export function connectWebSocket(url: string, options: WebSocketConnectOptions = {}): Promise<Http3ClientBackend> {
  return Http3ClientBackend.open({
    connect: () => openWebSocketStreams(url, options),
    ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}),
    ...(options.maxContentBytes !== undefined ? { maxContentBytes: options.maxContentBytes } : {}),
    ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    ...(options.onState ? { onState: options.onState } : {}),
  });
}
