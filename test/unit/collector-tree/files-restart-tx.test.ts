import t from 'tap';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { BOOKS, fresh, ids, loadBooks, openIn, recordNodeFor, tempDir } from './env.js';

function fileNode(label: string, content: { data?: Uint8Array; uri?: string }): TreeNode {
  const node = new TreeNode({ labelRule: label });
  if (content.data) node.insertProperty('data', 'bytes', content.data);
  if (content.uri) node.insertProperty('uri', 'string', content.uri);
  return node;
}

t.test('files under .files: bytes or a URI, directories derived from paths', async (t) => {
  const { backend, collector } = await fresh(t);
  await loadBooks(backend);
  await backend.upsertNode([
    fileNode('acme/books/.files/covers/dune.png', { data: new Uint8Array([137, 80, 78, 71]) }),
    fileNode('acme/books/.files/readme.txt', { uri: 'https://example.org/readme.txt' }),
  ]);
  t.ok((await backend.getNode('acme/books'))?.childNames.includes('.files'));
  t.same([...((await backend.getNode('acme/books/.files'))?.childNames ?? [])].sort(), ['covers', 'readme.txt']);
  t.same((await backend.getNode('acme/books/.files/covers'))?.childNames, ['dune.png']);
  t.same((await backend.getNode('acme/books/.files/covers/dune.png'))?.getProperty('data'), new Uint8Array([137, 80, 78, 71]));
  t.equal((await backend.getNode('acme/books/.files/readme.txt'))?.getProperty('uri'), 'https://example.org/readme.txt');
  const store = await collector.repo.collection('acme', 'books');
  t.equal((await store?.getFile('covers/dune.png'))?.data?.length, 4, 'the Collector holds the file');
  t.same((await backend.queryNodes('acme/books/.files/**')).map((n) => n.labelRule).sort(), [
    'acme/books/.files/covers',
    'acme/books/.files/covers/dune.png',
    'acme/books/.files/readme.txt',
  ]);
  t.notOk((await backend.queryNodes('acme/books/*')).some((n) => n.labelRule.endsWith('/dune.png')));
  await t.rejects(backend.upsertNode([fileNode('acme/books/.files/x', {})].map((n) => (n.insertProperty('other', 'string', 'x'), n))), { code: 'INVALID_PROPERTY' });
  t.equal(await backend.deleteNode('acme/books/.files/covers'), true, 'deleting a directory deletes its files');
  t.equal(await backend.getNode('acme/books/.files/covers/dune.png'), undefined);
  t.equal(await backend.deleteNode('acme/books/.files/readme.txt'), true);
  t.equal(await backend.getNode('acme/books/.files'), undefined);
});

t.test('restart: everything written through the tree is there after reopening', async (t) => {
  const dir = tempDir(t);
  const first = await openIn(t, dir);
  await loadBooks(first.backend);
  await first.backend.upsertNode([recordNodeFor('acme/books/dune', { title: 'Dune', year: 1965 }, 7)]);
  const before = (await first.backend.getFullTree()).map((n) => `${n.labelRule}@${n.version.versionNumber}`);
  await first.close();
  const second = await openIn(t, dir);
  t.same((await second.backend.getFullTree()).map((n) => `${n.labelRule}@${n.version.versionNumber}`), before);
  t.equal((await second.backend.getNode('acme/books/dune'))?.version.versionNumber, 7);
  t.same(ids(await second.backend.queryNodes('acme/books/*?year>=2000&order=-year')), ['fifthseason', 'annihilation'], 'search works after restart');
});

t.test('the full tree copies into a fresh collector', async (t) => {
  const { backend } = await fresh(t);
  await loadBooks(backend);
  await backend.upsertNode([fileNode('acme/books/.files/a/b.txt', { data: new Uint8Array([1]) })]);
  const full = await backend.getFullTree();
  const copy = await fresh(t);
  await copy.backend.upsertNode(full);
  t.same((await copy.backend.getFullTree()).map((n) => n.labelRule), full.map((n) => n.labelRule));
  t.same((await copy.backend.getNode('acme/books/dune'))?.getProperty('record'), BOOKS[0]?.[1]);
});

t.test('transactions over records: all or nothing', async (t) => {
  const { backend } = await fresh(t);
  await loadBooks(backend);
  const dune = await backend.getNode('acme/books/dune');
  if (!dune) throw new Error('no dune');
  const next = recordNodeFor('acme/books/dune', { title: 'Dune (tx)' }, 2);
  const fresh1 = recordNodeFor('acme/books/tx1', { title: 'Tx one' });
  t.equal(
    await backend.applyTransaction([{ parent: { priorVersion: 1, label: 'acme/books/dune', node: next }, children: [{ priorVersion: undefined, label: 'acme/books/tx1', node: fresh1 }] }]),
    true,
  );
  t.equal((await backend.getNode('acme/books/dune'))?.getProperty('record') instanceof Object, true);
  t.same((await backend.getNode('acme/books/tx1'))?.getProperty('record'), { title: 'Tx one' });
  // A stale prior version: nothing is written.
  const stale = recordNodeFor('acme/books/dune', { title: 'stale' }, 2);
  const tx2 = recordNodeFor('acme/books/tx2', { title: 'Tx two' });
  t.equal(
    await backend.applyTransaction([{ parent: { priorVersion: 1, label: 'acme/books/dune', node: stale }, children: [{ priorVersion: undefined, label: 'acme/books/tx2', node: tx2 }] }]),
    false,
  );
  t.equal(await backend.getNode('acme/books/tx2'), undefined, 'the rejected transaction wrote nothing');
  t.same((await backend.getNode('acme/books/dune'))?.getProperty('record'), { title: 'Dune (tx)' });
  // A delete with the right prior version.
  t.equal(await backend.applyTransaction([{ parent: { priorVersion: 0, label: 'acme/books/tx1', node: recordNodeFor('acme/books/tx1', { title: 'one' }, 1) }, children: [{ priorVersion: 1, label: 'acme/books/foundation', node: undefined }] }]), true);
  t.equal(await backend.getNode('acme/books/foundation'), undefined);
  // A typed failure in the middle rolls back what came before.
  await t.rejects(
    backend.applyTransaction([{ parent: { priorVersion: undefined, label: 'acme/books/new1', node: recordNodeFor('acme/books/new1', { a: 1 }) }, children: [{ priorVersion: undefined, label: 'acme/nowhere/x', node: recordNodeFor('acme/nowhere/x', { a: 1 }) }] }]),
    { code: 'NOT_FOUND' },
  );
  t.equal(await backend.getNode('acme/books/new1'), undefined);
  await t.rejects(backend.applyTransaction([{ parent: { priorVersion: undefined, label: 'acme/more', node: undefined }, children: [] }]), { code: 'UNSUPPORTED' });
});
