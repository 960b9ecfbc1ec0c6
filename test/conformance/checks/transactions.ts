import { TreeNode } from '../../../src/tree/tree-node.js';
import type { Transaction } from '../../../src/backends/backend.js';
import type { Ctx, TestFn } from '../context.js';
import { recorder } from '../context.js';

export function transactionChecks(t: TestFn, ctx: Ctx): void {
  const node = (label: string, description: string, versionNumber = 0, maxVersionSequence = 256): TreeNode =>
    new TreeNode({ labelRule: ctx.at(label), description, version: { versionNumber, maxVersionSequence } });

  t.test('a fresh transaction applies whole and notifies parent and children', async (t) => {
    const { backend } = await ctx.loaded(t);
    const rec = recorder();
    backend.registerNodeListener('all', ctx.at('lion'), true, rec.listener);
    const tx: Transaction = [
      {
        parent: { priorVersion: 0, label: ctx.at('lion'), node: node('lion', 'v1', 1) },
        children: [
          { priorVersion: undefined, label: ctx.at('lion/Kiara'), node: node('lion/Kiara', 'new cub') },
          { priorVersion: 0, label: ctx.at('lion/Simba'), node: node('lion/Simba', 'updated', 1) },
          { priorVersion: undefined, label: ctx.at('lion/Nala'), node: undefined },
        ],
      },
    ];
    t.equal(await backend.applyTransaction(tx), true);
    await backend.processNotifications();
    t.equal((await backend.getNode(ctx.at('lion')))?.version.versionNumber, 1);
    t.equal((await backend.getNode(ctx.at('lion/Kiara')))?.description, 'new cub');
    t.equal((await backend.getNode(ctx.at('lion/Simba')))?.description, 'updated');
    t.equal(await backend.getNode(ctx.at('lion/Nala')), undefined, 'deleted child');
    t.equal(await backend.getNode(ctx.at('lion/Nala/note0')), undefined, "deleted child's subtree");
    const labels = rec.events.map(([l]) => l);
    for (const l of ['lion', 'lion/Kiara', 'lion/Simba', 'lion/Nala']) t.ok(labels.includes(ctx.at(l)), `${l} notified`);
  });

  t.test('a stale transaction is rejected whole', async (t) => {
    const { backend } = await ctx.loaded(t);
    const before = await backend.getFullTree();
    const cases: Array<[string, Transaction]> = [
      ['stale parent prior', [{ parent: { priorVersion: 5, label: ctx.at('lion'), node: node('lion', 'x', 6) }, children: [{ priorVersion: undefined, label: ctx.at('lion/Kiara'), node: node('lion/Kiara', 'k') }] }]],
      ['parent version not one step on', [{ parent: { priorVersion: 0, label: ctx.at('lion'), node: node('lion', 'x', 2) }, children: [] }]],
      ['missing parent with a prior', [{ parent: { priorVersion: 0, label: ctx.at('tiger'), node: node('tiger', 't', 1) }, children: [] }]],
      ['stale child', [{ parent: { priorVersion: 0, label: ctx.at('lion'), node: node('lion', 'x', 1) }, children: [{ priorVersion: 3, label: ctx.at('lion/Simba'), node: node('lion/Simba', 's', 4) }] }]],
      ['missing child with a prior', [{ parent: { priorVersion: 0, label: ctx.at('lion'), node: node('lion', 'x', 1) }, children: [{ priorVersion: 0, label: ctx.at('lion/Ghost'), node: node('lion/Ghost', 'g', 1) }] }]],
      [
        'second sub-transaction stale',
        [
          { parent: { priorVersion: 0, label: ctx.at('lion'), node: node('lion', 'x', 1) }, children: [] },
          { parent: { priorVersion: 9, label: ctx.at('parrot'), node: node('parrot', 'y', 10) }, children: [] },
        ],
      ],
    ];
    for (const [what, tx] of cases) t.equal(await backend.applyTransaction(tx), false, what);
    const after = await backend.getFullTree();
    t.equal(after.length, before.length);
    t.ok(after.every((n, i) => before[i]?.equals(n)), 'nothing written by any rejected transaction');
  });

  t.test('versions wrap at the max sequence', async (t) => {
    const { backend } = await ctx.fresh(t);
    await backend.upsertNode([node('w', 'at 254', 254, 256)]);
    t.equal(await backend.applyTransaction([{ parent: { priorVersion: 254, label: ctx.at('w'), node: node('w', 'at 255', 255) }, children: [] }]), true);
    t.equal(await backend.applyTransaction([{ parent: { priorVersion: 255, label: ctx.at('w'), node: node('w', 'wrapped', 0) }, children: [] }]), true);
    t.equal((await backend.getNode(ctx.at('w')))?.version.versionNumber, 0);
    t.equal(await backend.applyTransaction([{ parent: { priorVersion: 255, label: ctx.at('w'), node: node('w', 'stale', 0) }, children: [] }]), false);
    await backend.upsertNode([node('small', 'max 4', 3, 4)]);
    t.equal(await backend.applyTransaction([{ parent: { priorVersion: 3, label: ctx.at('small'), node: node('small', 'wrapped', 0, 4) }, children: [] }]), true);
    t.throws(() => node('w', 'too big', 256), { code: 'INVALID_NODE' }, 'a version number at max is invalid');
  });

  t.test('a transaction whose node label disagrees with its entry is refused', async (t) => {
    const { backend } = await ctx.fresh(t);
    await t.rejects(backend.applyTransaction([{ parent: { priorVersion: undefined, label: ctx.at('a'), node: node('b', 'x') }, children: [] }]), { code: 'INVALID_NODE' });
    t.equal(await backend.getNode(ctx.at('b')), undefined);
  });
}
