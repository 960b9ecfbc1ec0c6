import t from 'tap';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { stateOf, TreeNode } from '../../../src/tree/tree-node.js';
import { prng, randomNode } from '../../conformance/random.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

/** Many nodes below `s`, of every property type, some empty, one large; keyed by label. */
function subtree(count: number): Map<string, TreeNode> {
  const rand = prng(0x5eed);
  const nodes = new Map<string, TreeNode>();
  nodes.set('s', new TreeNode({ labelRule: 's', description: 'root' }));
  for (let i = 0; i < count; i++) {
    const label = `s/g${i % 7}/ü${i}`;
    const node = i % 10 === 0 ? new TreeNode({ labelRule: label }) : randomNode(rand, label).node;
    if (i === 5) node.insertProperty('large', 'bytes', new Uint8Array(1 << 20).map((_, k) => k * 7));
    nodes.set(label, node);
  }
  return nodes;
}

t.test('a read of many rows gives every node exactly, in label order', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  const nodes = subtree(500);
  await backend.upsertNode([...nodes.values()]);
  await backend.upsertNode([new TreeNode({ labelRule: 'sibling', description: 'outside the subtree' })]);

  const below = await backend.queryNodes('s/**');
  t.equal(below.length, 500);
  t.same(below.map((n) => n.labelRule), [...nodes.keys()].filter((l) => l !== 's').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'label order (bytewise)');
  t.equal(below.filter((n) => !n.equals(nodes.get(n.labelRule) as TreeNode)).length, 0, 'every node as written');

  const all = await backend.getFullTree();
  t.equal(all.length, 502);
  t.equal(all.filter((n) => n.labelRule !== 'sibling' && !n.equals(nodes.get(n.labelRule) as TreeNode)).length, 0);

  t.same((await backend.queryNodes('s/g3/*')).map((n) => n.labelRule).sort(), [...nodes.keys()].filter((l) => l.startsWith('s/g3/')).sort(), 'one level down');
  t.same(await backend.queryNodes('nothing/**'), [], 'an empty range');
});

t.test('a node from a read of many rows holds only its own contents', async (t) => {
  const backend = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => backend.close());
  const nodes: TreeNode[] = [];
  for (let i = 0; i < 200; i++) {
    const node = new TreeNode({ labelRule: `k/n${i}` });
    node.insertProperty('v', 'bytes', new Uint8Array(4000).fill(i));
    nodes.push(node);
  }
  await backend.upsertNode(nodes);
  const [first] = await backend.queryNodes('k/**');
  const data = stateOf(first as TreeNode).propertyData;
  t.ok(data.buffer.byteLength < 200 * 4000, `the node's bytes live in a buffer of ${data.buffer.byteLength} bytes, not one holding every row`);
  t.ok((first as TreeNode).equals(nodes[0] as TreeNode));
});
