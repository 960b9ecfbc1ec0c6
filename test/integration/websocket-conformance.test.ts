import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { startServer } from '../../src/frontends/server/start-server.js';
import { connectWebSocket } from '../../src/frontends/client/websocket.js';
import { runConformanceSuite } from '../conformance/index.js';

// The conformance suite against Http3ClientBackend over the WebSocket tunnel (TCP only).
const certsDir = mkdtempSync(join(tmpdir(), 'wwatp-certs-'));
t.teardown(() => rmSync(certsDir, { recursive: true, force: true }));

runConformanceSuite(t, {
  transactionLayers: true,
  rounds: 50,
  propertyCases: 100,
  make: async () => {
    const store = new SimpleBackend();
    const server = await startServer({ backend: store, port: 0, httpPort: 0, certsDir });
    const url = `ws://127.0.0.1:${server.httpPort}/wwatp-ws`;
    const backend = await connectWebSocket(url);
    // The page URL form works too: http://host:port/ means the tunnel on that server.
    const peer = await connectWebSocket(`http://127.0.0.1:${server.httpPort}/`);
    return {
      backend,
      peer,
      close: async () => {
        await backend.close();
        await peer.close();
        await server.close();
      },
    };
  },
});
