import t from 'tap';
import { TreeNode, WwatpError } from '../../../src/tree/index.js';
import { checkLayout, layoutSlots } from '../../../src/tree/property-layout.js';
import { prng } from '../../conformance/random.js';

t.test('constructs with defaults', async (t) => {
  const node = new TreeNode({ labelRule: '/lion/' });
  t.equal(node.labelRule, 'lion');
  t.equal(node.description, '');
  t.same(node.childNames, []);
  t.equal(node.version.versionNumber, 0);
  t.equal(node.version.maxVersionSequence, 256);
  t.equal(node.version.policy, 'default');
  t.equal(node.contentSize, 0);
});

t.test('typed properties', async (t) => {
  const node = new TreeNode({ labelRule: 'lion' });
  node.insertProperty('popularity', 'int64', 10);
  node.insertProperty('diet', 'string', 'carnivore');
  node.insertProperty('weight', 'double', 190.5);
  t.equal(node.getProperty('popularity'), 10n);
  t.equal(node.getProperty('diet'), 'carnivore');
  t.equal(node.getProperty('weight'), 190.5);
  t.throws(() => node.insertProperty('diet', 'string', 'x'), { code: 'ALREADY_EXISTS' });
  node.setProperty('diet', 'meat');
  t.equal(node.getProperty('diet'), 'meat');
  t.equal(node.getProperty('popularity'), 10n);
  t.throws(() => node.setProperty('missing', 1), { code: 'NOT_FOUND' });
  t.throws(() => node.setProperty('popularity', 'ten'), { code: 'TYPE_MISMATCH' });
  t.ok(node.deleteProperty('popularity'));
  t.equal(node.getProperty('popularity'), undefined);
  t.equal(node.getProperty('weight'), 190.5);
  const error = t.throws(() => node.insertProperty('x', 'nope', 1), { code: 'INVALID_PROPERTY' });
  t.ok(error instanceof WwatpError, 'a WwatpError');
});

t.test('every seed literal type maps onto a storage type', async (t) => {
  const node = new TreeNode({ labelRule: 'types' });
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47);
  const when = new Date('2026-11-21T10:20:30.456Z');
  node.insertProperty('s', 'String', 'text');
  node.insertProperty('i', 'Int', -5);
  node.insertProperty('f', 'Float', 1.25);
  node.insertProperty('img', 'Image', png);
  node.insertProperty('l', 'List', [1, 'a']);
  node.insertProperty('d', 'Dictionary', { a: 1 });
  node.insertProperty('b', 'Bytes', Uint8Array.of(1, 2));
  node.insertProperty('dt', 'Datetime', when);
  node.insertProperty('cb', 'Callback', 'Auto');
  node.insertProperty('gone', 'Removed', null);
  node.insertProperty('err', 'Error', 'stream broke');
  node.insertProperty('y', 'yaml', { list: [1, 2], text: 'x: y' });
  node.insertProperty('u', 'uint64', 2n ** 64n - 1n);
  node.insertProperty('fl', 'float', 0.1);
  node.insertProperty('ok', 'bool', true);
  t.equal(node.getProperty('s'), 'text');
  t.equal(node.getProperty('i'), -5n);
  t.equal(node.getProperty('f'), 1.25);
  t.same(node.getProperty('img'), png);
  t.same(node.getProperty('l'), [1, 'a']);
  t.same(node.getProperty('d'), { a: 1 });
  t.same(node.getProperty('dt'), when);
  t.equal(node.getProperty('cb'), 'Auto');
  t.equal(node.getProperty('gone'), null);
  t.equal(node.getProperty('err'), 'stream broke');
  t.same(node.getProperty('y'), { list: [1, 2], text: 'x: y' });
  t.equal(node.getProperty('u'), 2n ** 64n - 1n);
  t.equal(node.getProperty('fl'), Math.fround(0.1));
  t.equal(node.getProperty('ok'), true);
  t.equal(node.getPropertyType('img'), 'Image', 'the declared type name is kept');
  t.same(node.properties().map((p) => p.name), ['s', 'i', 'f', 'img', 'l', 'd', 'b', 'dt', 'cb', 'gone', 'err', 'y', 'u', 'fl', 'ok']);
  const rebuilt = new TreeNode({ labelRule: 'types', propertyInfos: node.propertyInfos, propertyData: node.propertyData });
  t.ok(rebuilt.equals(node), 'infos and data rebuild the same node');
});

t.test('copies are independent (copy on write)', async (t) => {
  const a = new TreeNode({ labelRule: 'a', description: 'one', childNames: ['x'] });
  a.insertProperty('n', 'int64', 1);
  const b = a.clone();
  t.ok(a.equals(b));
  b.setProperty('n', 2);
  b.description = 'two';
  b.childNames = ['x', 'y'];
  t.equal(a.getProperty('n'), 1n);
  t.equal(a.description, 'one');
  t.same(a.childNames, ['x']);
  t.notOk(a.equals(b));
  const data = a.propertyData;
  data[0] = 99;
  t.equal(a.getProperty('n'), 1n, 'propertyData hands out a copy');
  t.throws(() => {
    (a.version as { versionNumber: number }).versionNumber = 5;
  }, 'versions are frozen');
});

t.test('setters validate', async (t) => {
  const node = new TreeNode({ labelRule: 'a' });
  t.throws(() => {
    node.labelRule = 'a b';
  }, { code: 'INVALID_LABEL' });
  t.throws(() => {
    node.childNames = ['ok', '..'];
  }, { code: 'INVALID_LABEL' });
  t.throws(() => {
    node.version = { versionNumber: 300 };
  }, { code: 'INVALID_NODE' });
  t.throws(() => {
    node.description = 5 as unknown as string;
  }, { code: 'INVALID_NODE' });
  t.equal(node.labelRule, 'a');
  node.version = { versionNumber: 7, policy: 'reader-writer', authors: 'people/ann' };
  t.equal(node.version.versionNumber, 7);
  t.equal(node.version.maxVersionSequence, 256);
  t.equal(node.version.authors, 'people/ann');
  t.throws(() => node.insertProperty('', 'string', 'x'), { code: 'INVALID_PROPERTY' });
  t.throws(() => node.insertProperty('s', 'string', 'bad \ud800 text'), { code: 'TYPE_MISMATCH' });
});

t.test('shared property shapes never mix up two different shapes', async (t) => {
  // Names may hold any character; a key built by joining with separators would let
  // this one-property shape pass for the two-property shape seen first.
  const two = new TreeNode({ labelRule: 'shape/two' });
  two.insertProperty('a', 'string', 'x');
  two.insertProperty('b', 'bytes', new Uint8Array([1]));
  const one = new TreeNode({ labelRule: 'shape/one' });
  one.insertProperty('a\u0001bytes\u0000b', 'string', 'y');
  t.same(one.propertyInfos.map((i) => i.name), ['a\u0001bytes\u0000b']);
  const again = new TreeNode({ labelRule: 'shape/again', propertyInfos: one.propertyInfos, propertyData: one.propertyData });
  t.same(again.propertyInfos.map((i) => [i.type, i.name]), [['string', 'a\u0001bytes\u0000b']]);
  const twice = new TreeNode({ labelRule: 'shape/twice', propertyInfos: two.propertyInfos.map((i) => ({ ...i })), propertyData: two.propertyData });
  t.equal(twice.propertyInfos, two.propertyInfos, 'a shape seen before is shared, not rebuilt');
});

/** 'ok', or the error a call throws, as text. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return String(error);
  }
}

t.test('checkLayout accepts exactly the contents layoutSlots accepts, with its errors', async (t) => {
  const rand = prng(0x1a7);
  const types = ['int64', 'bool', 'double', 'string', 'bytes', 'float'];
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const infos = Array.from({ length: Math.floor(rand() * 4) }, (_, k) => ({ type: types[Math.floor(rand() * types.length)] as string, name: `p${k}` }));
    const data = Uint8Array.from({ length: Math.floor(rand() * 24) }, () => (rand() < 0.7 ? Math.floor(rand() * 6) : Math.floor(rand() * 256)));
    const slow = outcome(() => layoutSlots(infos, data));
    const fast = outcome(() => checkLayout(infos, data));
    if (fast !== slow) t.fail(`case ${i}: ${fast} / ${slow}`);
    if (fast === 'ok') accepted++;
  }
  t.ok(accepted > 50, `both accept well-formed contents (${accepted} of 3000)`);
});
