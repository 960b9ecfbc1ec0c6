import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { runConformanceSuite } from '../../conformance/index.js';

// Every target is a real database file in its own temp directory, durable
// (synchronous=FULL) as shipped, with the full 1000 build-and-delete rounds. No peer:
// a second SqliteBackend on the same file does not hear the first one's writes.
runConformanceSuite(t, {
  async make() {
    const dir = mkdtempSync(join(tmpdir(), 'wwatp-sqlite-conf-'));
    const backend = await SqliteBackend.open({ path: join(dir, 'tree.db') });
    return {
      backend,
      async close() {
        await backend.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
