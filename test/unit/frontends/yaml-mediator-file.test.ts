import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { FileDocument, YamlMediator } from '../../../src/frontends/yaml-mediator/index.js';
import { treeToYaml, yamlToTree } from '../../../src/tree/codecs/yaml-tree.js';
import type { WwatpError } from '../../../src/tree/errors.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes, animalSubtree } from '../../conformance/animals.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-yaml-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function until(done: () => boolean | Promise<boolean>, limitMs = 3000): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

const pause = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A YAML file that counts the mediator's writes to it. */
class CountingFile extends FileDocument {
  writes = 0;
  override async write(text: string): Promise<void> {
    this.writes++;
    await super.write(text);
  }
}

interface Setup {
  tree: SimpleBackend;
  path: string;
  mediator: YamlMediator;
  errors: Array<{ code: string; where: string }>;
}

async function setup(t: Test, existing?: string): Promise<Setup> {
  const dir = await tempDir(t);
  // A missing file goes in a directory that does not exist yet either.
  const path = existing === undefined ? join(dir, 'sub', 'zoo.yaml') : join(dir, 'zoo.yaml');
  if (existing !== undefined) await writeFile(path, existing);
  const tree = new SimpleBackend();
  await tree.upsertNode(animalNodes());
  const errors: Setup['errors'] = [];
  const mediator = YamlMediator.forFile(tree, path, { onError: (error: WwatpError, where) => errors.push({ code: error.code, where }) });
  t.teardown(() => mediator.stop());
  await mediator.start();
  return { tree, path, mediator, errors };
}

t.test('forFile writes the tree into a new file, atomically', async (t) => {
  const { path } = await setup(t);
  t.equal(await readFile(path, 'utf8'), treeToYaml(animalNodes()));
  t.same(await readdir(join(path, '..')), ['zoo.yaml'], 'no temp file left beside it');
});

t.test('an existing file wins at start', async (t) => {
  const { tree } = await setup(t, 'lion:\n  description: Only lion\n');
  t.same((await tree.getFullTree()).map((n) => n.labelRule), ['lion']);
  t.equal((await tree.getNode('lion'))?.description, 'Only lion');
});

t.test('editing the file updates the tree within a second, and the file is not rewritten', async (t) => {
  const { tree, path } = await setup(t);
  const events: string[] = [];
  tree.registerNodeListener('watch', '', true, (_b, label) => events.push(label));
  const nodes = yamlToTree(await readFile(path, 'utf8')).filter((n) => !animalSubtree('elephant').includes(n.labelRule));
  (nodes.find((n) => n.labelRule === 'parrot') as TreeNode).description = 'Edited in the file';
  const text = `# edited by hand\n${treeToYaml(nodes)}`;
  await writeFile(path, text);
  const ms = await until(async () => (await tree.getNode('parrot'))?.description === 'Edited in the file');
  t.ok(ms < 1000, `synced after ${ms} ms`);
  t.equal(await tree.getNode('elephant'), undefined);
  await pause();
  t.equal(events.filter((l) => !l.startsWith('elephant')).join(), 'parrot', 'only the changed node was written');
  t.equal(await readFile(path, 'utf8'), text, 'the edited file stays as the person wrote it');
});

t.test('a tree change rewrites the file exactly once, with no echo into the tree', async (t) => {
  const dir = await tempDir(t);
  const tree = new SimpleBackend();
  await tree.upsertNode(animalNodes());
  const file = new CountingFile(join(dir, 'zoo.yaml'));
  const mediator = new YamlMediator(tree, file);
  t.teardown(() => mediator.stop());
  await mediator.start();
  t.equal(file.writes, 1);
  const events: string[] = [];
  tree.registerNodeListener('watch', '', true, (_b, label) => events.push(label));
  await tree.upsertNode([new TreeNode({ labelRule: 'lion/Kiara', description: 'New cub' })]);
  await until(async () => (await readFile(join(dir, 'zoo.yaml'), 'utf8')).includes('New cub'));
  await pause();
  await mediator.settled();
  t.equal(file.writes, 2, 'one more write for the one change');
  t.same(events, ['lion/Kiara'], 'the file event of that write changed nothing in the tree');
});

t.test('a malformed file is reported and changes nothing; fixing it syncs', async (t) => {
  const { tree, path, errors } = await setup(t);
  await writeFile(path, 'lion: [broken\n');
  await until(() => errors.length > 0);
  t.same(errors, [{ code: 'MALFORMED', where: path }]);
  t.equal((await tree.getFullTree()).length, animalNodes().length);
  await writeFile(path, 'lion:\n  description: Repaired\n');
  await until(async () => (await tree.getNode('lion'))?.description === 'Repaired');
  t.same((await tree.getFullTree()).map((n) => n.labelRule), ['lion']);
});

t.test('a deleted file is written again from the tree', async (t) => {
  const { path } = await setup(t);
  await rm(path);
  await until(() => existsSync(path));
  t.equal(await readFile(path, 'utf8'), treeToYaml(animalNodes()));
});

t.test('a FileBackend tree and a YAML file stay in sync through hand edits on both', async (t) => {
  const dir = await tempDir(t);
  const backend = await FileBackend.open({ dir: join(dir, 'tree') });
  await backend.upsertNode(animalNodes());
  const yamlPath = join(dir, 'zoo.yaml');
  const mediator = YamlMediator.forFile(backend, yamlPath);
  t.teardown(async () => {
    await mediator.stop();
    await backend.close();
  });
  await mediator.start();
  const nodeFile = join(dir, 'tree', 'lion.node.yaml');
  await writeFile(nodeFile, (await readFile(nodeFile, 'utf8')).replace('King of the jungle', 'Edited node file'));
  await until(async () => (await readFile(yamlPath, 'utf8')).includes('Edited node file'));
  const yaml = await readFile(yamlPath, 'utf8');
  await writeFile(yamlPath, yaml.replace("Simba the lion's dossier", 'Edited YAML file'));
  await until(async () => (await backend.getNode('lion/Simba'))?.description === 'Edited YAML file');
  t.match(await readFile(join(dir, 'tree', 'lion', 'Simba.node.yaml'), 'utf8'), /^description: Edited YAML file\n/, 'the node file holds the edit');
  t.equal((await backend.getNode('lion'))?.description, 'Edited node file');
});
