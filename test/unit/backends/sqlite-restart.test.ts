import t from 'tap';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes, noteLabels, TEST_BED_SIZE } from '../../conformance/index.js';
import { textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

t.test('data, sequences and the journal survive close and reopen', async (t) => {
  const path = tempDbPath(t);
  const first = await SqliteBackend.open({ path });
  await first.upsertNode(animalNodes());
  await first.deleteNode('elephant');
  const lion = new TreeNode({ labelRule: 'lion', description: 'v1', version: { versionNumber: 1 } });
  t.equal(await first.applyTransaction([{ parent: { priorVersion: 0, label: 'lion', node: lion }, children: [] }]), true);
  const tree = await first.getFullTree();
  const latest = await first.latestSequence();
  const journal = await first.getJournal(0);
  const seqOfLion = await first.sequenceOf('lion');
  await first.close();

  t.equal(latest, TEST_BED_SIZE + 9 + 1, 'one sequence per node written, per node deleted, per transaction write');
  const second = await SqliteBackend.open({ path });
  t.teardown(() => second.close());
  const reread = await second.getFullTree();
  t.equal(reread.length, tree.length);
  t.ok(reread.every((node, i) => tree[i]?.equals(node)), 'every node is exactly as before');
  t.same(
    (await second.getPageTree('notes')).map((n) => n.labelRule),
    noteLabels().filter((l) => !l.startsWith('elephant/')),
  );
  t.equal(await second.latestSequence(), latest);
  t.equal(await second.sequenceOf('lion'), seqOfLion);
  const journalAgain = await second.getJournal(0);
  t.same(summary(journalAgain), summary(journal), 'the journal reads the same');

  await second.upsertNode([textNode('after-restart')]);
  t.equal(await second.sequenceOf('after-restart'), latest + 1, 'numbering continues; nothing repeats');
});

t.test('sequence numbers never repeat, even when the newest nodes were deleted before the restart', async (t) => {
  const path = tempDbPath(t);
  const first = await SqliteBackend.open({ path, journalRetention: 2 });
  await first.upsertNode([textNode('a'), textNode('b'), textNode('c')]);
  await first.deleteNode('c');
  await first.close();
  const second = await SqliteBackend.open({ path, journalRetention: 2 });
  t.teardown(() => second.close());
  t.equal(await second.latestSequence(), 4);
  await second.upsertNode([textNode('d')]);
  t.equal(await second.sequenceOf('d'), 5);
});

function summary(answer: Awaited<ReturnType<SqliteBackend['getJournal']>>): unknown {
  if (answer.kind === 'resync') return answer;
  return { latest: answer.latest, entries: answer.entries.map((e) => [e.sequence, e.label, e.node?.description ?? null]) };
}
