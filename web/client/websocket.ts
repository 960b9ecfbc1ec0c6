import { WwatpError } from '../../src/tree/errors.js';
import { muxStreamOpener, WsCloseCode, WsMux } from '../../src/transport/wwatp/ws-mux.js';
import type { StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
import { withDeadline } from './deadline.js';

/**
 * The WebSocket tunnel from a browser (docs/PROTOCOL.md §2.1): one WebSocket, WWATP
 * streams multiplexed inside it by the same mux as the server's.
 */
export async function openWebSocketTunnel(url: string, timeoutMs = 10_000): Promise<StreamOpener> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new WwatpError('UNAVAILABLE', `cannot open the WebSocket tunnel ${url}`));
    ws.onclose = (event) => reject(new WwatpError('UNAVAILABLE', `the WebSocket tunnel ${url} closed while opening (${event.code})`));
  });
  await withDeadline(opened, timeoutMs, `opening ${url}`, () => ws.close());
  const mux = new WsMux(
    {
      send: (frame) => ws.send(frame),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      // Pages may only send 1000 or 3000-4999: other codes go as 4000 + code - 1000 (4002: protocol error).
      close: (code, reason) => ws.close(code === WsCloseCode.NORMAL ? code : 4000 + (code - 1000), reason),
    },
    { role: 'client' },
  );
  ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => mux.receive(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
  ws.onclose = (event) => mux.socketClosed(event.code, event.reason);
  ws.onerror = null;
  return muxStreamOpener(mux);
}
