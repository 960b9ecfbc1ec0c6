import t from 'tap';
import { decodeNode, encodeNode } from '../../../src/backends/sqlite/node-codec.js';
import { nodeFromState, stateOf, TreeNode } from '../../../src/tree/tree-node.js';
import { prng, randomNode } from '../../conformance/random.js';

const roundTrip = (node: TreeNode): TreeNode => nodeFromState(decodeNode(node.labelRule, encodeNode(stateOf(node))));

t.test('random nodes of every property type round trip exactly', async (t) => {
  const rand = prng(0xc0dec);
  let mismatches = 0;
  for (let i = 0; i < 300; i++) {
    const { node } = randomNode(rand, `r/n${i}`);
    if (!roundTrip(node).equals(node)) mismatches++;
  }
  t.equal(mismatches, 0);
});

t.test('every optional field, unicode, and large numbers survive', async (t) => {
  const node = new TreeNode({
    labelRule: 'ü/中/🌳',
    description: 'a "description" with\nnewlines and 🌳',
    queryHowTo: '',
    qaSequence: 'q/a',
    childNames: ['kid', 'other/absolute/link', 'é'],
    version: { versionNumber: 65535, maxVersionSequence: 65536, policy: 'strict', authorialProof: 'proof', authors: 'people/a', readers: '', collisionDepth: 2 ** 32 - 1 },
  });
  node.insertProperty('big', 'uint64', 2n ** 64n - 1n);
  node.insertProperty('blob', 'bytes', new Uint8Array(300).map((_, i) => i));
  const back = roundTrip(node);
  t.ok(back.equals(node));
  t.same(back.version, node.version);
  t.equal(back.queryHowTo, '', 'an empty optional string is not lost');
  t.equal(back.getProperty('big'), 2n ** 64n - 1n);
  const bare = new TreeNode({ labelRule: 'bare' });
  t.equal(roundTrip(bare).version, bare.version, 'the default version is shared, not copied');
  t.equal(roundTrip(bare).queryHowTo, undefined);
});

t.test('decoded contents are a plain Uint8Array the caller cannot write through', async (t) => {
  const node = new TreeNode({ labelRule: 'x' });
  node.insertProperty('b', 'bytes', Uint8Array.of(1, 2, 3));
  const state = decodeNode('x', encodeNode(stateOf(node)));
  t.notOk(Buffer.isBuffer(state.propertyData), 'not a Buffer, whose slice() would share memory');
  const back = nodeFromState(state);
  const copy = back.propertyData;
  copy.fill(9);
  (back.getProperty('b') as Uint8Array).fill(9);
  t.same(nodeFromState(state).getProperty('b'), Uint8Array.of(1, 2, 3));
  t.ok(Object.isFrozen(state) && Object.isFrozen(state.childNames) && Object.isFrozen(state.propertyInfos));
});

t.test('a damaged row is a STORAGE error naming the node', async (t) => {
  const row = encodeNode(stateOf(new TreeNode({ labelRule: 'x', description: 'hello there', childNames: ['a', 'b'] })));
  t.throws(() => decodeNode('x', row.subarray(0, 5)), { code: 'STORAGE', message: /"x".*damaged/ });
  const wrongFormat = Buffer.from(row);
  wrongFormat[0] = 99;
  t.throws(() => decodeNode('x', wrongFormat), { code: 'STORAGE', message: /unknown row format 99/ });
  t.throws(() => decodeNode('x', Buffer.from([1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), { code: 'STORAGE', message: /overlong/ });
  t.throws(() => decodeNode('x', Buffer.alloc(0)), { code: 'STORAGE' });
});

t.test('rows read one after another share a shape only when it is the same', async (t) => {
  const make = (label: string, props: Array<[string, string, unknown]>, description = ''): TreeNode => {
    const node = new TreeNode({ labelRule: label, description, version: { policy: label.endsWith('p') ? 'custom' : 'default' } });
    for (const [name, type, value] of props) node.insertProperty(name, type, value);
    return node;
  };
  const nodes = [
    make('a', [['v', 'bytes', new Uint8Array(2)]]),
    make('b', [['v', 'bytes', new Uint8Array(3)]], 'described'),
    make('c', [['w', 'bytes', new Uint8Array(1)]]),
    make('d', [['w', 'string', 'text']]),
    make('ep', [['w', 'string', 'x'], ['v', 'int64', 1n]]),
    make('f', [['w', 'string', 'y'], ['u', 'int64', 2n]]),
    make('g', []),
    make('h', [['w', 'string', 'z']]),
  ];
  const back = nodes.map(roundTrip);
  t.equal(back.filter((n, i) => !n.equals(nodes[i] as TreeNode)).length, 0, 'every node as it was');
  t.equal(back[0]?.propertyInfos, back[1]?.propertyInfos, 'the same shape: one array');
  t.not(back[1]?.propertyInfos, back[2]?.propertyInfos, 'another name: another array');
  t.same(back[5]?.propertyInfos, [{ type: 'string', name: 'w' }, { type: 'int64', name: 'u' }], 'a shape differing in its second property');
  t.equal(back[4]?.version.policy, 'custom');
  t.ok(back.every((n) => Object.isFrozen(n.propertyInfos) && n.propertyInfos.every((p) => Object.isFrozen(p))), 'frozen throughout');
});

t.test('a shape repeated from the row before is reused only when the row spells it in ASCII', async (t) => {
  const a = new TreeNode({ labelRule: 'a' });
  a.insertProperty('Ã©', 'string', 'x');
  const b = new TreeNode({ labelRule: 'b' });
  b.insertProperty('é', 'string', 'y');
  t.equal(roundTrip(a).propertyInfos[0]?.name, 'Ã©');
  t.equal(roundTrip(b).propertyInfos[0]?.name, 'é', 'not the name of the row before');
  t.ok(roundTrip(b).equals(b));
});
