import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultBackend } from '../../../src/frontends/config/default-backend.js';
import { runConformanceSuite } from '../../conformance/index.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { collectionNodeFor, recordNodeFor } from './env.js';

// The composite `wwatp serve` serves: SQLite at the root, the Collector at /collector.
// The root still behaves as every backend must with the collector mounted beside it.
t.test('the default composite root passes the conformance suite', async (t) => {
  runConformanceSuite(t, {
    rounds: 100,
    async make() {
      const dir = mkdtempSync(join(tmpdir(), 'wwatp-default-conf-'));
      const opened = await createDefaultBackend({ dataDir: dir });
      return {
        backend: opened.backend,
        async close() {
          await opened.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
});

t.test('createDefaultBackend: the collector at /collector beside the SQLite tree, durable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-default-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await createDefaultBackend({ dataDir: dir });
  t.same(first.backend.mounts, ['collector']);
  await first.backend.upsertNode([collectionNodeFor('collector/acme/books', 'json')]);
  await first.backend.upsertNode([recordNodeFor('collector/acme/books/dune', { title: 'Dune', year: 1965 }), recordNodeFor('lion', { roar: true })]);
  t.same((await first.backend.queryNodes('collector/acme/books/*?year<2000')).map((n) => n.labelRule), ['collector/acme/books/dune']);
  t.ok(await first.root.getNode('lion'), 'non-collector labels land in SQLite');
  t.equal(await first.root.getNode('collector/acme/books/dune'), undefined, 'collector labels do not');
  t.ok(await first.collector?.repo.describe('acme', 'books'));
  const events: string[] = [];
  first.backend.registerNodeListener('w', 'collector/acme', true, (_b, label) => events.push(label));
  const store = await first.collector?.repo.collection('acme', 'books');
  await store?.upsert({ id: 'direct', json: { title: 'Direct' } });
  await first.backend.processNotifications();
  t.same(events, ['collector/acme/books/direct', 'collector/acme/books'], 'a direct Collector write reaches a composite listener with the mount prefix (then the collection node, whose count changed)');
  await first.close();
  await first.close();

  const second = await createDefaultBackend({ dataDir: dir });
  t.teardown(() => second.close());
  t.same((await second.backend.getNode('collector/acme/books/dune'))?.getProperty('record'), { title: 'Dune', year: 1965 });
  t.ok(await second.backend.getNode('lion'));

  // Deleting the mount label through the composite empties the collector (the registry's collections stay).
  const proto = new TreeNode({ labelRule: 'collector/system/protos/acme:a.proto' });
  proto.insertProperty('record', 'json', { source: 'syntax = "proto3"; package acme; message A { string x = 1; }' });
  await second.backend.upsertNode([proto, collectionNodeFor('collector/zoo/animals', 'json')]);
  t.ok(await second.backend.deleteNode('collector'));
  t.same((await second.backend.queryNodes('collector/*')).map((n) => n.labelRule), ['collector/system']);
  t.equal(await second.collector?.repo.describe('acme', 'books'), undefined);
  t.ok(await second.backend.getNode('lion'), 'the root store is untouched');

  const bare = mkdtempSync(join(tmpdir(), 'wwatp-default-none-'));
  const without = await createDefaultBackend({ dataDir: bare, collector: false });
  t.teardown(async () => {
    await without.close();
    rmSync(bare, { recursive: true, force: true });
  });
  t.same(without.backend.mounts, []);
  t.equal(without.collector, undefined);
});
