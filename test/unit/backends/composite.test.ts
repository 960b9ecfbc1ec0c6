import t from 'tap';
import { CompositeBackend } from '../../../src/backends/composite-backend.js';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes } from '../../conformance/animals.js';
import type { TreeNode as Node } from '../../../src/tree/tree-node.js';

const labels = (nodes: Node[]): string[] => nodes.map((n) => n.labelRule).sort();

async function twoMounts(): Promise<{ c: CompositeBackend; root: SimpleBackend; zoo: SimpleBackend; museum: SimpleBackend }> {
  const root = new SimpleBackend();
  const zoo = new SimpleBackend();
  const museum = new SimpleBackend();
  const c = new CompositeBackend(root);
  await c.mountBackend('zoo', zoo);
  await c.mountBackend('museum/', museum);
  return { c, root, zoo, museum };
}

t.test('labels are shortened going in and prefixed coming out, links too', async (t) => {
  const { c, zoo } = await twoMounts();
  await c.upsertNode(animalNodes('zoo'));
  t.ok(await zoo.getNode('lion'), 'stored under the short label');
  t.same((await zoo.getNode('notes'))?.childNames.slice(0, 1), ['lion/Simba/note0']);
  t.same((await c.getNode('zoo/notes'))?.childNames.slice(0, 1), ['zoo/lion/Simba/note0']);
  t.equal((await c.getPageTree('zoo/notes')).length, 18);
});

t.test('mounting refuses existing, overlapping and occupied labels', async (t) => {
  const { c, root } = await twoMounts();
  await t.rejects(c.mountBackend('zoo', new SimpleBackend()), { code: 'MOUNT_CONFLICT' });
  await t.rejects(c.mountBackend('zoo/cage', new SimpleBackend()), { code: 'MOUNT_CONFLICT' });
  await t.rejects(c.mountBackend('museum/x/y', new SimpleBackend()), { code: 'MOUNT_CONFLICT' });
  await root.upsertNode([new TreeNode({ labelRule: 'farm/cow' })]);
  await t.rejects(c.mountBackend('farm', new SimpleBackend()), { code: 'MOUNT_CONFLICT' });
  await c.upsertNode([new TreeNode({ labelRule: 'zoo', description: 'the mount point lives in the root' })]);
  t.equal((await root.getNode('zoo'))?.description, 'the mount point lives in the root');
  t.same(c.mounts, ['zoo', 'museum']);
});

t.test('queries, full tree and listeners span the mounts', async (t) => {
  const { c } = await twoMounts();
  const events: string[] = [];
  c.registerNodeListener('all', '', true, (_b, label) => events.push(label));
  c.registerNodeListener('lions', '*/lion', false, (_b, label) => events.push(`lion:${label}`));
  await c.upsertNode([...animalNodes('zoo'), ...animalNodes('museum'), new TreeNode({ labelRule: 'lion', description: 'root lion' })]);
  await c.processNotifications();
  t.equal(events.filter((e) => !e.startsWith('lion:')).length, 57);
  t.same(events.filter((e) => e.startsWith('lion:')).sort(), ['lion:museum/lion', 'lion:zoo/lion']);
  t.same(labels(await c.queryNodes('*/lion')), ['museum/lion', 'zoo/lion']);
  t.same(labels(await c.queryNodes('zoo/*/Simba')), ['zoo/lion/Simba']);
  t.equal((await c.queryNodes('**/note0')).length, 12);
  t.equal((await c.getFullTree()).length, 57);
  c.deregisterNodeListener('all', '');
  c.deregisterNodeListener('lions', '*/lion');
  await c.deleteNode('zoo/lion');
  t.equal(events.length, 59, 'silent after deregistering');
});

t.test('a transaction spanning two mounts is refused and writes nothing', async (t) => {
  const { c } = await twoMounts();
  const tx = [
    { parent: { priorVersion: undefined, label: 'zoo/a', node: new TreeNode({ labelRule: 'zoo/a' }) }, children: [] },
    { parent: { priorVersion: undefined, label: 'museum/b', node: new TreeNode({ labelRule: 'museum/b' }) }, children: [] },
  ];
  await t.rejects(c.applyTransaction(tx), { code: 'CROSS_MOUNT' });
  t.equal(await c.getNode('zoo/a'), undefined);
  t.equal(await c.applyTransaction([tx[0] as (typeof tx)[0]]), true);
  t.ok(await c.getNode('zoo/a'));
});

t.test('a link leaving a mount is refused before anything is written', async (t) => {
  const { c } = await twoMounts();
  const ok = new TreeNode({ labelRule: 'zoo/ok' });
  const bad = new TreeNode({ labelRule: 'zoo/bad', childNames: ['museum/lion'] });
  await t.rejects(c.upsertNode([ok, bad]), { code: 'INVALID_LABEL' });
  t.equal(await c.getNode('zoo/ok'), undefined);
});

t.test('deleting above a mount empties it; unmount detaches', async (t) => {
  const { c, zoo } = await twoMounts();
  await c.upsertNode(animalNodes('zoo'));
  t.equal(await c.deleteNode('zoo'), true);
  t.equal(zoo.size, 0);
  t.ok(c.unmountBackend('zoo'));
  t.notOk(c.unmountBackend('zoo'));
  await c.upsertNode([new TreeNode({ labelRule: 'zoo/lion' })]);
  t.equal(zoo.size, 0, 'writes now go to the root');
});
