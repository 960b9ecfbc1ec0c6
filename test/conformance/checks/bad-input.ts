import { TreeNode } from '../../../src/tree/tree-node.js';
import type { Ctx, TestFn } from '../context.js';

export function badInputChecks(t: TestFn, ctx: Ctx): void {
  t.test('bad labels are INVALID_LABEL and write nothing', async (t) => {
    const { backend } = await ctx.fresh(t);
    for (const label of ['a b', 'a//b', 'a/./b', 'a/../b', '', 'tab\there', 'star*', 'q?x']) {
      await t.rejects(backend.getNode(label), { code: 'INVALID_LABEL' }, `getNode(${JSON.stringify(label)})`);
      await t.rejects(backend.deleteNode(label), { code: 'INVALID_LABEL' }, `deleteNode(${JSON.stringify(label)})`);
      t.throws(() => new TreeNode({ labelRule: label }), { code: 'INVALID_LABEL' }, `TreeNode(${JSON.stringify(label)})`);
    }
    t.same(await backend.getFullTree(), []);
  });

  t.test('an upsert with one bad item writes none of them', async (t) => {
    const { backend } = await ctx.fresh(t);
    const good = new TreeNode({ labelRule: ctx.at('good') });
    const notANode = { labelRule: ctx.at('fake') } as unknown as TreeNode;
    await t.rejects(backend.upsertNode([good, notANode]), { code: 'INVALID_NODE' });
    t.equal(await backend.getNode(ctx.at('good')), undefined);
    const big = new TreeNode({ labelRule: ctx.at('big') });
    big.insertProperty('blob', 'bytes', new Uint8Array(ctx.opts.maxContentBytes + 1));
    await t.rejects(backend.upsertNode([good, big]), { code: 'TOO_LARGE' });
    t.equal(await backend.getNode(ctx.at('good')), undefined);
    t.equal(await backend.getNode(ctx.at('big')), undefined);
    const fits = new TreeNode({ labelRule: ctx.at('fits') });
    fits.insertProperty('blob', 'bytes', new Uint8Array(ctx.opts.maxContentBytes - 4).fill(7));
    t.equal(await backend.upsertNode([fits]), true, 'contents exactly at the limit are accepted');
    t.equal((await backend.getNode(ctx.at('fits')))?.contentSize, ctx.opts.maxContentBytes);
  });

  t.test('bad property input is a typed error', async (t) => {
    const node = new TreeNode({ labelRule: 'x' });
    t.throws(() => node.insertProperty('p', 'no-such-type', 1), { code: 'INVALID_PROPERTY' });
    t.throws(() => node.insertProperty('p', 'int64', 'ten'), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'int64', 2n ** 63n), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'uint64', -1), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'bool', 1), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'List', { not: 'a list' }), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'Callback', 'Sometimes'), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'json', { f: () => 1 }), { code: 'TYPE_MISMATCH' });
    t.throws(() => node.insertProperty('p', 'datetime', 'not a date'), { code: 'TYPE_MISMATCH' });
    t.throws(() => new TreeNode({ labelRule: 'x', propertyInfos: [{ type: 'int64', name: 'a' }], propertyData: new Uint8Array(3) }), { code: 'MALFORMED' });
    t.throws(() => new TreeNode({ labelRule: 'x', propertyInfos: [{ type: 'string', name: 'a' }], propertyData: Uint8Array.of(9, 0, 0, 0, 1) }), { code: 'MALFORMED' });
    t.throws(() => new TreeNode({ labelRule: 'x', propertyInfos: [], propertyData: new Uint8Array(1) }), { code: 'MALFORMED' });
    t.throws(() => new TreeNode({ labelRule: 'x', propertyInfos: [{ type: 'bool', name: 'a' }, { type: 'bool', name: 'a' }], propertyData: new Uint8Array(2) }), { code: 'INVALID_PROPERTY' });
    t.throws(() => new TreeNode({ labelRule: 'x', childNames: ['a b'] }), { code: 'INVALID_LABEL' });
    t.throws(() => new TreeNode({ labelRule: 'x', version: { versionNumber: -1 } }), { code: 'INVALID_NODE' });
    t.equal(node.propertyInfos.length, 0, 'no failed insert left a property behind');
  });
}
