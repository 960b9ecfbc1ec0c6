import t from 'tap';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { BOOKS, collectionNodeFor, fresh, ids, loadBooks, recordNodeFor } from './env.js';

t.test('collections, records and namespaces through the tree', async (t) => {
  const { backend, collector } = await fresh(t);
  t.same(await backend.getFullTree(), [], 'an unused collector is an empty tree');
  t.same(await backend.queryNodes('*'), []);
  t.equal(await backend.getNode('acme'), undefined);

  await loadBooks(backend);
  const books = await backend.getNode('acme/books');
  t.ok(books, 'the collection node exists');
  t.equal(books?.getProperty('messageType'), 'json');
  t.same(books?.getProperty('indexedFields'), ['year']);
  t.same(books?.getProperty('labels'), { team: 'library' });
  t.equal(books?.getProperty('recordCount'), BigInt(BOOKS.length));
  t.equal(books?.getPropertyType('recordCount'), 'int64');
  t.same(books?.childNames, BOOKS.map(([id]) => id).sort(), 'child names are record ids in id order');
  t.same((await collector.repo.describe('acme', 'books'))?.indexedFields, ['year'], 'the Collector has it too');

  const acme = await backend.getNode('acme');
  t.same(acme?.childNames, ['books'], 'the namespace lists its collections');
  t.same(ids(await backend.queryNodes('*')), ['acme']);

  const dune = await backend.getNode('acme/books/dune');
  t.equal(dune?.getProperty('type'), 'json');
  t.same(dune?.getProperty('record'), BOOKS[0]?.[1]);
  t.equal(dune?.version.versionNumber, 1, 'the node version is the record version');
  t.equal((await collector.repo.collection('acme', 'books').then((s) => s?.get('dune')))?.version, 1);

  // Update: the written node's version is stored.
  await backend.upsertNode([recordNodeFor('acme/books/dune', { ...BOOKS[0]?.[1], pages: 500 }, 2)]);
  const updated = await backend.getNode('acme/books/dune');
  t.equal(updated?.version.versionNumber, 2);
  t.equal((updated?.getProperty('record') as { pages: number }).pages, 500);

  // Label rules.
  t.same(ids(await backend.queryNodes('acme/*')), ['books']);
  t.same(ids(await backend.queryNodes('acme/books/*')), BOOKS.map(([id]) => id).sort());
  t.same(ids(await backend.queryNodes('acme/books/dune*')), ['dune', 'dunemessiah']);
  t.same(ids(await backend.queryNodes('acme/books/dune')), ['dune']);
  t.same(ids(await backend.queryNodes('*/books/neuromancer')), ['neuromancer']);
  t.same(ids(await backend.queryNodes('acme/books/nothing')), []);
  const all = await backend.queryNodes('**');
  t.equal(all.length, 2 + BOOKS.length);
  t.same((await backend.getFullTree()).map((n) => n.labelRule), all.map((n) => n.labelRule), 'getFullTree is every node');
  t.same(all.slice(0, 2).map((n) => n.labelRule), ['acme', 'acme/books'], 'parents first');
  t.same(ids(await backend.getPageTree('acme/books')), BOOKS.map(([id]) => id).sort());
  t.same(ids(await backend.getPageTree('acme')), ['books']);
  const acmeNode = await backend.getNode('acme');
  if (acmeNode) t.same(ids(await backend.relativeQueryNodes(acmeNode, 'books/f*')), ['fifthseason', 'foundation']);

  // A second collection; updating the first's indexed fields and labels.
  await backend.upsertNode([collectionNodeFor('acme/authors', 'json'), collectionNodeFor('acme/books', 'json', { indexedFields: ['year', 'author.name'], labels: { team: 'archive' } })]);
  t.same((await backend.getNode('acme'))?.childNames, ['authors', 'books']);
  t.same((await backend.getNode('acme/books'))?.getProperty('indexedFields'), ['year', 'author.name']);
  t.same((await backend.getNode('acme/books'))?.getProperty('labels'), { team: 'archive' });
  t.equal((await backend.getNode('acme/books'))?.getProperty('recordCount'), BigInt(BOOKS.length), 'records survive the update');

  // Deletes.
  t.equal(await backend.deleteNode('acme/books/dune'), true);
  t.equal(await backend.getNode('acme/books/dune'), undefined);
  t.equal(await backend.deleteNode('acme/books/dune'), false, 'deleting again removes nothing');
  t.equal(await backend.deleteNode('acme/authors'), true);
  t.equal(await collector.repo.describe('acme', 'authors'), undefined, 'the collection is gone from the Collector');
  t.equal(await backend.deleteNode('acme'), true, 'deleting a namespace deletes its collections');
  t.same(await backend.getFullTree(), []);
  t.equal(await backend.deleteNode('acme'), false);
});

t.test('what the tree refuses, with the error codes the Collector uses', async (t) => {
  const { backend } = await fresh(t);
  await loadBooks(backend);
  await t.rejects(backend.upsertNode([collectionNodeFor('acme/books', 'acme.Book')]), { code: 'TYPE_MISMATCH', message: /cannot change/ }, 'messageType of an existing collection');
  await t.rejects(backend.upsertNode([new TreeNode({ labelRule: 'acme/shelves' })]), { code: 'INVALID_PROPERTY', message: /messageType/ }, 'a collection needs a messageType');
  await t.rejects(backend.upsertNode([recordNodeFor('acme/nowhere/x', { a: 1 })]), { code: 'NOT_FOUND', message: /create it first/ });
  await t.rejects(backend.upsertNode([new TreeNode({ labelRule: 'acme/books/x' })]), { code: 'INVALID_PROPERTY', message: /"record"/ });
  const notObject = new TreeNode({ labelRule: 'acme/books/x' });
  notObject.insertProperty('record', 'json', [1, 2]);
  await t.rejects(backend.upsertNode([notObject]), { code: 'TYPE_MISMATCH' });
  await t.rejects(backend.upsertNode([recordNodeFor('acme/books/x', { a: 1 }, 0, 'acme.Book')]), { code: 'TYPE_MISMATCH', message: /holds json/ }, 'a type property naming another type');
  await t.rejects(backend.upsertNode([recordNodeFor('acme/books/x/y', { a: 1 })]), { code: 'INVALID_LABEL' }, 'nothing lives below a record');
  await t.rejects(backend.upsertNode([collectionNodeFor('bad!ns/books', 'json')]), { code: 'INVALID_LABEL' }, 'the Collector refuses the namespace');
  await t.rejects(backend.upsertNode([collectionNodeFor('acme/bad.name', 'json')]), { code: 'INVALID_LABEL' }, 'the Collector refuses the name');
  await t.rejects(backend.upsertNode([collectionNodeFor('acme/typed', 'acme.Unregistered')]), { code: 'NOT_FOUND' }, 'an unregistered message type');
  await t.rejects(backend.upsertNode([collectionNodeFor('system/mine', 'json')]), { code: 'UNSUPPORTED' });
  await t.rejects(backend.deleteNode('system/protos'), { code: 'UNSUPPORTED' });
  t.equal(await backend.deleteNode('system'), false, 'the system namespace is skipped, not deleted');
  // Names the tree accepts but the Collector cannot hold: absent when read.
  t.equal(await backend.getNode('acme/bad.name'), undefined);
  t.equal(await backend.getNode('acme/books/-x'), undefined);
  t.equal(await backend.getNode('bad!ns'), undefined);
  t.same(await backend.queryNodes('acme/books/-x'), []);
  t.same(await backend.queryNodes('bad!ns/**'), []);
  t.equal(await backend.deleteNode('acme/books/-x'), false);
  await t.rejects(backend.upsertNode([recordNodeFor('acme/books/-x', { a: 1 })]), { code: 'INVALID_LABEL' }, 'but refused when written');
  // A batch with one bad node writes nothing.
  await t.rejects(backend.upsertNode([recordNodeFor('acme/books/good', { a: 1 }), recordNodeFor('acme/nowhere/bad', { a: 1 })]), { code: 'NOT_FOUND' });
  t.equal(await backend.getNode('acme/books/good'), undefined, 'the good node of a refused batch was not written');
  await t.rejects(backend.openTransactionLayer(new TreeNode({ labelRule: 'acme/books/x' })), { code: 'UNSUPPORTED' });
  t.equal(await backend.closeTransactionLayers(), true);
});

t.test('a typed collection: registered through system/protos, mismatches refused naming the field', async (t) => {
  const { backend, collector } = await fresh(t);
  const proto = new TreeNode({ labelRule: 'system/protos/acme:book.proto' });
  proto.insertProperty('record', 'json', {
    source: 'syntax = "proto3";\npackage acme;\nmessage Book { string title = 1; int32 year = 2; repeated string tags = 3; }\n',
  });
  await backend.upsertNode([proto]);
  const registered = await backend.queryNodes('system/protos/*');
  t.equal(registered.length, 1, 'the registry stored the file as a system record');
  t.ok((await backend.getNode('system'))?.childNames.includes('protos'), 'system shows up once it holds something');

  await backend.upsertNode([collectionNodeFor('acme/typed', 'acme.Book')]);
  t.equal((await backend.getNode('acme/typed'))?.getProperty('messageType'), 'acme.Book');
  await backend.upsertNode([recordNodeFor('acme/typed/b1', { title: 'Dune', year: 1965, tags: ['a'] }, 1, 'acme.Book')]);
  const b1 = await backend.getNode('acme/typed/b1');
  t.equal(b1?.getProperty('type'), 'acme.Book');
  t.same(b1?.getProperty('record'), { title: 'Dune', year: 1965, tags: ['a'] });
  await t.rejects(backend.upsertNode([recordNodeFor('acme/typed/b2', { title: 'Dune', year: 'nineteen' })]), { code: 'TYPE_MISMATCH', message: /year/ });
  await t.rejects(backend.upsertNode([recordNodeFor('acme/typed/b3', { title: 'Dune', pages: 3 })]), { code: 'TYPE_MISMATCH', message: /pages/ });
  t.equal(await backend.getNode('acme/typed/b2'), undefined);
  await t.rejects(backend.upsertNode([recordNodeFor('acme/typed/ok1', { title: 'fine' }), recordNodeFor('acme/typed/bad1', { year: 'x' })]), { code: 'TYPE_MISMATCH' });
  t.equal(await backend.getNode('acme/typed/ok1'), undefined, 'a batch with a record that does not fit writes nothing');
  await backend.upsertNode([collectionNodeFor('acme/typed2', 'acme.Book'), recordNodeFor('acme/typed2/n1', { title: 'same batch' })]);
  t.same((await backend.getNode('acme/typed2/n1'))?.getProperty('record'), { title: 'same batch' }, 'a collection and its records in one batch');
  t.ok(await collector.repo.describe('acme', 'typed'));
});

t.test('a collection node lists its first 1000 ids; rules and searches reach every record', async (t) => {
  const { backend } = await fresh(t);
  await backend.upsertNode([collectionNodeFor('big/items', 'json')]);
  const total = 2150;
  await backend.upsertNode(Array.from({ length: total }, (_, i) => recordNodeFor(`big/items/i${String(i).padStart(5, '0')}`, { n: i })));
  const node = await backend.getNode('big/items');
  t.equal(node?.childNames.length, 1000);
  t.equal(node?.childNames[999], 'i00999');
  t.equal(node?.getProperty('recordCount'), BigInt(total));
  t.equal((await backend.getPageTree('big/items')).length, 1000);
  const all = await backend.queryNodes('big/items/*');
  t.equal(all.length, total, 'a wildcard rule pages through every record');
  t.equal(all.at(-1)?.labelRule, `big/items/i0${total - 1}`);
  t.equal((await backend.getFullTree()).length, total + 2);
  t.same(ids(await backend.queryNodes('big/items/*?n>=2000&order=-n&limit=3&offset=1')), ['i02148', 'i02147', 'i02146']);
});
