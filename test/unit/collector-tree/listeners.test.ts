import t from 'tap';
import type { TreeNode } from '../../../src/tree/tree-node.js';
import { BOOKS, collectionNodeFor, fresh, loadBooks, recordNodeFor } from './env.js';

function log(): { events: string[]; listener: (b: unknown, label: string, node: TreeNode | undefined) => void } {
  const events: string[] = [];
  return {
    events,
    listener: (_b, label, node) => {
      const record = node?.getProperty('record') as { title?: string } | undefined;
      events.push(`${label}=${node ? (record?.title ?? node.getProperty('messageType') ?? node.childNames.join(',')) : '<deleted>'}`);
    },
  };
}

t.test('listeners fire for tree writes and for writes made directly on the Collector', async (t) => {
  const { backend, collector } = await fresh(t);
  const onBooks = log();
  // Record events only: the collection node is re-sent after record writes (its count changed).
  const records = (): string[] => onBooks.events.filter((e) => e.split('=')[0] !== 'acme/books');
  const onDune = log();
  const onAll = log();
  backend.registerNodeListener('books', 'acme/books', true, onBooks.listener);
  backend.registerNodeListener('dune', 'acme/books/dune', false, onDune.listener);
  backend.registerNodeListener('all', '', true, onAll.listener);

  await loadBooks(backend);
  await backend.processNotifications();
  t.same(onBooks.events.slice(0, 2), ['acme/books=json', 'acme/books/dune=Dune']);
  t.equal(records().length, BOOKS.length, 'each record');
  t.equal(onBooks.events.at(-1), 'acme/books=json', 'then the collection node again, once for the batch');
  t.ok(onBooks.events.filter((e) => e === 'acme/books=json').length <= 3, 'the collection node is not re-sent per record');
  t.same(onDune.events, ['acme/books/dune=Dune']);
  t.ok(onAll.events.includes('acme=books'), 'the namespace node changed when the collection came');

  // Directly through the Collector API: no tree involved.
  const store = await collector.repo.collection('acme', 'books');
  if (!store) throw new Error('no store');
  await store.upsert({ id: 'dune', json: { title: 'Dune (revised)', year: 1965 } });
  await store.create({ id: 'hyperion', json: { title: 'Hyperion', year: 1989 } });
  await store.delete('neuromancer');
  await backend.processNotifications();
  t.same(onDune.events, ['acme/books/dune=Dune', 'acme/books/dune=Dune (revised)']);
  t.same(records().slice(-3), ['acme/books/dune=Dune (revised)', 'acme/books/hyperion=Hyperion', 'acme/books/neuromancer=<deleted>']);

  // Through the tree: update and delete.
  await backend.upsertNode([recordNodeFor('acme/books/dune', { title: 'Dune again' }, 9)]);
  await backend.deleteNode('acme/books/dune');
  await backend.processNotifications();
  t.same(onDune.events.slice(-2), ['acme/books/dune=Dune again', 'acme/books/dune=<deleted>']);

  // Deregistered listeners stay silent; others keep firing.
  backend.deregisterNodeListener('dune', 'acme/books/dune');
  await backend.upsertNode([recordNodeFor('acme/books/dune', { title: 'Dune once more' })]);
  await backend.processNotifications();
  t.equal(onDune.events.length, 4);
  t.equal(records().at(-1), 'acme/books/dune=Dune once more');

  // A collection deleted through the Collector reaches the tree as the collection's label.
  await backend.upsertNode([collectionNodeFor('acme/tmp', 'json')]);
  await collector.repo.deleteCollection('acme', 'tmp');
  await backend.processNotifications();
  t.ok(onAll.events.includes('acme/tmp=<deleted>'));

  // notifyListeners fires synchronously, as on other backends.
  const before = onBooks.events.length;
  backend.notifyListeners('acme/books/x', undefined);
  t.equal(onBooks.events.length, before + 1);
  t.equal(onBooks.events.at(-1), 'acme/books/x=<deleted>');
});

t.test('a throwing listener does not break writes or other listeners', async (t) => {
  const { backend } = await fresh(t);
  const ok = log();
  backend.registerNodeListener('bad', 'acme/**', false, () => {
    throw new Error('listener failure');
  });
  backend.registerNodeListener('ok', 'acme/**', false, ok.listener);
  const errors = console.error;
  console.error = () => undefined;
  t.teardown(() => void (console.error = errors));
  await loadBooks(backend);
  await backend.processNotifications();
  t.equal(ok.events.filter((e) => e.startsWith('acme/books/')).length, BOOKS.length);
});
