import t, { type Test } from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { YamlMediator } from '../../../src/frontends/yaml-mediator/index.js';
import { treeToYaml, yamlToTree } from '../../../src/tree/codecs/yaml-tree.js';
import type { WwatpError } from '../../../src/tree/errors.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes, animalSubtree, TEST_BED_SIZE } from '../../conformance/animals.js';

/** A SimpleBackend that counts the writes made to it. */
class CountingBackend extends SimpleBackend {
  writes = 0;
  override async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.writes++;
    return super.upsertNode(nodes);
  }
  override async deleteNode(label: string): Promise<boolean> {
    this.writes++;
    return super.deleteNode(label);
  }
}

const DOC = { label: 'docs/zoo', property: 'tree' };

interface Pair {
  tree: CountingBackend;
  yaml: CountingBackend;
  mediator: YamlMediator;
  errors: Array<{ code: string; where: string }>;
  /** The document as the YAML backend holds it. */
  doc(): Promise<string | undefined>;
  /** Writes a document into the YAML node as a person (or another program) would. */
  edit(text: string): Promise<void>;
}

async function pair(t: Test, seedTree = true): Promise<Pair> {
  const tree = new CountingBackend();
  const yaml = new CountingBackend();
  if (seedTree) await tree.upsertNode(animalNodes());
  const errors: Pair['errors'] = [];
  const mediator = new YamlMediator(tree, yaml, { ...DOC, onError: (error: WwatpError, where) => errors.push({ code: error.code, where }) });
  t.teardown(() => mediator.stop());
  const doc = async (): Promise<string | undefined> => (await yaml.getNode(DOC.label))?.getProperty(DOC.property) as string | undefined;
  const edit = async (text: string): Promise<void> => {
    const node = (await yaml.getNode(DOC.label)) ?? new TreeNode({ labelRule: DOC.label });
    if (node.hasProperty(DOC.property)) node.setProperty(DOC.property, text);
    else node.insertProperty(DOC.property, 'string', text);
    await yaml.upsertNode([node]);
  };
  return { tree, yaml, mediator, errors, doc, edit };
}

async function sameTree(t: Test, backend: SimpleBackend, expected: readonly TreeNode[], what: string): Promise<void> {
  const full = await backend.getFullTree();
  t.equal(full.length, expected.length, `${what}: ${expected.length} nodes`);
  t.ok(
    expected.every((node) => full.some((n) => n.equals(node))),
    `${what}: every node equal`,
  );
}

t.test('start writes a missing document from the tree', async (t) => {
  const { mediator, doc, tree, yaml } = await pair(t);
  await mediator.start();
  t.equal(await doc(), treeToYaml(animalNodes()));
  t.equal(yamlToTree((await doc()) ?? '').length, TEST_BED_SIZE);
  t.equal(yaml.writes, 1, 'one write of the YAML node');
  await mediator.settled();
  t.equal(tree.writes, 1, 'the tree is only read (its one write is the test bed)');
  t.equal(mediator.where, 'docs/zoo#tree');
});

t.test('start fills a blank document from the tree', async (t) => {
  const { mediator, doc, edit, errors } = await pair(t);
  await edit('  \n');
  await mediator.start();
  t.equal(await doc(), treeToYaml(animalNodes()));
  t.same(errors, []);
});

t.test('start: an existing document wins over the tree', async (t) => {
  const { mediator, tree, edit } = await pair(t);
  const wanted = animalNodes().filter((n) => !animalSubtree('parrot').includes(n.labelRule));
  (wanted[0] as TreeNode).description = 'Edited king';
  wanted.push(new TreeNode({ labelRule: 'tiger', description: 'Striped' }));
  await edit(treeToYaml(wanted));
  await mediator.start();
  await mediator.settled();
  await sameTree(t, tree, wanted, 'tree after start');
});

t.test('one tree change causes exactly one YAML write and no tree writes', async (t) => {
  const { mediator, tree, yaml, doc } = await pair(t);
  await mediator.start();
  await mediator.settled();
  tree.writes = 0;
  yaml.writes = 0;
  await tree.upsertNode([new TreeNode({ labelRule: 'lion/Simba', description: 'Grown up' })]);
  await mediator.settled();
  t.equal(yaml.writes, 1, 'one YAML write');
  t.equal(tree.writes, 1, 'no tree write besides the change itself');
  t.match(await doc(), /Simba:\n {6}description: Grown up\n/);
  await tree.deleteNode('elephant');
  await mediator.settled();
  t.equal(yaml.writes, 2, 'a subtree delete: one more YAML write');
  t.equal(tree.writes, 2);
  t.notMatch(await doc(), /^elephant:/m, 'the elephant mapping is gone');
  const many = Array.from({ length: 50 }, (_, i) => new TreeNode({ labelRule: `bulk/n${i}` }));
  for (const node of many) void tree.upsertNode([node]);
  await mediator.settled();
  t.ok(yaml.writes <= 4, `50 quick changes merged into ${yaml.writes - 2} writes`);
  t.equal(yamlToTree((await doc()) ?? '').length, TEST_BED_SIZE - 9 + 50);
});

t.test('a YAML edit applies only the difference to the tree, without echo', async (t) => {
  const { mediator, tree, yaml, doc, edit } = await pair(t);
  await mediator.start();
  await mediator.settled();
  const events: Array<[string, string | null]> = [];
  tree.registerNodeListener('watch', '', true, (_b, label, node) => events.push([label, node ? node.description : null]));
  tree.writes = 0;
  yaml.writes = 0;
  const nodes = yamlToTree((await doc()) ?? '').filter((n) => !animalSubtree('parrot').includes(n.labelRule));
  const simba = nodes.find((n) => n.labelRule === 'lion/Simba') as TreeNode;
  simba.description = 'Edited in YAML';
  nodes.push(new TreeNode({ labelRule: 'tiger', description: 'Added in YAML' }));
  const text = treeToYaml(nodes);
  await edit(text);
  await mediator.settled();
  t.same(events.filter(([, d]) => d !== null).sort(), [['lion/Simba', 'Edited in YAML'], ['tiger', 'Added in YAML']], 'only the changed and new nodes were written');
  t.same(events.filter(([, d]) => d === null).map(([l]) => l).sort(), animalSubtree('parrot').sort(), 'the dropped subtree was deleted');
  t.equal(tree.writes, 2, 'one delete and one upsert');
  t.equal(yaml.writes, 1, 'the edit itself; nothing written back');
  t.equal(await doc(), text);
  await sameTree(t, tree, nodes, 'tree after the edit');
});

t.test('a hand-formatted document is taken in without being rewritten', async (t) => {
  const { mediator, tree, yaml, doc, edit } = await pair(t, false);
  await mediator.start();
  await mediator.settled();
  const text = '# my zoo\nlion: { description: "Big cat", popularity.int64: 10 }\nmeerkat:\n  description: Small\n';
  yaml.writes = 0;
  await edit(text);
  await mediator.settled();
  t.equal(yaml.writes, 1, 'only the edit');
  t.equal(await doc(), text, "the person's formatting and comment stay");
  t.equal((await tree.getNode('lion'))?.getProperty('popularity'), 10n);
  t.equal((await tree.getNode('meerkat'))?.description, 'Small');
});

t.test('a malformed document is reported, leaves the tree alone, and the next valid edit syncs', async (t) => {
  const { mediator, tree, doc, edit, errors } = await pair(t);
  await mediator.start();
  await mediator.settled();
  const before = await tree.getFullTree();
  await edit('lion: [unclosed\n');
  await mediator.settled();
  t.same(errors, [{ code: 'MALFORMED', where: 'docs/zoo#tree' }]);
  await edit('lion:\n  description: x\n  popularity.int64: lots\n');
  await mediator.settled();
  t.same(errors[1], { code: 'TYPE_MISMATCH', where: 'docs/zoo#tree' });
  await tree.upsertNode([new TreeNode({ labelRule: 'panda', description: 'Added while the document was broken' })]);
  await mediator.settled();
  t.equal(await doc(), 'lion:\n  description: x\n  popularity.int64: lots\n', 'the broken edit is not overwritten');
  t.equal(errors.length, 2, 'the same broken text is reported once');
  const after = await tree.getFullTree();
  t.ok(before.every((n) => after.some((m) => m.equals(n))), 'the tree kept every node');
  await edit('');
  await mediator.settled();
  t.same(errors[2], { code: 'MALFORMED', where: 'docs/zoo#tree' }, 'a blank document counts as malformed, not as an empty tree');
  t.equal(await doc(), '', 'and is not written over');
  await edit('lion:\n  description: Fixed\n  popularity.int64: 12\n');
  await mediator.settled();
  t.equal((await tree.getNode('lion'))?.description, 'Fixed');
  t.equal(await tree.getNode('elephant'), undefined, 'the valid document wins');
  t.ok(await tree.getNode('panda'), 'the tree change made meanwhile survives');
  t.match(await doc(), /panda:\n {2}description: Added while the document was broken/, 'and is written back');
});

t.test('a deleted YAML node is written again from the tree; stop ends syncing', async (t) => {
  const { mediator, tree, yaml, doc } = await pair(t);
  await mediator.start();
  await yaml.deleteNode(DOC.label);
  await mediator.settled();
  t.equal(await doc(), treeToYaml(await tree.getFullTree()));
  await mediator.stop();
  await tree.upsertNode([new TreeNode({ labelRule: 'late', description: 'after stop' })]);
  await mediator.settled();
  t.notMatch(await doc(), /late/);
});

t.test('the document must be a string property and not inside the tree itself', async (t) => {
  const { mediator, yaml, errors, tree } = await pair(t);
  const node = new TreeNode({ labelRule: DOC.label });
  node.insertProperty(DOC.property, 'int64', 1);
  await yaml.upsertNode([node]);
  await mediator.start();
  t.same(errors, [{ code: 'TYPE_MISMATCH', where: 'docs/zoo#tree' }]);
  t.throws(() => new YamlMediator(tree, tree, DOC), { code: 'UNSUPPORTED' });
  t.throws(() => new YamlMediator(tree, yaml, { label: 'bad label', property: 'p' }), { code: 'INVALID_LABEL' });
});
