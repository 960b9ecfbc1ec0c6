import t from 'tap';
import { Encoder, decode as plainDecode } from 'cbor-x';
import { TreeNode, WwatpError } from '../../../../src/tree/index.js';
import { stateOf } from '../../../../src/tree/tree-node.js';
import { CBOR_OPTIONS, decodeNodeCbor, encodeNodeCbor, nodeFromWire, nodeToWire, type WireNode } from '../../../../src/tree/codecs/cbor-node.js';
import { prng, randomTree, sameNodes } from './fixtures/random-nodes.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

t.test('a minimal node is standard CBOR with the documented layout', async (t) => {
  const bytes = encodeNodeCbor(new TreeNode({ labelRule: 'a' }));
  // [ "a", "", [], [0, 256, "default", null, null, null, null], [], h'', null, null ]
  t.equal(hex(bytes), '88' + '6161' + '60' + '80' + '87' + '00' + '190100' + '67' + hex(Buffer.from('default')) + 'f6f6f6f6' + '80' + '40' + 'f6f6');
  t.equal(bytes.constructor, Uint8Array);
});

t.test('contents are a plain byte string, never tagged', async (t) => {
  const node = new TreeNode({ labelRule: 'b' });
  node.insertProperty('x', 'bytes', new Uint8Array([1, 2, 3]));
  const bytes = encodeNodeCbor(node);
  t.notOk(hex(bytes).includes('d840'), 'no tag 64');
  const generic = plainDecode(bytes) as unknown[];
  t.ok(generic[5] instanceof Uint8Array);
  t.same([...(generic[5] as Uint8Array)], [3, 0, 0, 0, 1, 2, 3]);
});

t.test('random nodes round trip', async (t) => {
  const rand = prng(11);
  const nodes = randomTree(rand, 300);
  const decoded = nodes.map((n) => decodeNodeCbor(encodeNodeCbor(n)));
  t.equal(sameNodes(decoded, nodes), undefined);
  for (const node of decoded) {
    if (node.propertyData.constructor !== Uint8Array) t.fail('contents must be a plain Uint8Array');
  }
  const wired = nodes.map((n) => nodeFromWire(nodeToWire(n)));
  t.equal(sameNodes(wired, nodes), undefined, 'through the plain wire value');
});

t.test('nodes embed in a larger CBOR message', async (t) => {
  const nodes = randomTree(prng(12), 20);
  const encoder = new Encoder(CBOR_OPTIONS);
  const message = encoder.encode({ requestId: 7, signal: 'UPSERT', nodes: nodes.map(nodeToWire) });
  const back = new Encoder(CBOR_OPTIONS).decode(message) as { requestId: number; nodes: unknown[] };
  t.equal(back.requestId, 7);
  const decoded = back.nodes.map((w) => nodeFromWire(w));
  t.equal(sameNodes(decoded, nodes), undefined);
  for (const node of decoded) t.equal(node.propertyData.constructor, Uint8Array);
});

t.test('nodeToWire copies contents', async (t) => {
  const node = new TreeNode({ labelRule: 'c' });
  node.insertProperty('x', 'bytes', new Uint8Array([5]));
  const wire = nodeToWire(node);
  wire[5].fill(0);
  t.same(node.getProperty('x'), new Uint8Array([5]));
});

t.test('shape is checked strictly, naming the field', async (t) => {
  const good = (): WireNode => nodeToWire(new TreeNode({ labelRule: 'a', childNames: ['b'], version: { collisionDepth: 2 } }));
  t.ok(nodeFromWire(good()).equals(new TreeNode({ labelRule: 'a', childNames: ['b'], version: { collisionDepth: 2 } })));
  const cases: Array<[string, (w: unknown[]) => void, RegExp]> = [
    ['short array', (w) => w.pop(), /the node/],
    ['long array', (w) => w.push(null), /the node/],
    ['label', (w) => (w[0] = 5), /label/],
    ['description', (w) => (w[1] = null), /description/],
    ['propertyInfos', (w) => (w[2] = {}), /propertyInfos/],
    ['property pair', (w) => (w[2] = [['int64']]), /propertyInfos\[0\]/],
    ['property name', (w) => (w[2] = [['int64', 3]]), /propertyInfos\[0\] name/],
    ['version', (w) => (w[3] = [0, 256, 'default']), /version/],
    ['version number', (w) => ((w[3] as unknown[])[0] = 1.5), /version number/],
    ['version number type', (w) => ((w[3] as unknown[])[0] = '1'), /version number/],
    ['negative max', (w) => ((w[3] as unknown[])[1] = -1), /maxVersionSequence/],
    ['policy', (w) => ((w[3] as unknown[])[2] = null), /policy/],
    ['authors', (w) => ((w[3] as unknown[])[4] = 1), /authors/],
    ['collisionDepth', (w) => ((w[3] as unknown[])[6] = 'x'), /collisionDepth/],
    ['childNames', (w) => (w[4] = 'b'), /childNames/],
    ['child name', (w) => (w[4] = [1]), /childNames\[0\]/],
    ['contents', (w) => (w[5] = [1, 2]), /contents/],
    ['queryHowTo', (w) => (w[6] = 1), /queryHowTo/],
    ['qaSequence', (w) => (w[7] = false), /qaSequence/],
  ];
  for (const [what, spoil, message] of cases) {
    const w = good() as unknown[];
    spoil(w);
    t.throws(() => nodeFromWire(w), { code: 'MALFORMED', message }, what);
  }
  for (const value of [null, undefined, 5, 'x', {}, new Uint8Array(3)]) {
    t.throws(() => nodeFromWire(value), { code: 'MALFORMED' }, `top-level ${String(value)}`);
  }
  const badLabel = good() as unknown[];
  badLabel[0] = 'a b';
  t.throws(() => nodeFromWire(badLabel), { code: 'INVALID_LABEL' });
  const badType = good() as unknown[];
  badType[2] = [['nope', 'x']];
  t.throws(() => nodeFromWire(badType), { code: 'INVALID_PROPERTY' });
  const overMax = good() as unknown[];
  (overMax[3] as unknown[])[0] = 256;
  t.throws(() => nodeFromWire(overMax), { code: 'INVALID_NODE' });
  const badContents = good() as unknown[];
  badContents[2] = [['int64', 'x']];
  t.throws(() => nodeFromWire(badContents), { code: 'MALFORMED' }, 'contents that do not fit the properties');
});

t.test('maxContentBytes', async (t) => {
  const node = new TreeNode({ labelRule: 'big' });
  node.insertProperty('b', 'bytes', new Uint8Array(60));
  const bytes = encodeNodeCbor(node);
  t.ok(decodeNodeCbor(bytes, { maxContentBytes: 64 }).equals(node));
  t.throws(() => decodeNodeCbor(bytes, { maxContentBytes: 63 }), { code: 'TOO_LARGE' });
});

t.test('garbage bytes are MALFORMED', async (t) => {
  const fixed = [
    new Uint8Array(0),
    Uint8Array.from([0xff]),
    Uint8Array.from([0x88, 0x61]),
    Uint8Array.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    new Uint8Array(100000).fill(0x81),
    Uint8Array.from([...encodeNodeCbor(new TreeNode({ labelRule: 'a' })), 0]),
  ];
  for (const bytes of fixed) t.throws(() => decodeNodeCbor(bytes), { code: 'MALFORMED' });
  const rand = prng(13);
  const valid = encodeNodeCbor(randomTree(rand, 1)[0] as TreeNode);
  let odd = 0;
  for (let i = 0; i < 3000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
    } else {
      bytes = valid.slice();
      bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    }
    try {
      decodeNodeCbor(bytes);
    } catch (error) {
      if (!(error instanceof WwatpError)) t.fail(`case ${i}: ${String(error)}`);
      else if (i % 2 === 0 && error.code !== 'MALFORMED') odd++;
    }
  }
  t.equal(odd, 0, 'random bytes are always MALFORMED');
  t.throws(() => decodeNodeCbor('x' as unknown as Uint8Array), { code: 'MALFORMED' });
});

t.test('ownedInput: a bulk node keeps the received bytes, small ones and borrowed input are copied', async (t) => {
  const decodeWire = (bytes: Uint8Array): WireNode => new Encoder(CBOR_OPTIONS).decode(bytes) as WireNode;
  const big = new TreeNode({ labelRule: 'bulk' });
  big.insertProperty('blob', 'bytes', new Uint8Array(2 * 1024 * 1024).fill(9));
  const message = Uint8Array.from(encodeNodeCbor(big)); // a buffer of its own, like a message just assembled
  const owned = stateOfContents(nodeFromWire(decodeWire(message), { ownedInput: true, maxContentBytes: 4 << 20 }));
  t.equal(owned.buffer, message.buffer, 'owned: the contents are a view of the message, not a copy');
  const borrowed = stateOfContents(nodeFromWire(decodeWire(message), { maxContentBytes: 4 << 20 }));
  t.not(borrowed.buffer, message.buffer, 'without ownedInput: copied');
  t.ok(Buffer.from(borrowed).equals(Buffer.from(owned)), 'same bytes either way');

  const small = new TreeNode({ labelRule: 'small' });
  small.insertProperty('v', 'bytes', new Uint8Array(1000).fill(3));
  const smallMessage = Uint8Array.from(encodeNodeCbor(small));
  t.not(stateOfContents(nodeFromWire(decodeWire(smallMessage), { ownedInput: true })).buffer, smallMessage.buffer, 'small contents are copied (pooled)');

  // 2 MiB inside a 4 MiB message: keeping it would hold twice what it needs.
  const pair = Uint8Array.from(new Encoder(CBOR_OPTIONS).encode([nodeToWire(big), nodeToWire(big)]));
  const [first] = new Encoder(CBOR_OPTIONS).decode(pair) as WireNode[];
  t.not(stateOfContents(nodeFromWire(first, { ownedInput: true, maxContentBytes: 4 << 20 })).buffer, pair.buffer, 'a node that fills half its message is copied');
});

function stateOfContents(node: TreeNode): Uint8Array {
  return stateOf(node).propertyData;
}
