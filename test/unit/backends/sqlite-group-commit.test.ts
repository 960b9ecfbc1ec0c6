import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

async function opened(t: Test): Promise<{ backend: SqliteBackend; path: string; committed: (label: string) => boolean }> {
  const path = tempDbPath(t);
  const backend = await SqliteBackend.open({ path });
  // A second connection sees only what is committed to the file.
  const raw = new Database(path, { readonly: true });
  const get = raw.prepare<[string], number>('SELECT 1 FROM nodes WHERE label = ?').pluck();
  t.teardown(async () => {
    raw.close();
    await backend.close();
  });
  return { backend, path, committed: (label) => get.get(label) === 1 };
}

t.test('64 concurrent upserts share one commit, each resolving after it', async (t) => {
  const { backend, committed } = await opened(t);
  const before = backend.stats();
  const seenCommitted: boolean[] = [];
  await Promise.all(
    Array.from({ length: 64 }, (_, i) =>
      backend.upsertNode([textNode(`c/${i}`)]).then((ok) => {
        seenCommitted.push(ok && committed(`c/${i}`));
      }),
    ),
  );
  const after = backend.stats();
  t.equal(after.writes - before.writes, 64);
  t.equal(after.commits - before.commits, 1, 'one COMMIT for all 64');
  t.equal(seenCommitted.length, 64);
  t.ok(seenCommitted.every(Boolean), 'when each promise resolved, another connection could already read the row');
});

t.test('64 concurrent writers looping share few commits', async (t) => {
  const { backend } = await opened(t);
  const before = backend.stats();
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      for (let i = 0; i < 20; i++) await backend.upsertNode([textNode(`w${w}/n${i}`)]);
    }),
  );
  const after = backend.stats();
  t.equal(after.writes - before.writes, 64 * 20);
  t.ok(after.commits - before.commits <= 25, `${after.commits - before.commits} commits for 1280 writes`);
  t.equal((await backend.queryNodes('*/*')).length, 1280);
});

t.test('listeners fire after the commit and before the caller resumes', async (t) => {
  const { backend, committed } = await opened(t);
  const order: string[] = [];
  backend.registerNodeListener('l', 'x', false, (_b, label) => order.push(`listener ${label} committed=${committed(label)}`));
  await backend.upsertNode([textNode('x')]).then(() => order.push('resolved'));
  t.same(order, ['listener x committed=true', 'resolved']);
});

t.test('calls in one batch apply in call order', async (t) => {
  const { backend } = await opened(t);
  const calls = [
    backend.upsertNode([textNode('x', 'first')]),
    backend.deleteNode('x'),
    backend.upsertNode([textNode('y', 'one'), textNode('y/z')]),
    backend.applyTransaction([{ parent: { priorVersion: 0, label: 'y', node: textNode('y', 'two', 1) }, children: [] }]),
    backend.deleteNode('y/z'),
  ];
  t.same(await Promise.all(calls), [true, true, true, true, true]);
  t.equal(backend.stats().commits, 1);
  t.equal(await backend.getNode('x'), undefined);
  t.equal((await backend.getNode('y'))?.description, 'two');
  t.equal(await backend.getNode('y/z'), undefined);
  t.equal(await backend.latestSequence(), 6);
});

t.test('a call that fails inside a batch is rolled back alone', async (t) => {
  const { backend } = await opened(t);
  // Checked before joining the batch, this transaction fails early on its first part
  // (w does not exist yet) and so never reaches its malformed second part; inside the
  // batch, after the upsert queued ahead of it, it gets that far and throws.
  const bad = [
    { parent: { priorVersion: 0, label: 'w', node: textNode('w', 'w1', 1) }, children: [] },
    { parent: { priorVersion: undefined, label: 'v', node: { labelRule: 'v' } as unknown as TreeNode }, children: [] },
  ];
  const calls = [
    backend.upsertNode([textNode('w', 'w0')]),
    backend.applyTransaction(bad),
    backend.upsertNode([textNode('u')]),
  ];
  const [first, second, third] = await Promise.allSettled(calls);
  t.match(first, { status: 'fulfilled', value: true });
  t.match(second, { status: 'rejected', reason: { code: 'INVALID_NODE' } });
  t.match(third, { status: 'fulfilled', value: true });
  t.equal(backend.stats().commits, 1, 'the others committed together');
  t.equal((await backend.getNode('w'))?.description, 'w0', 'nothing of the failed transaction was written');
  t.equal((await backend.getNode('u'))?.description, 'node u');
  t.equal(await backend.sequenceOf('u'), 2, 'its sequence numbers were given back');
});

t.test('a transaction is taken as it was when called, not when its batch runs', async (t) => {
  const { backend } = await opened(t);
  const node = textNode('t', 'as called');
  const children = [{ priorVersion: undefined, label: 't/c', node: textNode('t/c') }];
  const applied = backend.applyTransaction([{ parent: { priorVersion: undefined, label: 't', node }, children }]);
  node.description = 'changed afterwards';
  children.length = 0;
  t.equal(await applied, true);
  t.equal((await backend.getNode('t'))?.description, 'as called');
  t.ok(await backend.getNode('t/c'));
});

t.test('processNotifications waits for writes called but not awaited', async (t) => {
  const { backend } = await opened(t);
  const seen: string[] = [];
  backend.registerNodeListener('all', '', true, (_b, label) => seen.push(label));
  void backend.upsertNode([textNode('p')]);
  void backend.deleteNode('p');
  await backend.processNotifications();
  t.same(seen, ['p', 'p']);
});
