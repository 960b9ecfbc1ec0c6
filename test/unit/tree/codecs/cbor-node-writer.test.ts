import t from 'tap';
import { Encoder } from 'cbor-x';
import { CBOR_OPTIONS, nodeToWireShared } from '../../../../src/tree/codecs/cbor-node.js';
import { encodeWireNode, encodeWireNodeList } from '../../../../src/tree/codecs/cbor-node-writer.js';
import { encodeNodeMap } from '../../../../src/transport/wwatp/node-payloads.js';
import { TreeNode } from '../../../../src/tree/tree-node.js';
import { encodeNodesPayload } from '../../../../src/frontends/server/node-payloads.js';
import { decodePayload, encodePayload, field } from '../../../../src/transport/wwatp/payloads.js';
import { prng, randomNode } from '../../../conformance/random.js';

const cborx = new Encoder(CBOR_OPTIONS);
const viaCborx = (nodes: TreeNode[]): Buffer => Buffer.from(cborx.encode(nodes.map(nodeToWireShared)));

/** Nodes that reach every head size and optional field. */
function awkwardNodes(): TreeNode[] {
  const long = (n: number, ch = 'a'): string => ch.repeat(n);
  const full = new TreeNode({
    labelRule: 'ü/中/🌳',
    description: long(23) + 'é',
    queryHowTo: '',
    qaSequence: long(300, 'q'),
    childNames: Array.from({ length: 30 }, (_, i) => `kid${i}`),
    version: { versionNumber: 65535, maxVersionSequence: 65536, policy: long(70000, 'p'), authorialProof: 'proof', authors: long(255), readers: long(256), collisionDepth: 2 ** 32 - 1 },
  });
  full.insertProperty('blob', 'bytes', new Uint8Array(70000).map((_, i) => i));
  full.insertProperty('big', 'uint64', 2n ** 64n - 1n);
  const bare = new TreeNode({ labelRule: 'bare' });
  const shortUnicode = new TreeNode({ labelRule: 'x', description: '🌳🌳🌳🌳🌳🌳🌳🌳' }); // 16 units, 32 bytes: the head grows
  const midUnicode = new TreeNode({ labelRule: 'y', description: 'é'.repeat(100) }); // guessed 3-byte head, needs 2
  return [full, bare, shortUnicode, midUnicode];
}

t.test('the bytes are the ones cbor-x writes for the same nodes', async (t) => {
  const rand = prng(0xcb0);
  const nodes = [...awkwardNodes(), ...Array.from({ length: 300 }, (_, i) => randomNode(rand, `r/n${i}`).node)];
  t.ok(Buffer.from(encodeWireNodeList(nodes)).equals(viaCborx(nodes)), 'a list of every kind of node');
  for (const node of nodes.slice(0, 40)) {
    if (!Buffer.from(encodeWireNodeList([node])).equals(viaCborx([node]))) t.fail(`node ${node.labelRule} differs`);
  }
  t.ok(Buffer.from(encodeWireNodeList([])).equals(viaCborx([])), 'an empty list');
  const many = Array.from({ length: 70000 }, (_, i) => new TreeNode({ labelRule: `m${i}` }));
  t.ok(Buffer.from(encodeWireNodeList(many)).equals(viaCborx(many)), 'a list longer than 65,535');
});

t.test('a nodes payload decodes to what encodePayload gives, and back to the same nodes', async (t) => {
  const nodes = awkwardNodes();
  const directBytes = encodeNodesPayload(nodes, { latest: 12345 }).bytes;
  t.ok(Buffer.from(directBytes).equals(Buffer.from(encodePayload({ latest: 12345, nodes: nodes.map(nodeToWireShared) }))), 'the bytes encodePayload writes');
  const direct = decodePayload(directBytes);
  t.equal(direct['latest'], 12345);
  const back = field.nodes(direct, 'nodes', { maxContentBytes: 1 << 20 });
  t.equal(back.filter((n, i) => !n.equals(nodes[i] as TreeNode)).length, 0, 'every node as it was');
});

t.test('text of every short length, ASCII or ending in a wider character, is written as cbor-x writes it', async (t) => {
  const nodes: TreeNode[] = [];
  for (let n = 1; n <= 70; n++) {
    nodes.push(new TreeNode({ labelRule: 'a'.repeat(n), description: 'b'.repeat(n - 1) + 'é' }));
    nodes.push(new TreeNode({ labelRule: `x${'y'.repeat(n)}`, description: 'c'.repeat(n - 1) + '🌳' }));
  }
  t.ok(Buffer.from(encodeWireNodeList(nodes)).equals(viaCborx(nodes)));
});

t.test('one node, and a map ending in it, are the bytes cbor-x writes', async (t) => {
  const rand = prng(0x0e);
  const nodes = [...awkwardNodes(), ...Array.from({ length: 50 }, (_, i) => randomNode(rand, `o/n${i}`).node)];
  let differ = 0;
  for (const node of nodes) {
    if (!Buffer.from(encodeWireNode(node)).equals(Buffer.from(cborx.encode(nodeToWireShared(node))))) differ++;
    if (!Buffer.from(encodeNodeMap(node, { latest: 7 })).equals(Buffer.from(encodePayload({ latest: 7, node: nodeToWireShared(node) })))) differ++;
  }
  t.equal(differ, 0);
  t.ok(field.node(decodePayload(encodeNodeMap(nodes[0] as TreeNode)), 'node', { maxContentBytes: 1 << 20 }).equals(nodes[0] as TreeNode), 'and reads back');
});
