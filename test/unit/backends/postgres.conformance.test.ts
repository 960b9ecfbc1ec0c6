import t from 'tap';
import { PostgresBackend } from '../../../src/backends/postgres/index.js';
import { runConformanceSuite } from '../../conformance/index.js';
import { freshDatabase, startPostgres } from '../../support/postgres.js';

// One server for the file; every make() gets its own database, seen by two backends
// (the peer hears the first one's writes through LISTEN/NOTIFY).
const server = await startPostgres();
t.teardown(() => server.stop());

runConformanceSuite(t, {
  make: async () => {
    const connectionString = await freshDatabase(server.url);
    const backend = await PostgresBackend.open({ connectionString });
    const peer = await PostgresBackend.open({ connectionString });
    return {
      backend,
      peer,
      close: async () => {
        await backend.close();
        await peer.close();
      },
    };
  },
});
