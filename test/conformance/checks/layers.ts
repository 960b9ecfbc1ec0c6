import { TreeNode } from '../../../src/tree/tree-node.js';
import type { Ctx, TestFn } from '../context.js';

export function layerChecks(t: TestFn, ctx: Ctx): void {
  if (!ctx.opts.transactionLayers) {
    t.test('opening a transaction layer is refused as UNSUPPORTED', async (t) => {
      const { backend } = await ctx.fresh(t);
      await t.rejects(backend.openTransactionLayer(new TreeNode({ labelRule: ctx.at('x') })), { code: 'UNSUPPORTED' });
      t.equal(await backend.closeTransactionLayers(), true, 'closing with nothing open applies nothing');
    });
    return;
  }

  t.test('staged layers are visible, then applied whole on close', async (t) => {
    const { backend } = await ctx.loaded(t);
    const lion = await backend.getNode(ctx.at('lion'));
    if (!lion) throw new Error('lion missing');
    lion.description = 'staged lion';
    await backend.openTransactionLayer(lion);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion/Kiara'), description: 'staged cub' })]);
    await backend.deleteNode(ctx.at('lion/Nala/note2'));
    t.equal((await backend.getNode(ctx.at('lion/Kiara')))?.description, 'staged cub', 'staged write visible');
    t.equal(await backend.getNode(ctx.at('lion/Nala/note2')), undefined, 'staged delete visible');
    t.equal(await backend.closeTransactionLayers(), true);
    const after = await backend.getNode(ctx.at('lion'));
    t.equal(after?.description, 'staged lion');
    t.equal(after?.version.versionNumber, 1, 'the parent moved one version on');
    t.equal((await backend.getNode(ctx.at('lion/Kiara')))?.description, 'staged cub');
    t.equal(await backend.getNode(ctx.at('lion/Nala/note2')), undefined);
    t.equal(await backend.closeTransactionLayers(), true, 'closing with nothing open is a no-op');
  });

  t.test('a layer whose base changed underneath is rejected whole', async (t) => {
    const target = await ctx.loaded(t);
    const { backend } = target;
    const lion = await backend.getNode(ctx.at('lion'));
    if (!lion) throw new Error('lion missing');
    await backend.openTransactionLayer(lion);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion/Simba'), description: 'staged', version: { versionNumber: 1 } })]);
    // Another writer changes Simba before the layer closes.
    const other = target.peer ?? undefined;
    if (other) {
      await other.upsertNode([new TreeNode({ labelRule: ctx.at('lion/Simba'), description: 'concurrent', version: { versionNumber: 5 } })]);
      t.equal(await backend.closeTransactionLayers(), false, 'rejected');
      t.equal((await backend.getNode(ctx.at('lion/Simba')))?.description, 'concurrent');
      t.equal((await backend.getNode(ctx.at('lion')))?.version.versionNumber, 0, 'parent untouched');
    } else {
      t.equal(await backend.closeTransactionLayers(), true);
    }
  });

  t.test('nested layers apply as one transaction', async (t) => {
    const { backend } = await ctx.loaded(t);
    const lion = await backend.getNode(ctx.at('lion'));
    const parrot = await backend.getNode(ctx.at('parrot'));
    if (!lion || !parrot) throw new Error('test bed missing');
    await backend.openTransactionLayer(lion);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion/L1'), description: 'one' })]);
    await backend.openTransactionLayer(parrot);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('parrot/P1'), description: 'two' })]);
    t.equal(await backend.closeTransactionLayers(), true);
    t.ok(await backend.getNode(ctx.at('lion/L1')));
    t.ok(await backend.getNode(ctx.at('parrot/P1')));
    t.equal((await backend.getNode(ctx.at('parrot')))?.version.versionNumber, 1);
  });
}
