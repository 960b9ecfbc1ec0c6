import t from 'tap';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { nodeFromJson, nodeToJson } from '../../../src/tree/codecs/json-node.js';

t.test('nodes round trip through their JSON form', async (t) => {
  const node = new TreeNode({ labelRule: 'lion', description: 'King', childNames: ['Simba'], version: { versionNumber: 3, authors: 'people' }, qaSequence: 'qa/lion' });
  node.insertProperty('popularity', 'int64', 2n ** 62n);
  node.insertProperty('photo', 'Image', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 255));
  node.insertProperty('seen', 'datetime', new Date('2026-01-02T03:04:05.006Z'));
  node.insertProperty('tags', 'List', ['big', 'cat']);
  node.insertProperty('ok', 'bool', true);
  const json = JSON.parse(JSON.stringify(nodeToJson(node)));
  t.equal(json.properties[0].value, (2n ** 62n).toString(), 'bigints as decimal text');
  t.equal(json.properties[1].value, 'iVBORwD/', 'bytes as base64');
  t.ok(nodeFromJson(json).equals(node));
});

t.test('bad JSON nodes are MALFORMED or typed errors', async (t) => {
  t.throws(() => nodeFromJson([]), { code: 'MALFORMED' });
  t.throws(() => nodeFromJson({ description: 'no label' }), { code: 'MALFORMED' });
  t.throws(() => nodeFromJson({ label: 'a', properties: {} }), { code: 'MALFORMED' });
  t.throws(() => nodeFromJson({ label: 'a', properties: [{ name: 'x', type: 'bytes', value: '***' }] }), { code: 'MALFORMED' });
  t.throws(() => nodeFromJson({ label: 'a', properties: [{ name: 'x', type: 'int64', value: 'ten' }] }), { code: 'TYPE_MISMATCH' });
  t.throws(() => nodeFromJson({ label: 'a b' }), { code: 'INVALID_LABEL' });
});
