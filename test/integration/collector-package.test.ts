import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built package, imported by its name as an application would: the default composite
// and the Collector's pieces are at the root.
t.test('the package root gives an application what wwatp serve serves', async (t) => {
  const wwatp = await import('wwatp');
  for (const name of ['createDefaultBackend', 'CollectorBackend', 'Collector', 'parseQueryString', 'startGrpcServer', 'CollectionRepo', 'CollectionStore', 'Registry']) {
    t.type((wwatp as Record<string, unknown>)[name], 'function', name);
  }
  t.equal(wwatp.COLLECTOR_MOUNT, 'collector');
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-package-collector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { backend, collector, close } = await wwatp.createDefaultBackend({ dataDir: dir });
  t.teardown(close);
  const books = new wwatp.TreeNode({ labelRule: 'collector/acme/books' });
  books.insertProperty('messageType', 'string', 'json');
  const dune = new wwatp.TreeNode({ labelRule: 'collector/acme/books/dune' });
  dune.insertProperty('record', 'json', { title: 'Dune', year: 1965 });
  await backend.upsertNode([books, dune]);
  t.same((await backend.queryNodes('collector/acme/books/*?year=1965')).map((n) => n.labelRule), ['collector/acme/books/dune']);
  t.equal((await collector?.repo.collection('acme', 'books'))?.name, 'books');
  t.same(wwatp.parseQueryString('year>=2000&limit=5'), { filters: [{ field: 'year', operator: 'GREATER_EQUAL', value: 2000 }], limit: 5 });
});
