import { TreeNode } from '../../../src/tree/tree-node.js';
import type { Ctx, TestFn } from '../context.js';
import { recorder } from '../context.js';

export function listenerChecks(t: TestFn, ctx: Ctx): void {
  t.test('a listener without childNotify fires for its label only', async (t) => {
    const { backend } = await ctx.loaded(t);
    const rec = recorder();
    backend.registerNodeListener('watch-lion', ctx.at('lion'), false, rec.listener);
    const lion = await backend.getNode(ctx.at('lion'));
    if (!lion) throw new Error('lion missing');
    lion.description = 'Still king';
    await backend.upsertNode([lion, new TreeNode({ labelRule: ctx.at('lion/Simba'), description: 'grown up' })]);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lionel'), description: 'not a lion' })]);
    await backend.processNotifications();
    t.same(rec.events, [[ctx.at('lion'), 'Still king']]);
    await backend.deleteNode(ctx.at('lion'));
    await backend.processNotifications();
    t.same(rec.events.at(-1), [ctx.at('lion'), null], 'delete notifies with nothing');
    t.equal(rec.events.length, 2, 'descendants removed with lion do not fire a non-childNotify listener');
    backend.deregisterNodeListener('watch-lion', ctx.at('lion'));
    await backend.upsertNode([lion]);
    await backend.processNotifications();
    t.equal(rec.events.length, 2, 'silent after deregistering');
  });

  t.test('childNotify covers descendants on segment boundaries only', async (t) => {
    const { backend } = await ctx.loaded(t);
    const rec = recorder();
    backend.registerNodeListener('lion-tree', ctx.at('lion'), true, rec.listener);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion/Simba/note0'), description: 'n0' })]);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lionel'), description: 'x' })]);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion'), description: 'L' })]);
    await backend.processNotifications();
    t.same(rec.events, [
      [ctx.at('lion/Simba/note0'), 'n0'],
      [ctx.at('lion'), 'L'],
    ]);
    rec.events.length = 0;
    await backend.deleteNode(ctx.at('lion/Nala'));
    await backend.processNotifications();
    t.same(
      rec.events.map(([l, d]) => [l, d]).sort(),
      ['lion/Nala', 'lion/Nala/note0', 'lion/Nala/note1', 'lion/Nala/note2'].map((l) => [ctx.at(l), null]).sort(),
      'deleting a subtree notifies every removed node',
    );
  });

  t.test('a listener on the root with childNotify sees everything', async (t) => {
    const { backend } = await ctx.fresh(t);
    const rec = recorder();
    backend.registerNodeListener('all', '', true, rec.listener);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('a'), description: 'A' }), new TreeNode({ labelRule: ctx.at('b/c'), description: 'C' })]);
    await backend.processNotifications();
    t.same(rec.events, [
      [ctx.at('a'), 'A'],
      [ctx.at('b/c'), 'C'],
    ]);
  });

  t.test('wildcard listener rules and several listeners on one label all fire', async (t) => {
    const { backend } = await ctx.loaded(t);
    const star = recorder();
    const deep = recorder();
    const twin = recorder();
    backend.registerNodeListener('star', ctx.at('*/Simba'), false, star.listener);
    backend.registerNodeListener('deep', ctx.at('**/note1'), false, deep.listener);
    backend.registerNodeListener('twin', ctx.at('lion/Simba'), false, twin.listener);
    backend.registerNodeListener('twin2', ctx.at('lion/Simba'), false, twin.listener);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion/Simba'), description: 'S' })]);
    await backend.upsertNode([new TreeNode({ labelRule: ctx.at('parrot/Polly/note1'), description: 'P1' })]);
    await backend.processNotifications();
    t.same(star.events, [[ctx.at('lion/Simba'), 'S']]);
    t.same(deep.events, [[ctx.at('parrot/Polly/note1'), 'P1']]);
    t.equal(twin.events.length, 2, 'both listeners on one label fired');
  });

  t.test('notifyListeners fires matching listeners without writing', async (t) => {
    const { backend } = await ctx.loaded(t);
    const rec = recorder();
    backend.registerNodeListener('n', ctx.at('parrot'), true, rec.listener);
    backend.notifyListeners(ctx.at('parrot/Polly'), new TreeNode({ labelRule: ctx.at('parrot/Polly'), description: 'poke' }));
    backend.notifyListeners(ctx.at('lion'), undefined);
    await backend.processNotifications();
    t.same(rec.events, [[ctx.at('parrot/Polly'), 'poke']]);
    t.equal((await backend.getNode(ctx.at('parrot/Polly')))?.description, "Polly the parrot's dossier", 'nothing written');
  });

  t.test('a throwing listener does not break the write or other listeners', async (t) => {
    const { backend } = await ctx.fresh(t);
    const rec = recorder();
    const errors = console.error;
    console.error = () => {};
    t.teardown(() => {
      console.error = errors;
    });
    backend.registerNodeListener('boom', ctx.at('x'), false, () => {
      throw new Error('listener failure');
    });
    backend.registerNodeListener('ok', ctx.at('x'), false, rec.listener);
    t.equal(await backend.upsertNode([new TreeNode({ labelRule: ctx.at('x'), description: 'X' })]), true);
    await backend.processNotifications();
    t.same(rec.events, [[ctx.at('x'), 'X']]);
    t.equal((await backend.getNode(ctx.at('x')))?.description, 'X');
  });

  t.test('a peer sees writes made through the other view', async (t) => {
    const target = await ctx.loaded(t);
    const peer = target.peer;
    if (!peer) {
      t.pass('this target has no second view');
      return;
    }
    const rec = recorder();
    peer.registerNodeListener('peer', ctx.at('lion'), false, rec.listener);
    // A remote view's registration travels to the server; processNotifications() returns
    // once it is in place. Without it, a write on another connection may get there first.
    await peer.processNotifications();
    await target.backend.upsertNode([new TreeNode({ labelRule: ctx.at('lion'), description: 'from the first view' })]);
    await target.backend.processNotifications();
    await peer.processNotifications();
    t.same(rec.events, [[ctx.at('lion'), 'from the first view']]);
    t.equal((await peer.getNode(ctx.at('lion')))?.description, 'from the first view');
    peer.deregisterNodeListener('peer', ctx.at('lion'));
    await target.backend.deleteNode(ctx.at('lion'));
    await target.backend.processNotifications();
    await peer.processNotifications();
    t.equal(rec.events.length, 1, 'silent after deregistering');
  });
}
