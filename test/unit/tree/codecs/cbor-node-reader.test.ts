import t from 'tap';
import { Decoder, Encoder } from 'cbor-x';
import { CBOR_OPTIONS, nodeFromWire, nodeToWireShared } from '../../../../src/tree/codecs/cbor-node.js';
import { readWireNode, readWireNodeList } from '../../../../src/tree/codecs/cbor-node-reader.js';
import { encodeWireNodeList } from '../../../../src/tree/codecs/cbor-node-writer.js';
import { WwatpError } from '../../../../src/tree/errors.js';
import { TreeNode } from '../../../../src/tree/tree-node.js';
import { decodePayload, encodePayload, field } from '../../../../src/transport/wwatp/payloads.js';
import { encodeNodesMap } from '../../../../src/transport/wwatp/node-payloads.js';
import { prng, randomNode } from '../../../conformance/random.js';

const cborx = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);
const limits = { maxContentBytes: 1 << 20 };

/** How the payload's nodes were read before the direct reader: cbor-x for the whole map, then nodeFromWire. */
function genericNodes(bytes: Uint8Array, key = 'nodes'): TreeNode[] {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', 'payload is not valid CBOR', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new WwatpError('MALFORMED', 'payload must be a CBOR map');
  const list = (value as Record<string, unknown>)[key];
  if (!Array.isArray(list)) throw new WwatpError('MALFORMED', `field "${key}" must be an array of nodes`);
  return list.map((n) => nodeFromWire(n, { ...limits, ownedInput: true }));
}

type Outcome = { nodes: TreeNode[] } | { code: string; message: string } | { crash: string };

function outcome(read: () => TreeNode[]): Outcome {
  try {
    return { nodes: read() };
  } catch (error) {
    return error instanceof WwatpError ? { code: error.code, message: error.message } : { crash: String(error) };
  }
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('nodes' in a && 'nodes' in b) return a.nodes.length === b.nodes.length && a.nodes.every((n, i) => n.equals(b.nodes[i] as TreeNode));
  return JSON.stringify(a) === JSON.stringify(b);
}

function awkwardNodes(): TreeNode[] {
  const full = new TreeNode({
    labelRule: 'ü/中/🌳',
    description: 'é'.repeat(30),
    queryHowTo: '',
    qaSequence: 'q'.repeat(300),
    childNames: ['kid', 'other/tree/link', 'ü'],
    version: { versionNumber: 300, maxVersionSequence: 65536, policy: 'p'.repeat(70), authorialProof: 'proof', authors: 'a', readers: 'r', collisionDepth: 2 ** 32 - 1 },
  });
  full.insertProperty('blob', 'bytes', new Uint8Array(70000).map((_, i) => i));
  full.insertProperty('big', 'uint64', 2n ** 64n - 1n);
  return [full, new TreeNode({ labelRule: 'bare' }), new TreeNode({ labelRule: 'x', description: 'a BOM later: \ufeff' })];
}

t.test('reads every node the way cbor-x and nodeFromWire do', async (t) => {
  const rand = prng(0x5eed);
  const nodes = [...awkwardNodes(), ...Array.from({ length: 400 }, (_, i) => randomNode(rand, `r/n${i}`).node)];
  const bytes = encodeWireNodeList(nodes);
  const fast = readWireNodeList(bytes, 0, bytes.length, limits);
  t.ok(fast, 'plain CBOR is read directly');
  const generic = (decoder.decode(bytes) as unknown[]).map((w) => nodeFromWire(w, limits));
  t.equal(fast?.length, nodes.length);
  t.equal(fast?.filter((n, i) => !n.equals(generic[i] as TreeNode) || !n.equals(nodes[i] as TreeNode)).length, 0, 'every node equal');
  for (const node of fast ?? []) {
    if (!Object.isFrozen(node.childNames) || !Object.isFrozen(node.propertyInfos) || !Object.isFrozen(node.version)) t.fail(`${node.labelRule}: fields not frozen`);
  }
  const one = encodeWireNodeList([nodes[0] as TreeNode]);
  t.ok(readWireNode(one, 1, one.length)?.equals(nodes[0] as TreeNode), 'one node at an offset');
  t.equal(readWireNode(one, 1, one.length - 1), undefined, 'a node cut short is left to the generic decoder');
  t.equal(readWireNode(Uint8Array.from([...one, 0]), 1, one.length + 1), undefined, 'so is one with bytes after it');
  // Decoders differ on keeping a leading byte order mark: the generic one decides, and the payload still reads.
  const bom = new TreeNode({ labelRule: 'bom', description: '\ufeffat the start' });
  const withBom = encodeWireNodeList([nodes[1] as TreeNode, bom]);
  t.equal(readWireNodeList(withBom, 0, withBom.length), undefined, 'a leading BOM is left to cbor-x');
  const payload = encodeNodesMap([nodes[1] as TreeNode, bom]);
  t.ok(sameOutcome(outcome(() => field.nodes(decodePayload(payload), 'nodes', limits)), outcome(() => genericNodes(payload))), 'and reads as cbor-x reads it');
});

t.test('nodes sharing a shape share its propertyInfos, and a new shape is checked', async (t) => {
  const a = new TreeNode({ labelRule: 'a' });
  a.insertProperty('v', 'bytes', new Uint8Array(3));
  const b = new TreeNode({ labelRule: 'b' });
  b.insertProperty('v', 'bytes', new Uint8Array(5));
  const c = new TreeNode({ labelRule: 'c' });
  c.insertProperty('w', 'int64', 5n);
  const bytes = encodeWireNodeList([a, b, c]);
  const [ra, rb, rc] = readWireNodeList(bytes, 0, bytes.length) ?? [];
  t.equal(ra?.propertyInfos, rb?.propertyInfos, 'one array for one shape');
  t.same(rc?.propertyInfos, [{ type: 'int64', name: 'w' }]);
  t.equal(rc?.getProperty('w'), 5n);
  // A node with an undeclared type fails its check here and is left to the generic path.
  const bad = cborx.encode([['d', '', [['no-such-type', 'x']], [0, 256, 'default', null, null, null, null], [], new Uint8Array(0), null, null]]);
  t.equal(readWireNodeList(bad, 0, bad.length), undefined);
  t.throws(() => field.nodes(decodePayload(encodePayload({ nodes: decoder.decode(bad) })), 'nodes', limits), { code: 'INVALID_PROPERTY' });
});

t.test('input outside plain CBOR or failing a check ends the same way as through the generic decoder', async (t) => {
  const node = new TreeNode({ labelRule: 'lion/cub', description: 'ok', childNames: ['a', 'b'] });
  node.insertProperty('v', 'bytes', new Uint8Array(10));
  const plain = encodeNodesMap([node], { latest: 7 });
  const at = (needle: number[]): number => Buffer.from(plain).indexOf(Buffer.from(needle));
  const splice = (index: number, remove: number, insert: number[]): Uint8Array => Uint8Array.from([...plain.subarray(0, index), ...insert, ...plain.subarray(index + remove)]);
  const children = at([0x82, 0x61, 0x61, 0x61, 0x62]);
  const version = at([0x00, 0x19, 0x01, 0x00]);
  const label = at([0x68, ...Buffer.from('lion/cub')]);
  const cases: Record<string, Uint8Array> = {
    'childNames of indefinite length': splice(children, 5, [0x9f, 0x61, 0x61, 0x61, 0x62, 0xff]),
    'a version number written as a float': splice(version, 1, [0xf9, 0x3c, 0x00]),
    'a version number of 2^53': splice(version, 1, [0x1b, 0x00, 0x20, 0, 0, 0, 0, 0, 0]),
    'a label that is not UTF-8': splice(label, 9, [0x68, ...Buffer.from('lion/c'), 0xc3, 0x28]),
    'a label holding a reserved character': splice(label, 9, [0x68, ...Buffer.from('lion/c*b')]),
    'a tagged contents byte string': splice(at([0x4e]), 0, [0xd8, 0x40]),
    'a description that is a number': splice(at([0x62, 0x6f, 0x6b]), 3, [0x18, 0x2a]),
    'a node of seven fields': splice(at([0x88]), 1, [0x87]),
    'contents that do not fit the properties': splice(at([0x4e]), 15, [0x4f, ...new Uint8Array(15)]),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    const expected = outcome(() => genericNodes(bytes));
    const got = outcome(() => field.nodes(decodePayload(bytes), 'nodes', limits));
    t.ok(sameOutcome(got, expected), `${what}: ${JSON.stringify('nodes' in got ? 'read' : got)} / ${JSON.stringify('nodes' in expected ? 'read' : expected)}`);
  }
  t.ok('nodes' in outcome(() => field.nodes(decodePayload(cases['childNames of indefinite length'] as Uint8Array), 'nodes', limits)), 'cbor-x takes indefinite lengths, so they are still read');
  const small = { maxContentBytes: 9 };
  t.throws(() => field.nodes(decodePayload(plain), 'nodes', small), { code: 'TOO_LARGE' }, 'contents over the limit');
});

t.test('random damage to a payload ends the same way through both decoders', async (t) => {
  const rand = prng(0xbad);
  const nodes = Array.from({ length: 6 }, (_, i) => randomNode(rand, `d/n${i}`).node);
  const valid = encodeNodesMap(nodes, { latest: 3, label: 'd' });
  let differ = 0;
  let failures = 0;
  for (let i = 0; i < 4000; i++) {
    const bytes = valid.slice(0, i % 5 === 0 ? Math.floor(rand() * valid.length) : valid.length);
    for (let k = 0; k < 1 + (i % 3); k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    const expected = outcome(() => genericNodes(bytes));
    const got = outcome(() => field.nodes(decodePayload(bytes), 'nodes', limits));
    if (!('nodes' in got)) failures++;
    if ('crash' in got || !sameOutcome(got, expected)) {
      differ++;
      if (differ < 5) t.fail(`case ${i}: ${JSON.stringify('nodes' in got ? 'read' : got)} / ${JSON.stringify('nodes' in expected ? 'read' : expected)}`);
    }
  }
  t.equal(differ, 0, 'no difference in 4000 damaged payloads');
  t.ok(failures > 100, `most damage is caught (${failures} of 4000)`);
});

t.test('the other fields of a payload decode as cbor-x decodes them', async (t) => {
  const node = new TreeNode({ labelRule: 'one' });
  const wire = nodeToWireShared(node);
  const maps = [
    { label: 'x', node: wire, latest: 2 ** 40, ok: true, list: [1, 'two', null, -3, 1.5], nested: { a: new Uint8Array([1, 2]) } },
    { node: null, latest: 0 },
    { nodes: [wire, wire], extra: 'after' },
  ];
  for (const map of maps) {
    const bytes = encodePayload(map);
    const p = decodePayload(bytes);
    const whole = decoder.decode(bytes) as Record<string, unknown>;
    for (const key of Object.keys(whole)) {
      if (key === 'node' && whole[key] !== null) t.ok(field.node(p, key, limits).equals(node), 'the node field');
      else if (key === 'nodes') t.equal(field.nodes(p, key, limits).length, 2, 'the nodes field');
      else t.same(p[key], whole[key], `field ${key}`);
    }
    t.same(Object.keys(p), Object.keys(whole), 'the same keys in the same order');
  }
  t.equal(field.maybeNode(decodePayload(encodePayload({ node: null })), 'node', limits), undefined, 'a null node is none');
  // Two "nodes" keys: the last one counts, as in cbor-x.
  const twice = Uint8Array.from([0xa2, 0x65, ...Buffer.from('nodes'), 0x80, 0x65, ...Buffer.from('nodes'), ...cborx.encode([wire])]);
  t.equal(field.nodes(decodePayload(twice), 'nodes', limits).length, 1);
});

/** A payload read field by field, node fields through `field`, as comparable text (or the error). */
function readAll(p: () => Record<string, unknown>, nodeOf: (p: Record<string, unknown>, key: string) => unknown): string {
  const show = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x instanceof TreeNode ? `node ${x.labelRule} ${Buffer.from(x.propertyData).toString('hex')}` : x === undefined ? 'undefined' : x));
  try {
    const map = p();
    return show(Object.keys(map).map((key) => [key, key === 'node' || key === 'nodes' ? nodeOf(map, key) : map[key]]));
  } catch (error) {
    return error instanceof WwatpError ? `${error.code}: ${error.message}` : `crash: ${String(error)}`;
  }
}

t.test('random payload maps, whole or damaged, read as cbor-x reads them', async (t) => {
  const rand = prng(0x9a9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const node = randomNode(rand, 'p/n').node;
  const values: unknown[] = [
    0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 60, -1, -1000, 1.5, -0, true, false, null, undefined,
    '', 'text', 'é', '\ufefflead', 'x'.repeat(300), new Uint8Array([1, 2, 3]), [1, 'a', null], { nested: [true] },
  ];
  const keys = ['label', 'latest', 'ok', 'name', 'rule', 'token', 'node', 'nodes', 'tx'];
  let differ = 0;
  for (let i = 0; i < 3000; i++) {
    const map: Record<string, unknown> = {};
    for (let k = Math.floor(rand() * 5); k > 0; k--) {
      const key = pick(keys);
      map[key] = key === 'node' ? (rand() < 0.2 ? null : nodeToWireShared(node)) : key === 'nodes' ? [nodeToWireShared(node)] : pick(values);
    }
    const bytes = Uint8Array.from(encodePayload(map));
    if (i % 2 === 1) for (let k = 0; k < 1 + (i % 3); k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    const viaFields = readAll(() => decodePayload(bytes), (p, key) => (key === 'nodes' ? field.nodes(p, key, limits) : field.maybeNode(p, key, limits)));
    const viaCborx = readAll(
      () => {
        const whole = genericMap(bytes);
        return whole;
      },
      (p, key) => {
        const v = p[key];
        if (key === 'node') return v === null || v === undefined ? undefined : nodeFromWire(v, { ...limits, ownedInput: true });
        if (!Array.isArray(v)) throw new WwatpError('MALFORMED', `field "${key}" must be an array of nodes`);
        return v.map((n) => nodeFromWire(n, { ...limits, ownedInput: true }));
      },
    );
    if (viaFields !== viaCborx || viaFields.startsWith('crash')) {
      differ++;
      if (differ < 5) t.fail(`case ${i}: ${viaFields.slice(0, 300)} / ${viaCborx.slice(0, 300)}`);
    }
  }
  t.equal(differ, 0, 'no difference in 3000 payloads');
});

function genericMap(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = bytes.length === 0 ? {} : decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', 'payload is not valid CBOR', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new WwatpError('MALFORMED', 'payload must be a CBOR map');
  return value as Record<string, unknown>;
}

t.test('a name repeated from the node before is reused only when the bytes spell it in ASCII', async (t) => {
  // 'Ã©' is two UTF-16 units whose codes equal the two UTF-8 bytes of 'é'.
  const a = new TreeNode({ labelRule: 'a', version: { policy: 'Ã©' } });
  a.insertProperty('Ã©', 'string', 'x');
  const b = new TreeNode({ labelRule: 'b', version: { policy: 'é' } });
  b.insertProperty('é', 'string', 'y');
  const bytes = encodeWireNodeList([a, b]);
  const [ra, rb] = readWireNodeList(bytes, 0, bytes.length) ?? [];
  t.equal(ra?.propertyInfos[0]?.name, 'Ã©');
  t.equal(rb?.propertyInfos[0]?.name, 'é');
  t.equal(rb?.version.policy, 'é');
  t.ok(rb?.equals(b));
});
