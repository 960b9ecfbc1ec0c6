import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes, noteLabels, TEST_BED_SIZE } from '../../conformance/animals.js';
import { prng, randomNode } from '../../conformance/random.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-file-disk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(t: Test, dir: string): Promise<FileBackend> {
  const backend = await FileBackend.open({ dir, watch: false });
  t.teardown(() => backend.close());
  return backend;
}

/** Every path below `dir` with its text (directories as null), for before/after comparisons. */
async function snapshot(dir: string): Promise<Array<[string, string | null]>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: Array<[string, string | null]> = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    out.push([path.slice(dir.length + 1), entry.isDirectory() ? null : await readFile(path, 'utf8')]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

t.test('node files are YAML a person can read, children in a directory', async (t) => {
  const dir = await tempDir(t);
  const backend = await open(t, dir);
  await backend.upsertNode(animalNodes());
  t.equal(
    await readFile(join(dir, 'lion.node.yaml'), 'utf8'),
    'description: King of the jungle\npopularity.int64: 10\ndiet.string: carnivore\nchild_names:\n  - Simba\n  - Nala\n',
  );
  t.equal(await readFile(join(dir, 'lion', 'Simba', 'note1.node.yaml'), 'utf8'), 'description: Simba\'s note 1\ntext.string: "Simba note 1: observed observed "\n');
  const names = (await snapshot(dir)).map(([path]) => path);
  t.equal(names.filter((p) => p.endsWith('.node.yaml')).length, TEST_BED_SIZE, 'one file per node');
  t.same(
    names.filter((p) => !p.endsWith('.node.yaml')),
    ['elephant', 'elephant/Babar', 'elephant/Dumbo', 'lion', 'lion/Nala', 'lion/Simba', 'parrot', 'parrot/Jerome', 'parrot/Polly'],
    'one directory per node with children',
  );
});

t.test('the tree survives a restart intact', async (t) => {
  const dir = await tempDir(t);
  const first = await FileBackend.open({ dir, watch: false });
  const rand = prng(7);
  const nodes = [...animalNodes(), ...Array.from({ length: 60 }, (_, i) => randomNode(rand, `random/n${i}`).node)];
  const versioned = new TreeNode({ labelRule: 'versioned', description: 'v', version: { versionNumber: 41, maxVersionSequence: 1000, policy: 'strict', authors: 'people/ann', collisionDepth: 2 }, queryHowTo: 'ask', qaSequence: 'q/a' });
  nodes.push(versioned);
  await first.upsertNode(nodes);
  await first.deleteNode('parrot/Polly');
  await first.close();
  await t.rejects(first.upsertNode([versioned]), { code: 'CLOSED' }, 'a closed backend refuses writes');

  const again = await open(t, dir);
  const expected = nodes.filter((n) => !n.labelRule.startsWith('parrot/Polly'));
  const full = await again.getFullTree();
  t.equal(full.length, expected.length);
  for (const node of expected) t.ok((await again.getNode(node.labelRule))?.equals(node), `${node.labelRule} intact`);
  const seen = new Set<string>();
  for (const node of full) {
    const parent = node.labelRule.split('/').slice(0, -1).join('/');
    if (parent !== '' && full.some((n) => n.labelRule === parent)) t.ok(seen.has(parent), `${node.labelRule} after its parent`);
    seen.add(node.labelRule);
  }
  t.same(
    (await again.getPageTree('notes')).map((n) => n.labelRule),
    noteLabels().filter((l) => !l.startsWith('parrot/Polly')),
  );
  t.same((await again.queryNodes('lion/*')).map((n) => n.labelRule).sort(), ['lion/Nala', 'lion/Simba']);
});

t.test('deleting a subtree removes its files and emptied directories only', async (t) => {
  const dir = await tempDir(t);
  const backend = await open(t, dir);
  await backend.upsertNode([...animalNodes(), new TreeNode({ labelRule: 'deep/er/still/leaf' })]);
  await writeFile(join(dir, 'elephant', 'Dumbo', 'README.txt'), 'a person left this here\n');
  t.equal(await backend.deleteNode('lion'), true);
  t.notOk(existsSync(join(dir, 'lion.node.yaml')));
  t.notOk(existsSync(join(dir, 'lion')), 'the children directory is gone');
  t.equal(await backend.deleteNode('elephant'), true);
  t.same(await readdir(join(dir, 'elephant', 'Dumbo')), ['README.txt'], 'a foreign file keeps its directory');
  t.notOk(existsSync(join(dir, 'elephant.node.yaml')));
  t.equal(await backend.deleteNode('deep/er/still/leaf'), true);
  t.notOk(existsSync(join(dir, 'deep')), 'placeholder directories emptied by the delete go too');
  t.same((await backend.getFullTree()).map((n) => n.labelRule).sort(), ['notes', 'parrot', 'parrot/Jerome', 'parrot/Jerome/note0', 'parrot/Jerome/note1', 'parrot/Jerome/note2', 'parrot/Polly', 'parrot/Polly/note0', 'parrot/Polly/note1', 'parrot/Polly/note2']);
});

t.test('writes leave no temp files, and leftovers of a crash are never read as nodes', async (t) => {
  const dir = await tempDir(t);
  const backend = await FileBackend.open({ dir, watch: false });
  await backend.upsertNode(animalNodes());
  await backend.upsertNode([new TreeNode({ labelRule: 'lion', description: 'rewritten' })]);
  t.notOk((await snapshot(dir)).some(([path]) => path.includes('.wwatp-tmp-')), 'no temp files after writes');
  await backend.close();
  // A crash between writing a temp file and renaming it leaves the temp file behind.
  await writeFile(join(dir, 'lion', '.wwatp-tmp-1234-abcdef'), 'description: half-finished\n');
  const again = await open(t, dir);
  t.equal((await again.getFullTree()).length, TEST_BED_SIZE);
  t.equal((await again.getNode('lion'))?.description, 'rewritten');
});

t.test('a write the disk refuses part-way is undone and changes nothing', async (t) => {
  const dir = await tempDir(t);
  const backend = await open(t, dir);
  await backend.upsertNode([new TreeNode({ labelRule: 'kept', description: 'before' })]);
  // A plain file where `blocked/` must become a directory makes the third write fail.
  await writeFile(join(dir, 'blocked'), 'in the way\n');
  const before = await snapshot(dir);
  const batch = [new TreeNode({ labelRule: 'fresh', description: 'new' }), new TreeNode({ labelRule: 'kept', description: 'after' }), new TreeNode({ labelRule: 'blocked/child' })];
  await t.rejects(backend.upsertNode(batch), { code: 'STORAGE' });
  t.same(await snapshot(dir), before, 'the files are as they were');
  t.equal(await backend.getNode('fresh'), undefined);
  t.equal((await backend.getNode('kept'))?.description, 'before', 'memory is as it was');
  await mkdir(join(dir, 'elsewhere'));
  t.ok(await backend.upsertNode([new TreeNode({ labelRule: 'elsewhere/child' })]), 'later writes work, into an existing directory too');
});

t.test('a rejected transaction touches no file; an accepted one writes all', async (t) => {
  const dir = await tempDir(t);
  const backend = await open(t, dir);
  await backend.upsertNode(animalNodes());
  const before = await snapshot(dir);
  const lion = (v: number, d: string): TreeNode => new TreeNode({ labelRule: 'lion', description: d, version: { versionNumber: v } });
  t.equal(await backend.applyTransaction([{ parent: { priorVersion: 3, label: 'lion', node: lion(4, 'stale') }, children: [] }]), false);
  t.same(await snapshot(dir), before);
  const tx = [{ parent: { priorVersion: 0, label: 'lion', node: lion(1, 'moved on') }, children: [{ priorVersion: undefined, label: 'lion/Nala', node: undefined }, { priorVersion: undefined, label: 'lion/Kiara', node: new TreeNode({ labelRule: 'lion/Kiara', description: 'cub' }) }] }];
  t.equal(await backend.applyTransaction(tx), true);
  t.match(await readFile(join(dir, 'lion.node.yaml'), 'utf8'), /description: moved on\nversion:\n {2}number: 1\n/);
  t.notOk(existsSync(join(dir, 'lion', 'Nala.node.yaml')) || existsSync(join(dir, 'lion', 'Nala')), 'the deleted child and its directory are gone');
  t.ok(existsSync(join(dir, 'lion', 'Kiara.node.yaml')));
});

t.test('listeners hear the FileBackend itself as the source', async (t) => {
  const dir = await tempDir(t);
  const backend = await open(t, dir);
  const sources: unknown[] = [];
  backend.registerNodeListener('src', '', true, (source, label, node) => sources.push([source, label, node?.description]));
  await backend.upsertNode([new TreeNode({ labelRule: 'a', description: 'A' })]);
  await backend.deleteNode('a');
  t.same(sources, [
    [backend, 'a', 'A'],
    [backend, 'a', undefined],
  ]);
  t.ok(sources.every((s) => (s as unknown[])[0] === backend));
});

t.test('opening a path that is not a directory fails with STORAGE', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'plain'), 'not a directory\n');
  await t.rejects(FileBackend.open({ dir: join(dir, 'plain') }), { code: 'STORAGE' });
});
