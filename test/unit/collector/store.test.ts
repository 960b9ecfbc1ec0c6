import t, { type Test } from 'tap';
import { Collector, type CollectionStore } from '../../../src/collector/index.js';
import { openCollector, tempDir } from './env.js';

async function books(t: Test) {
  const env = await openCollector(t);
  await env.collector.repo.createCollection({ namespace: 'lib', name: 'books', messageType: 'json' });
  const store = (await env.collector.repo.collection('lib', 'books')) as CollectionStore;
  env.changes.length = 0;
  return { ...env, store };
}

t.test('create, get, update, upsert, delete with versions and one change each', async (t) => {
  const { store, changes } = await books(t);
  const created = await store.create({ id: 'dune', json: { title: 'Dune' }, dataUri: 'https://example.org/dune' });
  t.equal(created.version, 1);
  t.equal(created.type, 'json');
  t.equal(Buffer.from(created.protoData).toString(), '{"title":"Dune"}', 'schemaless protoData is the UTF-8 JSON');
  const got = await store.get('dune');
  t.same(got?.json, { title: 'Dune' });
  t.equal(got?.dataUri, 'https://example.org/dune');
  t.equal(await store.get('missing'), undefined);
  await t.rejects(store.create({ id: 'dune', json: {} }), { code: 'ALREADY_EXISTS' });

  const updated = await store.update({ id: 'dune', json: { title: 'Dune', year: 1965 } }, 1);
  t.equal(updated.version, 2);
  t.equal(updated.createdAt, created.createdAt, 'createdAt kept');
  t.equal(updated.dataUri, 'https://example.org/dune', 'dataUri kept when not given');
  await t.rejects(store.update({ id: 'dune', json: {} }, 1), { code: 'VERSION_CONFLICT' });
  await t.rejects(store.update({ id: 'nope', json: {} }), { code: 'NOT_FOUND' });
  t.equal((await store.upsert({ id: 'dune', json: { title: 'Dune!' } })).version, 3);
  t.equal((await store.upsert({ id: 'hobbit', json: { title: 'The Hobbit' } })).version, 1);
  t.equal((await store.upsert({ id: 'hobbit', json: { title: 'The Hobbit' }, version: 42 })).version, 42, 'a given version is stored as is');
  t.equal((await store.get('hobbit'))?.version, 42);

  const fromBytes = await store.create({ id: 'bytes', protoData: Buffer.from('{"a":[1,2]}') });
  t.same(fromBytes.json, { a: [1, 2] }, 'schemaless records may arrive as UTF-8 JSON bytes');
  await t.rejects(store.create({ id: 'bad', protoData: Buffer.from('not json') }), { code: 'TYPE_MISMATCH' });
  await t.rejects(store.create({ id: 'arr', json: [1] as never }), { code: 'TYPE_MISMATCH' });

  t.equal(await store.delete('dune'), true);
  t.equal(await store.delete('dune'), false, 'deleting an absent record changes nothing');
  t.equal(await store.get('dune'), undefined);
  t.equal(await store.count(), 2);
  t.same((await store.list({})).map((r) => r.id), ['bytes', 'hobbit']);

  t.same(
    changes.map((c) => (c.kind === 'record' ? `${c.id}:${c.record?.version ?? 'deleted'}` : c.kind)),
    ['dune:1', 'dune:2', 'dune:3', 'hobbit:1', 'hobbit:42', 'bytes:1', 'dune:deleted'],
    'exactly one change per write, none for refused writes',
  );
});

t.test('record ids and other names are validated', async (t) => {
  const { store, collector } = await books(t);
  for (const id of ['', '.files', '.hidden', 'a/b', 'a b', '-x', 'x'.repeat(257), 'é']) {
    await t.rejects(async () => store.create({ id, json: {} }), { code: 'INVALID_LABEL' }, JSON.stringify(id));
  }
  for (const id of ['a', 'A_1', 'user@example.com', 'urn:isbn:0441013597', 'v1.2-3', '_x']) {
    t.equal((await store.create({ id, json: {} })).id, id);
  }
  const error = await collector.repo.createCollection({ namespace: 'bad ns', name: 'x', messageType: 'json' }).catch((e: Error) => e);
  t.match(error, { code: 'INVALID_LABEL', message: /namespace "bad ns"/ });
  await t.rejects(collector.repo.createCollection({ namespace: 'ok', name: '../etc', messageType: 'json' }), { code: 'INVALID_LABEL' });
  await t.rejects(collector.repo.createCollection({ namespace: 'ok', name: 'x'.repeat(65), messageType: 'json' }), { code: 'INVALID_LABEL' });
});

t.test('list pages in id order', async (t) => {
  const { store } = await books(t);
  await Promise.all(Array.from({ length: 25 }, (_, i) => store.create({ id: `r${String(i).padStart(2, '0')}`, json: { i } })));
  const seen: string[] = [];
  for (let offset = 0; ; offset += 10) {
    const page = await store.list({ offset, limit: 10 });
    if (page.length === 0) break;
    seen.push(...page.map((r) => r.id));
  }
  t.same(seen, Array.from({ length: 25 }, (_, i) => `r${String(i).padStart(2, '0')}`));
  t.same(await store.ids('r20', 3), ['r21', 'r22', 'r23']);
});

t.test('many overlapping writers: every write lands once, versions count every update', async (t) => {
  const { store, changes } = await books(t);
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 500; i++) writes.push(store.create({ id: `r${i}`, json: { i } }));
  // Overlapping updates of one record: each must see the one before.
  for (let i = 0; i < 200; i++) writes.push(store.upsert({ id: 'counter', json: { n: i } }));
  // Racing creates of one id: exactly one wins.
  const racing = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.create({ id: 'race', json: { by: i } })));
  await Promise.all(writes);
  t.equal(await store.count(), 502);
  t.equal((await store.get('counter'))?.version, 200);
  t.same((await store.get('counter'))?.json, { n: 199 }, 'the last write wins');
  t.equal(racing.filter((r) => r.status === 'fulfilled').length, 1);
  t.ok(racing.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'ALREADY_EXISTS'));
  t.equal(changes.length, 701);
  // Conditional updates racing on one prior version: one succeeds.
  const cas = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.update({ id: 'counter', json: { n: -i } }, 200)));
  t.equal(cas.filter((r) => r.status === 'fulfilled').length, 1);
});

t.test('two Collectors on one directory see each other\'s writes', async (t) => {
  const dir = tempDir(t);
  const a = await openCollector(t, dir);
  await a.collector.repo.createCollection({ namespace: 'lib', name: 'books', messageType: 'json' });
  const b = await openCollector(t, dir);
  const sa = (await a.collector.repo.collection('lib', 'books')) as CollectionStore;
  const sb = (await b.collector.repo.collection('lib', 'books')) as CollectionStore;
  await Promise.all([
    ...Array.from({ length: 100 }, (_, i) => sa.create({ id: `a${i}`, json: { i } })),
    ...Array.from({ length: 100 }, (_, i) => sb.create({ id: `b${i}`, json: { i } })),
    ...Array.from({ length: 50 }, (_, i) => (i % 2 ? sa : sb).upsert({ id: 'shared', json: { i } })),
  ]);
  t.equal(await sa.count(), 201);
  t.equal(await sb.count(), 201);
  t.equal((await sa.get('shared'))?.version, 50, 'no update was lost between the two');
});

t.test('restart: close and reopen with data, indexes and registry intact', async (t) => {
  const dir = tempDir(t);
  const first = await Collector.open({ dir });
  await first.repo.createCollection({ namespace: 'lib', name: 'books', messageType: 'json', indexedFields: ['year'], labels: { team: 'a' } });
  const s1 = (await first.repo.collection('lib', 'books')) as CollectionStore;
  const pending = Array.from({ length: 300 }, (_, i) => s1.create({ id: `r${i}`, json: { year: 1900 + i, title: `book ${i}` } }));
  await s1.putFile({ path: 'covers/r1.png', data: new Uint8Array([1, 2, 3]) });
  await Promise.all(pending);
  await first.close();
  await t.rejects(async () => s1.get('r1'), { code: 'CLOSED' });

  const second = await Collector.open({ dir });
  t.teardown(() => second.close());
  const info = await second.repo.describe('lib', 'books');
  t.match(info, { messageType: 'json', indexedFields: ['year'], labels: { team: 'a' }, recordCount: 300 });
  const s2 = (await second.repo.collection('lib', 'books')) as CollectionStore;
  t.same((await s2.get('r7'))?.json, { year: 1907, title: 'book 7' });
  t.same((await s2.search({ filters: [{ field: 'year', operator: 'GREATER_EQUAL', value: 2195 }] })).map((h) => h.record.id), ['r295', 'r296', 'r297', 'r298', 'r299']);
  t.same((await s2.search({ fullText: '"book 42"' })).map((h) => h.record.id), ['r42']);
  t.ok(Buffer.from((await s2.getFile('covers/r1.png'))?.data ?? []).equals(Buffer.from([1, 2, 3])));
  t.match(s2.explain({ filters: [{ field: 'year', operator: 'EQUALS', value: 1 }] }).join(), /ix:year/);
});

t.test('files by bytes and by URI', async (t) => {
  const { store, changes } = await books(t);
  const big = Buffer.alloc(1 << 20, 7);
  await store.putFile({ path: 'scans/dune/p1.png', data: big });
  await store.putFile({ path: 'scans/dune/p2.png', uri: 's3://bucket/p2.png' });
  await store.putFile({ path: 'scans/dunes.txt', data: Buffer.from('x') });
  await store.putFile({ path: 'readme', data: new Uint8Array(0) });
  const p1 = await store.getFile('scans/dune/p1.png');
  t.ok(Buffer.from(p1?.data ?? []).equals(big), 'bytes round-trip');
  t.equal(p1?.size, big.length);
  t.match(await store.getFile('scans/dune/p2.png'), { uri: 's3://bucket/p2.png' });
  t.equal((await store.getFile('scans/dune/p2.png'))?.data, undefined);
  t.equal(await store.getFile('nope'), undefined);
  t.same((await store.listFiles('scans/dune')).map((f) => f.path), ['scans/dune/p1.png', 'scans/dune/p2.png'], 'a directory prefix stops at segment boundaries');
  t.same((await store.listFiles()).map((f) => f.path), ['readme', 'scans/dune/p1.png', 'scans/dune/p2.png', 'scans/dunes.txt']);
  t.equal((await store.listFiles('scans'))[0]?.data, undefined, 'listing leaves the bytes out');
  t.equal((await store.listFiles('scans'))[0]?.size, big.length);
  await store.putFile({ path: 'scans/dune/p2.png', data: Buffer.from('now bytes') });
  t.equal((await store.getFile('scans/dune/p2.png'))?.uri, undefined, 'replacing a URI with bytes');
  t.equal(await store.deleteFile('scans/dune/p1.png'), true);
  t.equal(await store.deleteFile('scans/dune/p1.png'), false);
  t.same(changes.map((c) => (c.kind === 'file' ? `${c.path}${c.file ? '' : ' deleted'}` : c.kind)), [
    'scans/dune/p1.png',
    'scans/dune/p2.png',
    'scans/dunes.txt',
    'readme',
    'scans/dune/p2.png',
    'scans/dune/p1.png deleted',
  ]);
  for (const path of ['', '/abs', 'a//b', 'a/../b', 'a/./b', 'a b']) {
    await t.rejects(async () => store.putFile({ path, data: new Uint8Array(1) }), { code: 'INVALID_LABEL' }, JSON.stringify(path));
  }
  await t.rejects(async () => store.putFile({ path: 'x', data: new Uint8Array(1), uri: 'u' }), { code: 'INVALID_PROPERTY' });
  await t.rejects(async () => store.putFile({ path: 'x' }), { code: 'INVALID_PROPERTY' });
});

t.test('system collections are read-only to clients', async (t) => {
  const { collector } = await openCollector(t);
  const protos = (await collector.repo.collection('system', 'protos')) as CollectionStore;
  await t.rejects(async () => protos.create({ id: 'x', json: {} }), { code: 'UNSUPPORTED' });
  await t.rejects(collector.repo.createCollection({ namespace: 'system', name: 'mine', messageType: 'json' }), { code: 'UNSUPPORTED' });
  await t.rejects(collector.repo.deleteCollection('system', 'protos'), { code: 'UNSUPPORTED' });
});
