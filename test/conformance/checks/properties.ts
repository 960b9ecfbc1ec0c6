import type { Ctx, TestFn } from '../context.js';
import { expectedRead, prng, randomNode } from '../random.js';

export function propertyChecks(t: TestFn, ctx: Ctx): void {
  t.test(`${ctx.opts.propertyCases} random nodes round trip with every property type`, async (t) => {
    const { backend } = await ctx.fresh(t);
    const rand = prng(0x5eed);
    let mismatches = 0;
    const cases = Array.from({ length: ctx.opts.propertyCases }, (_, i) => randomNode(rand, ctx.at(`props/n${i}`)));
    for (let i = 0; i < cases.length; i += 25) await backend.upsertNode(cases.slice(i, i + 25).map((c) => c.node));
    for (const { node, values } of cases) {
      const got = await backend.getNode(node.labelRule);
      if (!got?.equals(node)) {
        mismatches++;
        t.fail(`${node.labelRule} differs after the round trip`);
        continue;
      }
      for (const [name, value] of values) {
        const type = got.getPropertyType(name) as string;
        t.same(got.getProperty(name), expectedRead(type, value), `${node.labelRule} ${name}`);
      }
    }
    t.equal(mismatches, 0);
  });
}
