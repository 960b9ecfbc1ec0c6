import type { Ctx, TestFn } from '../context.js';
import { labelsOf, mountPointsOf } from '../context.js';

export function queryChecks(t: TestFn, ctx: Ctx): void {
  t.test('label rules select by exact label, * and **', async (t) => {
    const { backend } = await ctx.loaded(t);
    const q = async (rule: string): Promise<string[]> => labelsOf(await backend.queryNodes(ctx.at(rule))).sort();
    const sorted = (labels: string[]): string[] => labels.map(ctx.at).sort();
    t.same(await q('lion'), sorted(['lion']));
    t.same(await q('tiger'), []);
    t.same(await q('lion/*'), sorted(['lion/Simba', 'lion/Nala']));
    t.same(await q('*/Simba/*'), sorted(['lion/Simba/note0', 'lion/Simba/note1', 'lion/Simba/note2']));
    t.same((await q('lion/**')).length, 8, 'lion/** is everything below lion');
    t.same(await q('**/note0'), sorted(['lion/Simba/note0', 'lion/Nala/note0', 'elephant/Dumbo/note0', 'elephant/Babar/note0', 'parrot/Polly/note0', 'parrot/Jerome/note0']));
    t.same(await q('parrot/**/note2'), sorted(['parrot/Polly/note2', 'parrot/Jerome/note2']));
    t.same(await q('lion/Nala/note*'), sorted(['lion/Nala/note0', 'lion/Nala/note1', 'lion/Nala/note2']));
    t.same(await q('*/*/note9'), []);
    if (ctx.opts.prefix === '') {
      const points = mountPointsOf(backend);
      t.same(labelsOf(await backend.queryNodes('*')).sort(), ['elephant', 'lion', 'notes', 'parrot', ...points.filter((p) => !p.includes('/'))].sort());
      t.equal((await backend.queryNodes('**')).length, 28 + points.length);
    }
    for (const point of mountPointsOf(backend)) {
      t.ok(await backend.getNode(point), `the mount point ${point} reads as a node`);
      t.same(labelsOf(await backend.queryNodes(point)), [point], `an exact rule finds the mount point ${point}`);
    }
    const lion = await backend.getNode(ctx.at('lion'));
    if (!lion) throw new Error('lion missing');
    t.same(labelsOf(await backend.relativeQueryNodes(lion, '*/note1')).sort(), sorted(['lion/Simba/note1', 'lion/Nala/note1']));
  });

  t.test('bad rules are INVALID_RULE', async (t) => {
    const { backend } = await ctx.fresh(t);
    for (const rule of ['a//b', 'a/../b', 'a b', 'a/**x', '\u0000']) {
      await t.rejects(backend.queryNodes(ctx.at(rule)), { code: 'INVALID_RULE' }, JSON.stringify(rule));
    }
  });
}
