import t, { type Test } from 'tap';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../../src/backends/file/index.js';
import type { WwatpError } from '../../../src/tree/errors.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes } from '../../conformance/animals.js';

type Event = [label: string, description: string | null];

interface Bed {
  dir: string;
  backend: FileBackend;
  events: Event[];
  errors: Array<{ code: string; path: string }>;
}

/** A watched backend over a fresh directory holding the animal test bed, recording every event and error. */
async function bed(t: Test, watch: boolean | 'poll' = true): Promise<Bed> {
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-file-watch-'));
  const errors: Bed['errors'] = [];
  const backend = await FileBackend.open({ dir, watch, pollIntervalMs: 50, onError: (error: WwatpError, path) => errors.push({ code: error.code, path }) });
  await backend.upsertNode(animalNodes());
  const events: Event[] = [];
  backend.registerNodeListener('all', '', true, (_b, label, node) => events.push([label, node ? node.description : null]));
  t.teardown(async () => {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, backend, events, errors };
}

/** Polls until `done()` holds; returns the milliseconds it took, or fails after `limitMs`. */
async function until(done: () => boolean, limitMs = 3000): Promise<number> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - start;
}

const settle = (ms = 250): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('a hand edit fires the listener with the new description within a second', async (t) => {
  const { dir, backend, events } = await bed(t);
  const path = join(dir, 'lion', 'Simba.node.yaml');
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.replace("Simba the lion's dossier", 'Simba, edited by hand'));
  const ms = await until(() => events.length > 0);
  t.ok(ms < 1000, `seen after ${ms} ms`);
  t.same(events, [['lion/Simba', 'Simba, edited by hand']]);
  t.equal((await backend.getNode('lion/Simba'))?.description, 'Simba, edited by hand');
  await backend.processNotifications();
  await settle();
  t.equal(events.length, 1, 'one edit, one event');
});

t.test('a deleted file fires the listener with undefined; files below it stay', async (t) => {
  const { dir, backend, events } = await bed(t);
  await rm(join(dir, 'lion.node.yaml'));
  await until(() => events.length > 0);
  t.same(events, [['lion', null]]);
  t.equal(await backend.getNode('lion'), undefined);
  t.equal((await backend.getNode('lion/Simba'))?.description, "Simba the lion's dossier");
});

t.test('removing a directory by hand removes every node in it', async (t) => {
  const { dir, backend, events } = await bed(t);
  await rm(join(dir, 'parrot'), { recursive: true });
  await until(() => events.length >= 8);
  await backend.processNotifications();
  t.same(
    events.map(([label, d]) => [label, d]).sort(),
    ['Jerome', 'Jerome/note0', 'Jerome/note1', 'Jerome/note2', 'Polly', 'Polly/note0', 'Polly/note1', 'Polly/note2'].map((l) => [`parrot/${l}`, null]).sort(),
  );
  t.equal((await backend.getNode('parrot'))?.description, 'Colorful bird', 'the node whose file stayed is kept');
});

t.test('malformed edits are reported, keep the last good state, and a later valid edit applies', async (t) => {
  const { dir, backend, events, errors } = await bed(t);
  const path = join(dir, 'lion.node.yaml');
  const good = await readFile(path, 'utf8');
  await writeFile(path, 'description: [unclosed\n');
  await until(() => errors.length === 1);
  t.same(errors, [{ code: 'MALFORMED', path }]);
  await writeFile(path, good.replace('popularity.int64: 10', 'popularity.int64: ten'));
  await until(() => errors.length === 2);
  t.same(errors[1], { code: 'TYPE_MISMATCH', path });
  await writeFile(path, 'description: fine\nno_dot_key: 1\n');
  await until(() => errors.length === 3);
  t.same(errors[2], { code: 'MALFORMED', path }, 'an unknown key is malformed');
  const lion = await backend.getNode('lion');
  t.ok(lion?.equals(animalNodes()[0] as TreeNode), 'the node kept its last good state');
  t.same(events, [], 'no listener fired for a bad edit');
  await writeFile(path, good.replace('popularity.int64: 10', 'popularity.int64: 11'));
  await until(() => events.length > 0);
  t.same(events, [['lion', 'King of the jungle']]);
  t.equal((await backend.getNode('lion'))?.getProperty('popularity'), 11n);
  t.equal(errors.length, 3);
});

t.test('files and directories created by hand become nodes', async (t) => {
  const { dir, backend, events } = await bed(t);
  await writeFile(join(dir, 'tiger.node.yaml'), 'description: Striped\nstripes.int64: 80\nchild_names: [cub]\n');
  await mkdir(join(dir, 'tiger'));
  await writeFile(join(dir, 'tiger', 'cub.node.yaml'), 'description: Small\n');
  await mkdir(join(dir, 'tiger', 'cub', 'toys'), { recursive: true });
  await writeFile(join(dir, 'tiger', 'cub', 'toys', 'ball.node.yaml'), 'description: Red ball\n');
  await until(() => events.length >= 3);
  await backend.processNotifications();
  t.same(events.sort(), [
    ['tiger', 'Striped'],
    ['tiger/cub', 'Small'],
    ['tiger/cub/toys/ball', 'Red ball'],
  ]);
  t.equal((await backend.getNode('tiger'))?.getProperty('stripes'), 80n);
  t.same((await backend.getPageTree('tiger')).map((n) => n.labelRule), ['tiger/cub']);
  await writeFile(join(dir, 'tiger', 'cub', 'toys', 'ball.node.yaml'), 'description: Blue ball\n');
  await until(() => events.length >= 4);
  t.same(events.at(-1), ['tiger/cub/toys/ball', 'Blue ball'], 'the new directory is watched too');
});

t.test('a directory deleted and made again is watched again', async (t) => {
  const { dir, backend, events } = await bed(t);
  const simba = join(dir, 'lion', 'Simba');
  await rm(simba, { recursive: true });
  await mkdir(simba);
  await writeFile(join(simba, 'note9.node.yaml'), 'description: first\n');
  await until(() => events.some(([label]) => label === 'lion/Simba/note9'));
  await backend.processNotifications();
  t.same(events.sort(), [['lion/Simba/note0', null], ['lion/Simba/note1', null], ['lion/Simba/note2', null], ['lion/Simba/note9', 'first']]);
  await writeFile(join(simba, 'note9.node.yaml'), 'description: second\n');
  await until(() => events.length === 5);
  t.same(events.at(-1), ['lion/Simba/note9', 'second'], 'an edit in the new directory is seen');
});

t.test('an editor-style save (new file renamed over the old) is seen', async (t) => {
  const { dir, backend, events } = await bed(t);
  const path = join(dir, 'elephant', 'Dumbo.node.yaml');
  const text = await readFile(path, 'utf8');
  await writeFile(`${path}.swp~`, text.replace('dossier', 'file'));
  await rename(`${path}.swp~`, path);
  await until(() => events.length > 0);
  t.same(events, [['elephant/Dumbo', "Dumbo the elephant's file"]]);
  t.equal((await backend.getNode('elephant/Dumbo'))?.description, "Dumbo the elephant's file");
});

t.test("the backend's own writes do not come back as events", async (t) => {
  const { backend, events, errors } = await bed(t);
  await backend.upsertNode([new TreeNode({ labelRule: 'lion/Simba', description: 'own write' }), new TreeNode({ labelRule: 'zebra/foal', description: 'new dir' })]);
  await backend.deleteNode('parrot/Polly');
  t.equal(events.length, 6, 'two upserts and four deletes, announced once each');
  await settle();
  await backend.processNotifications();
  t.equal(events.length, 6, 'no echo from the disk events of those writes');
  t.same(errors, []);
});

t.test('without watching, hand edits show up only after reopening', async (t) => {
  const { dir, backend, events } = await bed(t, false);
  const path = join(dir, 'parrot.node.yaml');
  await writeFile(path, (await readFile(path, 'utf8')).replace('Colorful bird', 'Loud bird'));
  await settle();
  await backend.processNotifications();
  t.same(events, []);
  t.equal((await backend.getNode('parrot'))?.description, 'Colorful bird');
  const reopened = await FileBackend.open({ dir, watch: false });
  t.teardown(() => reopened.close());
  t.equal((await reopened.getNode('parrot'))?.description, 'Loud bird');
});

t.test('polling instead of watching sees edits, deletions and new directories, without echo', async (t) => {
  const { dir, backend, events, errors } = await bed(t, 'poll');
  await backend.upsertNode([new TreeNode({ labelRule: 'lion', description: 'own write' })]);
  t.equal(events.length, 1);
  const path = join(dir, 'lion', 'Nala.node.yaml');
  await writeFile(path, (await readFile(path, 'utf8')).replace('dossier', 'polled file'));
  await rm(join(dir, 'parrot', 'Jerome.node.yaml'));
  await mkdir(join(dir, 'owl'));
  await writeFile(join(dir, 'owl', 'Hedwig.node.yaml'), 'description: Snowy\n');
  const ms = await until(() => events.length >= 4);
  t.ok(ms < 1000, `seen after ${ms} ms`);
  await settle(200);
  t.same(events.slice(1).sort(), [
    ['lion/Nala', "Nala the lion's polled file"],
    ['owl/Hedwig', 'Snowy'],
    ['parrot/Jerome', null],
  ]);
  t.same(errors, []);
});
