import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { startServer } from '../../src/frontends/server/start-server.js';
import { connect } from '../../src/frontends/client/connect.js';
import { runConformanceSuite } from '../conformance/index.js';
import type { Backend } from '../../src/backends/backend.js';

// The conformance suite against Http3ClientBackend over real QUIC on loopback.
const certsDir = mkdtempSync(join(tmpdir(), 'wwatp-certs-'));
t.teardown(() => rmSync(certsDir, { recursive: true, force: true }));

function suiteOver(name: string, makeBackend: () => Promise<{ backend: Backend; close: () => Promise<void> }>, rounds: number): void {
  t.test(name, async (t) => {
    runConformanceSuite(t, {
      transactionLayers: true,
      rounds,
      propertyCases: 100,
      make: async () => {
        const store = await makeBackend();
        const server = await startServer({ backend: store.backend, port: 0, certsDir });
        const options = { certificateHash: server.certificateHash };
        const backend = await connect(server.url, options);
        const peer = await connect(server.url, options);
        return {
          backend,
          peer,
          close: async () => {
            await backend.close();
            await peer.close();
            await server.close();
            await store.close();
          },
        };
      },
    });
  });
}

suiteOver('memory server', async () => ({ backend: new SimpleBackend(), close: async () => undefined }), 50);
suiteOver('SQLite server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-sqlite-'));
  const backend = await SqliteBackend.open({ path: join(dir, 'tree.db') });
  return { backend, close: async () => { await backend.close(); rmSync(dir, { recursive: true, force: true }); } };
}, 20);
