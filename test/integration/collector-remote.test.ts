/**
 * The default composite (SQLite root, Collector at /collector) served over real QUIC;
 * a remote client creates a collection, writes and searches records as tree paths, and
 * watches one live while writes arrive through the tree and directly on the Collector.
 */
import t from 'tap';
import { createDefaultBackend } from '../../src/frontends/config/default-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { Closer, client, serve, tempDir, until, within } from '../support/transport-env.js';

function record(label: string, json: Record<string, unknown>, version = 0): TreeNode {
  const node = new TreeNode({ labelRule: label, version: { versionNumber: version } });
  node.insertProperty('record', 'json', json);
  return node;
}

t.test('a remote client queries and watches a collection through the server', { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const dir = tempDir(t, 'wwatp-collector-remote-');
  const opened = await createDefaultBackend({ dataDir: dir });
  closer.add('default backend', () => opened.close(), opened);
  const server = await serve(t, closer, { backend: opened.backend });
  const remote = await client(closer, server);
  const watcher = await client(closer, server);

  // Create a collection by upserting its node with a messageType.
  const books = new TreeNode({ labelRule: 'collector/acme/books' });
  books.insertProperty('messageType', 'string', 'json');
  books.insertProperty('indexedFields', 'json', ['year']);
  await within(remote.upsertNode([books]), 10_000, 'creating the collection');
  t.ok(await opened.collector?.repo.describe('acme', 'books'), 'the Collector has the collection');

  const events: string[] = [];
  watcher.registerNodeListener('books', 'collector/acme/books', true, (_b, label, node) => {
    const json = node?.getProperty('record') as { title?: string } | undefined;
    events.push(`${label}=${node ? (json?.title ?? '(collection)') : '<deleted>'}`);
  });
  await watcher.heartbeat();

  const titles: Array<[string, string, number]> = [
    ['dune', 'Dune', 1965],
    ['neuromancer', 'Neuromancer', 1984],
    ['fifthseason', 'The Fifth Season', 2015],
    ['annihilation', 'Annihilation', 2014],
    ['snowcrash', 'Snow Crash', 1992],
  ];
  await within(remote.upsertNode(titles.map(([id, title, year]) => record(`collector/acme/books/${id}`, { title, year }, 1))), 10_000, 'writing records');

  const hits = await within(remote.queryNodes('collector/acme/books/*?year>=2000&order=-year&limit=10'), 10_000, 'searching');
  t.same(hits.map((n) => n.labelRule), ['collector/acme/books/fifthseason', 'collector/acme/books/annihilation'], 'search results in search order, with labels');
  t.same(hits[0]?.getProperty('record'), { title: 'The Fifth Season', year: 2015 });
  t.same((await remote.queryNodes('collector/acme/books/*?title~Dune')).map((n) => n.labelRule), ['collector/acme/books/dune']);
  const described = await remote.getNode('collector/acme/books');
  t.equal(described?.getProperty('recordCount'), 5n);
  t.equal(described?.getProperty('messageType'), 'json');
  t.same((await remote.queryNodes('collector/acme/*')).map((n) => n.labelRule), ['collector/acme/books']);
  await t.rejects(remote.queryNodes('collector/acme/books/*?year>>1'), { code: 'INVALID_FILTER' }, 'a bad filter reaches the remote caller with its code');

  // The watcher sees tree writes and a write made directly on the Collector.
  await until(() => events.includes('collector/acme/books/snowcrash=Snow Crash'), 10_000, 'the watcher seeing the writes');
  const store = await opened.collector?.repo.collection('acme', 'books');
  await store?.upsert({ id: 'dune', json: { title: 'Dune (direct)', year: 1965 } });
  await within(remote.deleteNode('collector/acme/books/neuromancer'), 10_000, 'deleting a record');
  await until(() => events.includes('collector/acme/books/dune=Dune (direct)') && events.includes('collector/acme/books/neuromancer=<deleted>'), 10_000, 'the watcher seeing the direct write and the delete');
  t.same((await remote.getNode('collector/acme/books/dune'))?.getProperty('record'), { title: 'Dune (direct)', year: 1965 });
  t.ok(events.indexOf('collector/acme/books/dune=Dune') < events.indexOf('collector/acme/books/dune=Dune (direct)'), 'in order');
});
