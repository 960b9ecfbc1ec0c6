import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import type { WwatpError } from '../../../src/tree/errors.js';

/** Writes node files by hand, opens the directory, and returns what loaded and what was reported. */
async function load(t: Test, files: Record<string, string>): Promise<{ backend: FileBackend; errors: Array<{ code: string; file: string; message: string }> }> {
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-file-format-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const errors: Array<{ code: string; file: string; message: string }> = [];
  const backend = await FileBackend.open({ dir, watch: false, onError: (error: WwatpError, path) => errors.push({ code: error.code, file: path.slice(dir.length + 1), message: error.message }) });
  t.teardown(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { backend, errors };
}


t.test('hand-written files may use comments, flow style, CRLF, a BOM and one leading ---', async (t) => {
  const { backend, errors } = await load(t, {
    'comment.node.yaml': '# a note for people\ndescription: Commented   # trailing comment\n',
    'flow.node.yaml': '{ description: Flow, size.uint64: 18446744073709551615, tags.List: [a, 1] }\n',
    'crlf.node.yaml': 'description: Windows\r\ntext.string: |\r\n  two\r\n  lines\r\n',
    'bom.node.yaml': '\uFEFFdescription: Marked\n',
    'marker.node.yaml': '---\ndescription: Started\nversion:\n  number: 7\n',
    'empty-map.node.yaml': '{}\n',
  });
  t.same(errors, []);
  t.equal((await backend.getNode('comment'))?.description, 'Commented');
  const flow = await backend.getNode('flow');
  t.equal(flow?.getProperty('size'), 18446744073709551615n);
  t.same(flow?.getProperty('tags'), ['a', 1]);
  t.equal((await backend.getNode('crlf'))?.getProperty('text'), 'two\nlines\n');
  t.equal((await backend.getNode('bom'))?.description, 'Marked');
  t.equal((await backend.getNode('marker'))?.version.versionNumber, 7);
  t.equal((await backend.getNode('empty-map'))?.description, '', 'an empty mapping is a node with default fields');
});

t.test('files that are not one node mapping are reported with the right code and line', async (t) => {
  const { backend, errors } = await load(t, {
    'directive.node.yaml': '%YAML 1.2\n---\ndescription: x\n',
    'two-docs.node.yaml': 'description: one\n---\ndescription: two\n',
    'children.node.yaml': 'description: x\nchildren:\n  kid:\n    description: y\n',
    'scalar.node.yaml': 'just text\n',
    'empty.node.yaml': '',
    'bad-type.node.yaml': 'description: x\ncount.int64: 1.5\n',
    'unknown-type.node.yaml': 'description: x\ncount.integer: 1\n',
    'syntax.node.yaml': 'description: fine\nkey: value: bad\n',
  });
  const byFile = Object.fromEntries(errors.map((e) => [e.file, e.code]));
  t.same(byFile, {
    'directive.node.yaml': 'MALFORMED',
    'two-docs.node.yaml': 'MALFORMED',
    'children.node.yaml': 'MALFORMED',
    'scalar.node.yaml': 'MALFORMED',
    'empty.node.yaml': 'MALFORMED',
    'bad-type.node.yaml': 'TYPE_MISMATCH',
    'unknown-type.node.yaml': 'INVALID_PROPERTY',
    'syntax.node.yaml': 'MALFORMED',
  });
  t.same(await backend.getFullTree(), [], 'none of them loaded');
  const syntax = errors.find((e) => e.file === 'syntax.node.yaml');
  t.match(syntax?.message, /^node "syntax": .*at line 2, column 6/, 'names the node, and the line and column in the file');
  t.match(errors.find((e) => e.file === 'bad-type.node.yaml')?.message, /^node "bad-type": property "count"/);
});
