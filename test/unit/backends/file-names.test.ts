import t, { type Test } from 'tap';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSegment, encodeSegment, FileBackend } from '../../../src/backends/file/index.js';
import type { WwatpError } from '../../../src/tree/errors.js';
import { TreeNode } from '../../../src/tree/tree-node.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-file-names-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every path below `dir`, relative, sorted. */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

const ENCODINGS: Array<[string, string]> = [
  ['lion', 'lion'],
  ['%', '%25'],
  ['50%25', '50%2525'],
  ['.hidden', '%2Ehidden'],
  ['...', '%2E.%2E'],
  ['x.', 'x%2E'],
  ['a:b', 'a%3Ab'],
  ['back\\slash', 'back%5Cslash'],
  ['p|q', 'p%7Cq'],
  ['say"hi"', 'say%22hi%22'],
  ['<tag>', '%3Ctag%3E'],
  ['a b', 'a%20b'],
  ['bell\u0007', 'bell%07'],
  ['CON', '%43ON'],
  ['nul.txt', '%6Eul.txt'],
  ['com1', '%63om1'],
  ['x.node.yaml', 'x%2Enode.yaml'],
  ['X.NODE.YAML', 'X%2ENODE.YAML'],
  ['中文🌳', '中文🌳'],
  ['e\u0301té', 'e\u0301té'],
];

t.test('segments encode to safe file names and decode back', async (t) => {
  for (const [segment, name] of ENCODINGS) {
    t.equal(encodeSegment(segment), name, `encode ${JSON.stringify(segment)}`);
    t.equal(decodeSegment(name), segment, `decode ${JSON.stringify(name)}`);
    t.notOk(name.startsWith('.') || name.endsWith('.') || name.includes('/'), `${name} is a plain file name`);
  }
});

t.test('names the backend would not write decode to nothing', async (t) => {
  for (const name of ['%2e', '%41', '%zz', '50%', '.x', 'x.', '', 'a%2Fb', 'CON']) {
    t.equal(decodeSegment(name), undefined, JSON.stringify(name));
  }
});

t.test('unsafe segment names round trip through files and a restart', async (t) => {
  const dir = await tempDir(t);
  const labels = [
    ...ENCODINGS.map(([segment]) => segment).filter((s) => !/[\s\p{Cc}]/u.test(s)),
    '%/child',
    'x',
    'x/inner',
    'x.node.yaml/inner',
    'CON/aux',
    '.hidden/..deeper/...',
  ];
  const nodes = labels.map((label, i) => {
    const node = new TreeNode({ labelRule: label, description: `node ${i} at ${label}` });
    node.insertProperty('index', 'int64', i);
    return node;
  });
  const backend = await FileBackend.open({ dir, watch: false });
  t.ok(await backend.upsertNode(nodes));
  for (const label of labels) t.ok(existsSync(backend.pathOf(label)), `file for ${JSON.stringify(label)}`);
  t.ok(existsSync(join(dir, 'x.node.yaml')) && existsSync(join(dir, 'x%2Enode.yaml.node.yaml')), 'x and x.node.yaml have separate files');
  t.ok(existsSync(join(dir, 'x', 'inner.node.yaml')) && existsSync(join(dir, 'x%2Enode.yaml', 'inner.node.yaml')), 'and separate directories');
  const names = await listing(dir);
  t.notOk(
    names.some((path) => path.split('/').some((part) => part.startsWith('.'))),
    'no hidden names on disk',
  );
  await backend.close();

  const reopened = await FileBackend.open({ dir, watch: false });
  t.teardown(() => reopened.close());
  t.same((await reopened.getFullTree()).map((n) => n.labelRule).sort(), [...labels].sort());
  for (const node of nodes) t.ok((await reopened.getNode(node.labelRule))?.equals(node), `${JSON.stringify(node.labelRule)} reads back equal`);
});

t.test('a segment too long for a file name is refused and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const backend = await FileBackend.open({ dir, watch: false });
  t.teardown(() => backend.close());
  const ok = new TreeNode({ labelRule: 'ok' });
  await t.rejects(backend.upsertNode([ok, new TreeNode({ labelRule: `long/${'a'.repeat(250)}` })]), { code: 'INVALID_LABEL' });
  await t.rejects(backend.upsertNode([new TreeNode({ labelRule: '%'.repeat(84) })]), { code: 'INVALID_LABEL' }, 'the limit counts encoded bytes');
  t.equal(await backend.getNode('ok'), undefined);
  t.same(await listing(dir), []);
  t.ok(await backend.upsertNode([new TreeNode({ labelRule: 'a'.repeat(245) })]), 'a name exactly at the limit is fine');
});

t.test('files whose names are not label segments are reported and skipped', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'fine.node.yaml'), 'description: fine\n');
  await writeFile(join(dir, 'a b.node.yaml'), 'description: space\n');
  await writeFile(join(dir, 'lower%2e.node.yaml'), 'description: lowercase escape\n');
  await writeFile(join(dir, '.swap.node.yaml'), 'description: hidden\n');
  await writeFile(join(dir, 'README.md'), '# not a node\n');
  const errors: Array<{ code: string; path: string }> = [];
  const backend = await FileBackend.open({ dir, watch: false, onError: (error: WwatpError, path) => errors.push({ code: error.code, path }) });
  t.teardown(() => backend.close());
  t.same((await backend.getFullTree()).map((n) => n.labelRule), ['fine']);
  t.same(
    errors.sort((a, b) => a.path.localeCompare(b.path)),
    [
      { code: 'INVALID_LABEL', path: join(dir, 'a b.node.yaml') },
      { code: 'INVALID_LABEL', path: join(dir, 'lower%2e.node.yaml') },
    ],
    'hidden files and other files are ignored silently',
  );
});
