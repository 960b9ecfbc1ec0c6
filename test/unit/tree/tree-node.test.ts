import t from 'tap';
import { TreeNode, WwatpError } from '../../../src/tree/index.js';

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
  t.throws(() => node.insertProperty('x', 'nope', 1), (e: unknown) => e instanceof WwatpError && e.code === 'INVALID_PROPERTY');
});
