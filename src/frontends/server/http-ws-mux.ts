import type { RawData, WebSocket } from 'ws';
import { WsMux, type WsMuxOptions } from '../../transport/wwatp/ws-mux.js';

/** How long a WebSocket we closed may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 2000;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * Puts a tunnel mux (src/transport/wwatp/ws-mux.ts) on a `ws` WebSocket, server or
 * client side. Unlike a browser, `ws` can pause reading, so a slow reader holds the
 * peer back instead of buffering without bound.
 */
export function attachMux(ws: WebSocket, options: WsMuxOptions): WsMux {
  ws.binaryType = 'nodebuffer';
  const mux = new WsMux(
    {
      send: (frame) => ws.send(frame),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      close: (code, reason) => {
        ws.close(code, reason);
        // A peer that broke the protocol may not answer the close: do not wait for it long.
        setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
      },
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    },
    options,
  );
  ws.on('message', (data, isBinary) => mux.receive(isBinary ? toBytes(data) : new TextDecoder().decode(toBytes(data))));
  ws.on('close', (code, reason) => mux.socketClosed(code, reason.toString()));
  // 'close' always follows 'error'; the mux learns about it there.
  ws.on('error', () => undefined);
  return mux;
}
