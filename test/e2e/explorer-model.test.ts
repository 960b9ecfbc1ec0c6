/**
 * The explorer's logic without a browser: how values are read and typed, what the URL
 * says, how a branch's children are ordered, and the writes the explorer makes (against
 * SimpleBackend). The browser tests (explorer*.test.ts) cover the page itself.
 */
import t from 'tap';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { animalNodes } from '../conformance/animals.js';
import { describeError } from '../../web/explorer/errors.js';
import { hashToLabel, labelToHash, transportFromSearch } from '../../web/explorer/location.js';
import { addProperty, createChild, deleteNodeAndName, setDescription, setPropertyValue } from '../../web/explorer/node-edits.js';
import { loadChildren, looksLikeBranch, orderEntries } from '../../web/explorer/tree-model.js';
import { cssOf } from '../../web/explorer/tree-style.js';
import { editorKind, hexPreview, imageMime, inputText, parseInput, toLocalInput, valueKey } from '../../web/explorer/values.js';
import { TINY_GIF, makePng } from './fixtures/png.js';

async function animals(): Promise<SimpleBackend> {
  const backend = new SimpleBackend();
  await backend.upsertNode(animalNodes());
  return backend;
}

t.test('images are recognised by their signature, whatever the property type', async (t) => {
  t.equal(imageMime(makePng(2, 2, () => [0, 0, 0])), 'image/png');
  t.equal(imageMime(TINY_GIF), 'image/gif');
  t.equal(imageMime(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0)), 'image/jpeg');
  t.equal(imageMime(new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ')), 'image/webp');
  t.equal(imageMime(new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WAVE')), undefined, 'RIFF alone is not WebP');
  t.equal(imageMime(Uint8Array.of(0x89, 0x50)), undefined, 'a cut-off signature is not an image');
  t.equal(imageMime(new Uint8Array(0)), undefined);
  t.equal(hexPreview(Uint8Array.of(0, 15, 255)), '00 0f ff');
  t.equal(hexPreview(new Uint8Array(5), 2), '00 00 …');
});

t.test('each type gets its input, and typed text becomes its value', async (t) => {
  t.same(['int64', 'Int', 'uint64', 'double', 'Float', 'bool', 'string', 'Callback', 'json', 'List', 'yaml', 'Datetime', 'Image', 'bytes', 'Removed'].map(editorKind), ['integer', 'integer', 'integer', 'number', 'number', 'bool', 'text', 'choice', 'json', 'json', 'yaml', 'datetime', 'file', 'file', 'none']);
  t.throws(() => editorKind('Nope'), { code: 'INVALID_PROPERTY' });
  t.equal(parseInput('int64', ' 12 '), '12', 'integers stay text so 64-bit values keep every digit');
  t.equal(parseInput('double', '1.5'), 1.5);
  t.equal(parseInput('double', 'abc'), 'abc', 'not a number: passed on for the codec to refuse');
  t.same(parseInput('json', '{"a":[1,2]}'), { a: [1, 2] });
  t.throws(() => parseInput('json', '{a:'), { code: 'TYPE_MISMATCH' });
  t.same(parseInput('yaml', 'a: 1\nb: [x]'), { a: 1, b: ['x'] });
  t.throws(() => parseInput('yaml', 'a: [1'), { code: 'TYPE_MISMATCH' });
  t.equal(parseInput('bool', true), true);
  const local = parseInput('datetime', '2024-05-06T07:08:09.250');
  t.ok(local instanceof Date && local.getTime() === new Date(2024, 4, 6, 7, 8, 9, 250).getTime(), 'datetime-local is the viewer’s local time');
  const when = new Date(2024, 0, 2, 3, 4, 5, 6);
  t.equal(toLocalInput(when), '2024-01-02T03:04:05.006');
  t.equal(inputText('Datetime', when), '2024-01-02T03:04:05.006', 'a datetime round-trips through its input');
  t.equal(inputText('json', { a: 1 }), '{\n  "a": 1\n}');
  t.equal(inputText('int64', 2n ** 62n), '4611686018427387904');

  // The tree's own codecs refuse what the inputs cannot: that error is what the page shows.
  const node = new TreeNode({ labelRule: 'x' });
  node.insertProperty('n', 'int64', 1);
  t.throws(() => node.setProperty('n', parseInput('int64', 'many')), { code: 'TYPE_MISMATCH' });
  node.setProperty('n', parseInput('int64', '-9223372036854775808'));
  t.equal(node.getProperty('n'), -(2n ** 63n));
});

t.test('value keys change exactly when values do', async (t) => {
  t.equal(valueKey('bytes', Uint8Array.of(1, 2)), valueKey('bytes', Uint8Array.of(1, 2)));
  t.not(valueKey('bytes', Uint8Array.of(1, 2)), valueKey('bytes', Uint8Array.of(2, 1)));
  t.not(valueKey('int64', 1n), valueKey('double', 1));
  t.equal(valueKey('datetime', new Date(5)), valueKey('datetime', new Date(5)));
  t.not(valueKey('json', { a: 1 }), valueKey('json', { a: 2 }));
});

t.test('the hash holds the selected label; ?transport= picks the transport', async (t) => {
  for (const label of ['lion', 'lion/Simba/note0', 'a%b/ü#1', 'x/y z?']) t.equal(hashToLabel(labelToHash(label)), label, `round trip ${label}`);
  t.equal(labelToHash('a#b/c'), '#a%23b/c', 'one segment at a time, slashes kept readable');
  t.equal(labelToHash(''), '');
  t.equal(hashToLabel('#'), '');
  t.equal(hashToLabel('#/lion//Simba/'), 'lion/Simba', 'stray slashes are dropped');
  t.equal(hashToLabel('#bad%zz'), 'bad%zz', 'a malformed escape is taken literally');
  t.equal(transportFromSearch('?transport=websocket'), 'websocket');
  t.equal(transportFromSearch('?transport=webtransport'), 'webtransport');
  t.equal(transportFromSearch('?transport=carrier-pigeon'), 'auto');
  t.equal(transportFromSearch(''), 'auto');
});

t.test('children: child-name order, links, placeholders, then unlisted nodes', async (t) => {
  const backend = await animals();
  const lion = await backend.getNode('lion');
  t.same((await loadChildren(backend, 'lion', lion)).map((e) => [e.kind, e.label]), [['node', 'lion/Simba'], ['node', 'lion/Nala']]);
  t.same((await loadChildren(backend, '', undefined)).map((e) => e.label), ['elephant', 'lion', 'notes', 'parrot'], 'the top level, sorted');
  const notes = await loadChildren(backend, 'notes', await backend.getNode('notes'));
  t.equal(notes.length, 18);
  t.ok(notes.every((e) => e.kind === 'link' && e.node !== undefined), 'links resolve to their nodes through getPageTree');

  // A listed name with no node, and a node nobody lists (a mount, a careless writer).
  await backend.upsertNode([new TreeNode({ labelRule: 'lion/Scar', description: 'unlisted' })]);
  const parent = new TreeNode({ labelRule: 'lion', childNames: ['Nala', 'Ghost', 'Simba', '/parrot'] });
  const entries = orderEntries('lion', parent.childNames, await backend.queryNodes('lion/*'), await backend.getPageTree('lion'));
  t.same(entries.map((e) => [e.kind, e.label]), [['node', 'lion/Nala'], ['placeholder', 'lion/Ghost'], ['node', 'lion/Simba'], ['link', 'parrot'], ['node', 'lion/Scar']]);
  t.same(entries.map(looksLikeBranch), [true, true, true, false, false], 'nodes with child names and placeholders look like branches');
});

t.test('edits re-read the node, keep others’ changes, and refuse conflicting ones', async (t) => {
  const backend = await animals();
  const after = await setDescription(backend, 'lion', 'King of the jungle', 'Queen of the savanna');
  t.equal(after.version.versionNumber, 1, 'each edit moves the version on');
  t.equal((await backend.getNode('lion'))?.description, 'Queen of the savanna');
  await t.rejects(setDescription(backend, 'lion', 'King of the jungle', 'again'), { code: 'VERSION_CONFLICT' }, 'the description changed since it was seen');

  // Another writer changes diet; our popularity edit keeps their diet.
  const other = (await backend.getNode('lion')) as TreeNode;
  other.setProperty('diet', 'meat');
  await backend.upsertNode([other]);
  await setPropertyValue(backend, 'lion', 'popularity', valueKey('int64', 10n), '11');
  const lion = (await backend.getNode('lion')) as TreeNode;
  t.equal(lion.getProperty('popularity'), 11n);
  t.equal(lion.getProperty('diet'), 'meat', 'the other writer’s change survives');
  await t.rejects(setPropertyValue(backend, 'lion', 'diet', valueKey('string', 'carnivore'), 'grass'), { code: 'VERSION_CONFLICT' });
  await t.rejects(setPropertyValue(backend, 'lion', 'popularity', valueKey('int64', 11n), 'lots'), { code: 'TYPE_MISMATCH' });
  t.equal((await backend.getNode('lion'))?.getProperty('popularity'), 11n, 'a refused edit writes nothing');
  await t.rejects(setPropertyValue(backend, 'lion', 'missing', '', 1), { code: 'VERSION_CONFLICT' }, 'a property that went away is a conflict too');
  await addProperty(backend, 'lion', ' mane ', 'bool', true);
  t.equal((await backend.getNode('lion'))?.getProperty('mane'), true, 'names are trimmed');
  await t.rejects(addProperty(backend, 'lion', 'mane', 'bool', false), { code: 'ALREADY_EXISTS' });
  await t.rejects(addProperty(backend, 'lion', 'when', 'datetime', 'not a date'), { code: 'TYPE_MISMATCH' });
  await t.rejects(setDescription(backend, 'ghost', '', 'x'), { code: 'NOT_FOUND' });
});

t.test('creating and deleting keep the parent’s child names right', async (t) => {
  const backend = await animals();
  t.equal(await createChild(backend, 'lion', ' Kovu ', 'adopted'), 'lion/Kovu');
  t.same((await backend.getNode('lion'))?.childNames, ['Simba', 'Nala', 'Kovu']);
  t.equal((await backend.getNode('lion'))?.version.versionNumber, 1);
  await t.rejects(createChild(backend, 'lion', 'Kovu', ''), { code: 'ALREADY_EXISTS' });
  await t.rejects(createChild(backend, 'lion', 'a/b', ''), { code: 'INVALID_LABEL' });
  await t.rejects(createChild(backend, 'lion', 'a b', ''), { code: 'INVALID_LABEL' });
  await t.rejects(createChild(backend, 'lion', '..', ''), { code: 'INVALID_LABEL' });
  t.equal(await createChild(backend, '', 'zebra', 'striped'), 'zebra', 'top level: no parent to update');
  t.equal(await createChild(backend, 'ghost', 'child', ''), 'ghost/child', 'under a label with no node of its own');

  await deleteNodeAndName(backend, 'lion/Kovu');
  t.equal(await backend.getNode('lion/Kovu'), undefined);
  t.same((await backend.getNode('lion'))?.childNames, ['Simba', 'Nala']);
  await deleteNodeAndName(backend, 'lion/Simba');
  t.equal((await backend.queryNodes('lion/Simba/**')).length, 0, 'descendants go too');
  await t.rejects(deleteNodeAndName(backend, 'lion/Simba'), { code: 'NOT_FOUND' });
});

t.test('CSS from the tree: only a string property named css counts', async (t) => {
  const style = new TreeNode({ labelRule: 'explorer/style' });
  t.equal(cssOf(undefined), '');
  t.equal(cssOf(style), '');
  style.insertProperty('css', 'string', 'body { color: red }');
  t.equal(cssOf(style), 'body { color: red }');
  const wrong = new TreeNode({ labelRule: 'explorer/style' });
  wrong.insertProperty('css', 'int64', 1);
  t.equal(cssOf(wrong), '');
});

t.test('errors show their code first, whatever threw them', async (t) => {
  t.same(describeError(Object.assign(new Error('bad rule'), { code: 'INVALID_RULE' })), { code: 'INVALID_RULE', message: 'bad rule' });
  t.same(describeError(new Error('plain')), { code: 'ERROR', message: 'plain' });
  t.same(describeError('text'), { code: 'ERROR', message: 'text' });
});
