import Database from 'better-sqlite3';
import t from 'tap';
import type { JournalAnswer } from '../../../src/backends/journal.js';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

function rows(answer: JournalAnswer): Array<[number, string, string | null]> {
  if (answer.kind !== 'entries') throw new Error(`expected entries, got ${JSON.stringify(answer)}`);
  return answer.entries.map((e) => [e.sequence, e.label, e.node?.description ?? null]);
}

t.test('every write takes the next sequence; entries carry the current node', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  t.equal(await backend.latestSequence(), 0);
  t.same(await backend.getJournal(0), { kind: 'entries', entries: [], latest: 0 });

  await backend.upsertNode([textNode('a', 'A'), textNode('a/x', 'X'), textNode('a/y', 'Y'), textNode('b', 'B')]);
  await backend.deleteNode('a');
  const b1 = new TreeNode({ labelRule: 'b', description: 'B1', version: { versionNumber: 1 } });
  await backend.applyTransaction([{ parent: { priorVersion: 0, label: 'b', node: b1 }, children: [{ priorVersion: undefined, label: 'b/c', node: textNode('b/c', 'C') }] }]);
  await backend.upsertNode([textNode('a', 'A again')]);

  t.equal(await backend.latestSequence(), 10);
  t.same(rows(await backend.getJournal(0)), [
    [1, 'a', 'A again'],
    [2, 'a/x', null],
    [3, 'a/y', null],
    [4, 'b', 'B1'],
    [5, 'a', 'A again'],
    [6, 'a/x', null],
    [7, 'a/y', null],
    [8, 'b', 'B1'],
    [9, 'b/c', 'C'],
    [10, 'a', 'A again'],
  ], 'a deleted subtree gives one entry per removed node; each entry shows the node as it is now');
  t.same(rows(await backend.getJournal(4, 3)), [
    [5, 'a', 'A again'],
    [6, 'a/x', null],
    [7, 'a/y', null],
  ], 'since is exclusive and limit caps the answer');
  t.same(await backend.getJournal(10), { kind: 'entries', entries: [], latest: 10 }, 'nothing after the newest');
  t.same(await backend.getJournal(11), { kind: 'resync', oldest: 1, latest: 10 }, 'a sequence from another history means resync');
  t.same(rows(await backend.getJournal(0, 0)), []);
});

t.test('writes that change nothing take no sequence numbers', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  await backend.upsertNode([textNode('a')]);
  t.equal(await backend.deleteNode('missing'), false);
  t.equal(await backend.applyTransaction([{ parent: { priorVersion: 7, label: 'a', node: textNode('a', 'stale', 8) }, children: [] }]), false);
  await t.rejects(backend.upsertNode([textNode('b'), { labelRule: 'fake' } as unknown as TreeNode]), { code: 'INVALID_NODE' });
  t.same(await backend.upsertNode([]), true);
  t.equal(await backend.latestSequence(), 1);
  await backend.upsertNode([textNode('c')]);
  t.equal(await backend.sequenceOf('c'), 2, 'gap-free');
});

t.test('retention keeps the newest entries; older positions are told to resync', async (t) => {
  const path = tempDbPath(t);
  const backend = await SqliteBackend.open({ path, journalRetention: 10 });
  for (let i = 1; i <= 25; i++) await backend.upsertNode([textNode(`n${i}`)]);
  t.equal(await backend.latestSequence(), 25);
  t.same(rows(await backend.getJournal(15)).map(([seq]) => seq), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  t.same(await backend.getJournal(14), { kind: 'resync', oldest: 16, latest: 25 });
  t.same(await backend.getJournal(0), { kind: 'resync', oldest: 16, latest: 25 });
  // 64 writes in one batch trim in the same transaction too.
  await Promise.all(Array.from({ length: 64 }, (_, i) => backend.upsertNode([textNode(`m${i}`)])));
  t.same(await backend.getJournal(78), { kind: 'resync', oldest: 80, latest: 89 });
  await backend.close();

  const raw = new Database(path, { readonly: true });
  t.equal(raw.prepare('SELECT count(*) FROM journal').pluck().get(), 10, 'only 10 rows are on disk');
  raw.close();
  const reopened = await SqliteBackend.open({ path, journalRetention: 10 });
  t.same(rows(await reopened.getJournal(87)).map(([seq, label]) => [seq, label]), [
    [88, 'm62'],
    [89, 'm63'],
  ]);
  await reopened.close();
});

t.test('a bad since or limit is MALFORMED', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  await t.rejects(backend.getJournal(-1), { code: 'MALFORMED' });
  await t.rejects(backend.getJournal(1.5), { code: 'MALFORMED' });
  await t.rejects(backend.getJournal('3' as unknown as number), { code: 'MALFORMED' });
  await t.rejects(backend.getJournal(0, -2), { code: 'MALFORMED' });
});

t.test('onJournal hands over each commit\'s entries, before listeners hear of them, as getJournal reads them', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  const events: string[] = [];
  const tapped: Array<[number, string, string | null]> = [];
  const stop = backend.onJournal((entries) => {
    events.push(`journal ${entries.map((e) => e.sequence).join(',')}`);
    for (const e of entries) tapped.push([e.sequence, e.label, e.node?.description ?? null]);
  });
  backend.registerNodeListener('all', '', true, (_b, label) => events.push(`listener ${label}`));
  await backend.upsertNode([textNode('a', 'A'), textNode('a/x', 'X')]);
  // One batch: a transaction that fails inside it gives its numbers back to the next call.
  const bad = [
    { parent: { priorVersion: 0, label: 'a', node: textNode('a', 'A1', 1) }, children: [] },
    { parent: { priorVersion: undefined, label: 'v', node: { labelRule: 'v' } as unknown as TreeNode }, children: [] },
  ];
  const batch = await Promise.allSettled([
    backend.deleteNode('a'),
    backend.upsertNode([textNode('a', 'A again')]),
    backend.applyTransaction(bad),
    backend.applyTransaction([{ parent: { priorVersion: 9, label: 'a', node: textNode('a', 'stale', 10) }, children: [] }]),
    backend.upsertNode([textNode('b', 'B')]),
  ]);
  t.same(batch.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  t.same(tapped.map(([seq, label]) => [seq, label]), [[1, 'a'], [2, 'a/x'], [3, 'a'], [4, 'a/x'], [5, 'a'], [6, 'b']], 'gap-free, in order, nothing from the failed or refused calls');
  t.same(tapped.map((e) => e[2]), ['A', 'X', null, null, 'A again', 'B'], 'each entry carries the node as that write left it');
  t.same(rows(await backend.getJournal(0)).map(([seq, label]) => [seq, label]), tapped.map(([seq, label]) => [seq, label]), 'the same entries getJournal reads back');
  t.same(events, [
    'journal 1,2', 'listener a', 'listener a/x',
    'journal 3,4', 'listener a', 'listener a/x',
    'journal 5', 'listener a',
    'journal 6', 'listener b',
  ], 'each write\'s entries come before its listener calls');
  stop();
  await backend.upsertNode([textNode('c')]);
  t.equal(tapped.length, 6, 'nothing after the tap is stopped');
});

t.test('a write after another process wrote to the file numbers on from its entries', async (t) => {
  const path = tempDbPath(t);
  const mine = await SqliteBackend.open({ path });
  t.teardown(() => mine.close());
  const tapped: number[] = [];
  mine.onJournal((entries) => tapped.push(...entries.map((e) => e.sequence)));
  await mine.upsertNode([textNode('a')]);
  const other = await SqliteBackend.open({ path });
  await other.upsertNode([textNode('b'), textNode('c')]);
  await other.close();
  t.equal(await mine.upsertNode([textNode('d')]), true, 'no sequence number is taken twice');
  t.same(tapped, [1, 4], 'the tap shows the other writes as a gap');
  t.same(rows(await mine.getJournal(0)).map(([seq, label]) => [seq, label]), [[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd']]);
});
