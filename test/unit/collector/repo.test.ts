import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Collector, type CollectionStore } from '../../../src/collector/index.js';
import { BOOK_PROTO, openCollector, tempDir } from './env.js';

t.test('create, update, describe, delete collections; one change each', async (t) => {
  const { collector, changes, dir } = await openCollector(t);
  const repo = collector.repo;
  const info = await repo.createCollection({ namespace: 'lib', name: 'notes', messageType: 'json', indexedFields: ['author.name'], labels: { team: 'docs' } });
  t.match(info, { namespace: 'lib', name: 'notes', messageType: 'json', indexedFields: ['author.name'], labels: { team: 'docs' }, serverEndpoint: '', recordCount: 0, version: 1 });
  t.ok(existsSync(join(dir, 'lib', 'notes.db')), 'one database per collection, in a directory per namespace');
  const again = await repo.createCollection({ namespace: 'lib', name: 'notes', messageType: 'json' });
  t.equal(again.version, 1, 'creating again with the same type changes nothing');
  await collector.registry.registerProto({ namespace: 'lib', fileName: 'book.proto', source: BOOK_PROTO });
  await t.rejects(repo.createCollection({ namespace: 'lib', name: 'notes', messageType: 'acme.Book' }), { code: 'ALREADY_EXISTS', message: /lib\/notes already exists with message type json/ });
  await t.rejects(repo.createCollection({ namespace: 'lib', name: 'x', messageType: 'acme.Nope' }), { code: 'NOT_FOUND', message: /acme\.Nope/ });
  await t.rejects(repo.createCollection({ namespace: 'lib', name: 'x', messageType: 'json', indexedFields: ["a'); drop table x;--"] }), { code: 'INVALID_FILTER' });

  const updated = await repo.updateCollection({ namespace: 'lib', name: 'notes', indexedFields: ['year'], labels: { team: 'docs', tier: 'gold' } });
  t.match(updated, { indexedFields: ['year'], labels: { tier: 'gold' }, version: 2 });
  const store = (await repo.collection('lib', 'notes')) as CollectionStore;
  t.match(store.explain({ filters: [{ field: 'year', operator: 'EQUALS', value: 1 }] }).join(), /ix:year/, 'the new index exists');
  t.notMatch(store.explain({ filters: [{ field: 'author.name', operator: 'EQUALS', value: 'x' }] }).join(), /ix:author/, 'the old one is gone');
  await t.rejects(repo.updateCollection({ namespace: 'lib', name: 'notes', messageType: 'acme.Book' }), { code: 'TYPE_MISMATCH' });
  await t.rejects(repo.updateCollection({ namespace: 'lib', name: 'none' }), { code: 'NOT_FOUND' });
  await store.create({ id: 'n1', json: { year: 1 } });
  t.equal((await repo.describe('lib', 'notes'))?.recordCount, 1);
  t.equal((await store.info()).recordCount, 1);
  t.equal((await store.info()).version, 2);

  t.same(await repo.namespaces(), ['lib', 'system']);
  t.same((await repo.collections('lib')).map((c) => c.name), ['notes']);
  t.equal(await repo.deleteCollection('lib', 'notes'), true);
  t.equal(await repo.deleteCollection('lib', 'notes'), false);
  t.equal(await repo.describe('lib', 'notes'), undefined);
  t.equal(await repo.collection('lib', 'notes'), undefined);
  t.notOk(existsSync(join(dir, 'lib', 'notes.db')), 'its database is removed');
  await t.rejects(async () => store.get('n1'), { code: 'CLOSED' });
  // Recreating starts empty.
  await repo.createCollection({ namespace: 'lib', name: 'notes', messageType: 'json' });
  t.equal((await repo.describe('lib', 'notes'))?.recordCount, 0);

  t.same(
    changes.map((c) => `${c.kind}:${c.kind === 'collection' ? `${c.name}:${c.info?.version ?? 'deleted'}` : c.kind === 'record' ? `${c.collection}/${c.id}` : ''}`),
    ['collection:notes:1', 'record:protos/lib:book.proto', 'collection:notes:2', 'record:notes/n1', 'collection:notes:deleted', 'collection:notes:1'],
  );
});

t.test('discover by namespace, labels and message type, a page at a time', async (t) => {
  const { collector } = await openCollector(t);
  const repo = collector.repo;
  await collector.registry.registerProto({ namespace: 'acme', fileName: 'book.proto', source: BOOK_PROTO });
  for (let i = 0; i < 7; i++) await repo.createCollection({ namespace: 'acme', name: `c${i}`, messageType: i % 2 ? 'acme.Book' : 'json', labels: { parity: i % 2 ? 'odd' : 'even', team: 'x' } });
  await repo.createCollection({ namespace: 'other', name: 'c0', messageType: 'json', labels: { parity: 'even' } });
  const names = (r: { collections: Array<{ namespace: string; name: string }> }) => r.collections.map((c) => `${c.namespace}/${c.name}`);
  t.same(names(await repo.discover({ namespace: 'acme', labels: { parity: 'odd' } })), ['acme/c1', 'acme/c3', 'acme/c5']);
  t.same(names(await repo.discover({ messageType: 'acme.Book' })), ['acme/c1', 'acme/c3', 'acme/c5']);
  t.same(names(await repo.discover({ labels: { parity: 'even' } })), ['acme/c0', 'acme/c2', 'acme/c4', 'acme/c6', 'other/c0']);
  t.same(names(await repo.discover({ labels: { parity: 'even', team: 'x' }, namespace: 'acme', messageType: 'json' })), ['acme/c0', 'acme/c2', 'acme/c4', 'acme/c6']);
  const seen: string[] = [];
  let pageToken = '';
  let pages = 0;
  do {
    const page = await repo.discover({ namespace: 'acme', pageSize: 3, pageToken });
    seen.push(...names(page));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== '');
  t.equal(pages, 3);
  t.same(seen, ['acme/c0', 'acme/c1', 'acme/c2', 'acme/c3', 'acme/c4', 'acme/c5', 'acme/c6']);
  await t.rejects(repo.discover({ pageToken: 'abc' }), { code: 'MALFORMED' });
});

t.test('route says where a collection is served', async (t) => {
  const { collector } = await openCollector(t);
  await collector.repo.createCollection({ namespace: 'acme', name: 'here', messageType: 'json' });
  await collector.repo.createCollection({ namespace: 'acme', name: 'there', messageType: 'json', serverEndpoint: 'wwatp://peer:4433/' });
  t.match(await collector.repo.route('acme', 'here'), { serverEndpoint: '', collection: { name: 'here' } });
  t.match(await collector.repo.route('acme', 'there'), { serverEndpoint: 'wwatp://peer:4433/', collection: { name: 'there' } });
  await t.rejects(collector.repo.route('acme', 'nowhere'), { code: 'NOT_FOUND' });
});

t.test('searchCollections merges real results from several collections', async (t) => {
  const { collector } = await openCollector(t);
  const repo = collector.repo;
  await collector.registry.registerProto({ namespace: 'acme', fileName: 'book.proto', source: BOOK_PROTO });
  await repo.createCollection({ namespace: 'acme', name: 'books', messageType: 'acme.Book' });
  await repo.createCollection({ namespace: 'acme', name: 'notes', messageType: 'json' });
  await repo.createCollection({ namespace: 'acme', name: 'empty', messageType: 'json' });
  await repo.createCollection({ namespace: 'other', name: 'misc', messageType: 'json' });
  const books = (await repo.collection('acme', 'books')) as CollectionStore;
  const notes = (await repo.collection('acme', 'notes')) as CollectionStore;
  const misc = (await repo.collection('other', 'misc')) as CollectionStore;
  await books.create({ id: 'dune', json: { title: 'Dune', year: 1965 } });
  await books.create({ id: 'neuromancer', json: { title: 'Neuromancer', year: 1984 } });
  await notes.create({ id: 'n1', json: { title: 'Notes on Dune', year: 2020 } });
  await misc.create({ id: 'm1', json: { title: 'Dune (film)', year: 2021 } });

  const inAcme = await repo.searchCollections({ namespace: 'acme', query: { fullText: 'dune' } });
  t.same(inAcme.map((r) => [r.collection, r.hits.map((h) => h.record.id)]), [['books', ['dune']], ['notes', ['n1']]]);
  const everywhere = await repo.searchCollections({ query: { filters: [{ field: 'year', operator: 'GREATER_THAN', value: 2000 }] } });
  t.same(everywhere.map((r) => `${r.namespace}/${r.collection}:${r.hits.map((h) => h.record.id).join(',')}`), ['acme/notes:n1', 'other/misc:m1']);
  const named = await repo.searchCollections({ namespace: 'acme', collectionNames: ['books'], query: { filters: [{ field: 'year', operator: 'IN', value: [1965, 1984] }], orderBy: [{ field: 'year', ascending: false }] } });
  t.same(named.map((r) => r.hits.map((h) => h.record.id)), [['neuromancer', 'dune']]);
  await t.rejects(repo.searchCollections({ query: { filters: [{ field: 'x;', operator: 'EQUALS', value: 1 }] } }), { code: 'INVALID_FILTER' });
});

t.test('the repo survives a restart', async (t) => {
  const dir = tempDir(t);
  const first = await Collector.open({ dir });
  await first.registry.registerProto({ namespace: 'acme', fileName: 'book.proto', source: BOOK_PROTO });
  await first.repo.createCollection({ namespace: 'acme', name: 'books', messageType: 'acme.Book', indexedFields: ['year'], labels: { a: 'b' }, serverEndpoint: '' });
  await first.repo.createCollection({ namespace: 'zoo', name: 'animals', messageType: 'json' });
  await first.close();
  const second = await Collector.open({ dir });
  t.teardown(() => second.close());
  t.same(await second.repo.namespaces(), ['acme', 'system', 'zoo']);
  t.match(await second.repo.describe('acme', 'books'), { messageType: 'acme.Book', indexedFields: ['year'], labels: { a: 'b' } });
  t.same((await second.repo.discover({ labels: { a: 'b' } })).collections.map((c) => c.name), ['books']);
});

t.test('onChange: after the write is durable, one per write, until unsubscribed', async (t) => {
  const { collector } = await openCollector(t);
  await collector.repo.createCollection({ namespace: 'lib', name: 'n', messageType: 'json' });
  const store = (await collector.repo.collection('lib', 'n')) as CollectionStore;
  const seen: string[] = [];
  const stop = collector.onChange((c) => {
    if (c.kind !== 'record') return;
    seen.push(c.id);
    // The change arrives after commit: a fresh reader already sees it.
    void store.get(c.id).then((r) => t.ok(r === undefined ? c.record === undefined : r.version === c.record?.version, `${c.id} readable at its version`));
  });
  collector.onChange(() => {
    throw new Error('a broken listener');
  });
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    await store.create({ id: 'a', json: {} });
    await store.upsert({ id: 'a', json: { x: 1 } });
    stop();
    await store.create({ id: 'b', json: {} });
  } finally {
    console.error = original;
  }
  t.same(seen, ['a', 'a'], 'nothing after unsubscribing');
  t.equal(errors.length, 3, 'a throwing listener is reported, and the writes still succeed');
  t.equal(await store.count(), 2);
});

/** describe's and collections' record counts, and what SQLite itself counts in the file. */
async function counts(repo: Collector['repo'], dir: string, namespace: string, name: string): Promise<{ describe: number | undefined; collections: number | undefined; rows: number }> {
  const raw = new Database(join(dir, namespace, `${name}.db`), { readonly: true });
  try {
    return {
      describe: (await repo.describe(namespace, name))?.recordCount,
      collections: (await repo.collections(namespace)).find((c) => c.name === name)?.recordCount,
      rows: (raw.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n,
    };
  } finally {
    raw.close();
  }
}

t.test('record counts are kept with every write, without counting the records', async (t) => {
  const dir = tempDir(t);
  const { collector } = await openCollector(t, dir);
  const repo = collector.repo;
  await repo.createCollection({ namespace: 'cnt', name: 'items', messageType: 'json' });
  await repo.createCollection({ namespace: 'cnt', name: 'other', messageType: 'json' });
  const store = (await repo.collection('cnt', 'items')) as CollectionStore;
  const expect = async (n: number, what: string) => t.same(await counts(repo, dir, 'cnt', 'items'), { describe: n, collections: n, rows: n }, what);
  await expect(0, 'a new collection holds none');

  await Promise.all(Array.from({ length: 25 }, (_, i) => store.create({ id: `i${i}`, json: { i } })));
  await expect(25, 'creates, sharing commits');
  await store.upsert({ id: 'i3', json: { i: 'again' } });
  await store.update({ id: 'i4', json: { i: 'again' } });
  await expect(25, 'upserts and updates of existing records add none');
  await store.upsert({ id: 'new', json: {} });
  await expect(26, 'an upsert of a new id adds one');
  t.equal(await store.delete('i0'), true);
  t.equal(await store.delete('i0'), false);
  await expect(25, 'a delete removes one; deleting an absent id none');

  // Refused writes, alone and in one batch with good ones.
  const refused = await Promise.allSettled([
    store.create({ id: 'i1', json: {} }),
    store.update({ id: 'absent', json: {} }),
    store.update({ id: 'i2', json: {} }, 99),
    store.create({ id: 'bad', json: [] as never }),
    store.create({ id: 'ok1', json: {} }),
  ]);
  t.same(refused.map((r) => r.status), ['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
  await expect(26, 'only the accepted write of the batch counted');

  // A write SQLite itself fails rolls back its whole batch, the count with it.
  const raw = new Database(join(dir, 'cnt', 'items.db'));
  raw.exec("CREATE TRIGGER fail_boom BEFORE INSERT ON records WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  const failed = await Promise.allSettled([store.create({ id: 'lost1', json: {} }), store.create({ id: 'boom', json: {} }), store.delete('i5')]);
  t.same(failed.map((r) => r.status), ['rejected', 'rejected', 'rejected'], 'the batch failed as one');
  raw.exec('DROP TRIGGER fail_boom');
  raw.close();
  t.equal(await store.get('i5').then((r) => r?.id), 'i5', 'its delete was rolled back');
  await expect(26, 'nothing of the failed batch counted');

  t.equal((await counts(repo, dir, 'cnt', 'other')).describe, 0, 'other collections keep their own count');

  // describe reads the kept count: one row looked up, no scan of records.
  const plan = store.explainCount();
  t.ok(plan.length > 0 && plan.every((d) => /^SEARCH record_count USING INTEGER PRIMARY KEY/.test(d)), `count plan: ${plan.join('; ')}`);
  t.notMatch(plan.join(), /\brecords\b|SCAN/);

  await collector.close();
  const reopened = await Collector.open({ dir });
  t.teardown(() => reopened.close());
  t.same(await counts(reopened.repo, dir, 'cnt', 'items'), { describe: 26, collections: 26, rows: 26 }, 'the count survives a restart');
  const again = (await reopened.repo.collection('cnt', 'items')) as CollectionStore;
  await again.create({ id: 'after', json: {} });
  t.equal((await reopened.repo.describe('cnt', 'items'))?.recordCount, 27);
});

t.test('a collection database from before the kept count gets it computed once, on open', async (t) => {
  const dir = tempDir(t);
  const first = await Collector.open({ dir });
  await first.repo.createCollection({ namespace: 'old', name: 'items', messageType: 'json' });
  const store = (await first.repo.collection('old', 'items')) as CollectionStore;
  await Promise.all(Array.from({ length: 40 }, (_, i) => store.create({ id: `r${i}`, json: { i } })));
  await first.close();

  // Back to schema version 1, as a database an earlier wwatp wrote, with records added since.
  const raw = new Database(join(dir, 'old', 'items.db'));
  raw.exec('DROP TRIGGER record_count_insert; DROP TRIGGER record_count_delete; DROP TABLE record_count; DELETE FROM collector_migrations WHERE version >= 2');
  raw.exec("DELETE FROM records WHERE id IN ('r0', 'r1', 'r2')");
  raw.close();

  const second = await Collector.open({ dir });
  t.teardown(() => second.close());
  t.equal((await second.repo.describe('old', 'items'))?.recordCount, 37, 'counted by the migration');
  const migrated = new Database(join(dir, 'old', 'items.db'), { readonly: true });
  t.same(migrated.prepare('SELECT version FROM collector_migrations ORDER BY version').all(), [{ version: 1 }, { version: 2 }]);
  migrated.close();
  const s2 = (await second.repo.collection('old', 'items')) as CollectionStore;
  await s2.create({ id: 'new', json: {} });
  await s2.delete('r3');
  await s2.delete('r4');
  t.equal((await second.repo.describe('old', 'items'))?.recordCount, 36, 'and kept from then on');
});
