import type { Ctx, TestFn } from '../context.js';
import { labelsOf } from '../context.js';
import { animalNodes, animalSubtree, noteLabels, TEST_BED_SIZE } from '../animals.js';

export function testBedChecks(t: TestFn, ctx: Ctx): void {
  t.test('every node of the test bed reads back exactly', async (t) => {
    const { backend } = await ctx.loaded(t);
    const expected = animalNodes(ctx.opts.prefix);
    t.equal(expected.length, TEST_BED_SIZE);
    for (const node of expected) {
      const got = await backend.getNode(node.labelRule);
      t.ok(got?.equals(node), `${node.labelRule} equal`);
    }
    const lion = await backend.getNode(ctx.at('lion'));
    t.equal(lion?.getProperty('popularity'), 10n);
    t.equal(lion?.getProperty('diet'), 'carnivore');
    t.equal(await backend.getNode(ctx.at('tiger')), undefined, 'a missing node is undefined');
  });

  t.test('page tree keeps order and skips missing nodes', async (t) => {
    const { backend } = await ctx.loaded(t);
    t.same(labelsOf(await backend.getPageTree(ctx.at('notes'))), noteLabels(ctx.opts.prefix));
    t.same(await backend.getPageTree(ctx.at('no-such-page')), [], 'a missing page is empty');
    t.same(labelsOf(await backend.getPageTree(ctx.at('lion'))), [ctx.at('lion/Simba'), ctx.at('lion/Nala')], 'relative child names');
    const lion = await backend.getNode(ctx.at('lion'));
    t.ok(lion);
    if (lion) t.same(labelsOf(await backend.relativeGetPageTree(lion, 'Simba')), ['note0', 'note1', 'note2'].map((n) => ctx.at(`lion/Simba/${n}`)));
    await backend.deleteNode(ctx.at('parrot/Polly/note1'));
    const page = labelsOf(await backend.getPageTree(ctx.at('notes')));
    t.equal(page.length, 17);
    t.notOk(page.includes(ctx.at('parrot/Polly/note1')));
  });

  t.test('the full tree copies into a fresh backend', async (t) => {
    const { backend } = await ctx.loaded(t);
    const full = await backend.getFullTree();
    t.equal(full.length, TEST_BED_SIZE);
    const seen = new Set<string>();
    for (const node of full) {
      const parent = node.labelRule.split('/').slice(0, -1).join('/');
      if (full.some((n) => n.labelRule === parent)) t.ok(seen.has(parent), `${node.labelRule} comes after its parent`);
      seen.add(node.labelRule);
    }
    const copy = await ctx.fresh(t);
    t.ok(await copy.backend.upsertNode(full));
    for (const node of animalNodes(ctx.opts.prefix)) t.ok((await copy.backend.getNode(node.labelRule))?.equals(node), `copy of ${node.labelRule}`);
    t.same(labelsOf(await copy.backend.getPageTree(ctx.at('notes'))), noteLabels(ctx.opts.prefix));
  });

  t.test('deleting elephant removes its 9 nodes and nothing else', async (t) => {
    const { backend } = await ctx.loaded(t);
    const gone = animalSubtree('elephant', ctx.opts.prefix);
    t.equal(gone.length, 9);
    t.equal(await backend.deleteNode(ctx.at('elephant')), true);
    for (const label of gone) t.equal(await backend.getNode(label), undefined, `${label} gone`);
    const rest = animalNodes(ctx.opts.prefix).filter((n) => !gone.includes(n.labelRule));
    t.equal(rest.length, 19);
    for (const node of rest) t.ok((await backend.getNode(node.labelRule))?.equals(node), `${node.labelRule} kept`);
    t.equal((await backend.getFullTree()).length, 19);
    t.equal((await backend.getPageTree(ctx.at('notes'))).length, 12, 'links to deleted notes are skipped');
    t.equal(await backend.deleteNode(ctx.at('elephant')), false, 'deleting again reports nothing removed');
  });

  t.test('links survive the deletion of the node that lists them', async (t) => {
    const { backend } = await ctx.loaded(t);
    t.ok(await backend.deleteNode(ctx.at('notes')));
    t.equal((await backend.getFullTree()).length, TEST_BED_SIZE - 1);
    t.ok(await backend.getNode(ctx.at('lion/Simba/note0')));
  });

  t.test(`build and delete the test bed ${ctx.opts.rounds} times`, async (t) => {
    const { backend } = await ctx.fresh(t);
    const nodes = animalNodes(ctx.opts.prefix);
    let failures = 0;
    for (let round = 0; round < ctx.opts.rounds; round++) {
      await backend.upsertNode(nodes);
      if ((await backend.getPageTree(ctx.at('notes'))).length !== 18) failures++;
      for (const top of ['lion', 'elephant', 'parrot', 'notes']) await backend.deleteNode(ctx.at(top));
      if ((await backend.getFullTree()).length !== 0) failures++;
    }
    t.equal(failures, 0, 'every round built 18 notes and deleted everything');
    t.same(await backend.getFullTree(), []);
  });

  t.test('stored nodes never change through objects callers hold', async (t) => {
    const { backend } = await ctx.fresh(t);
    const [lion] = animalNodes(ctx.opts.prefix);
    if (!lion) throw new Error('test bed empty');
    await backend.upsertNode([lion]);
    lion.description = 'changed after upsert';
    lion.setProperty('popularity', 99);
    const got = await backend.getNode(ctx.at('lion'));
    t.equal(got?.description, 'King of the jungle');
    t.equal(got?.getProperty('popularity'), 10n);
    if (got) {
      got.description = 'changed after get';
      got.insertProperty('extra', 'bool', true);
      got.childNames = ['x'];
    }
    const again = await backend.getNode(ctx.at('lion'));
    t.equal(again?.description, 'King of the jungle');
    t.equal(again?.hasProperty('extra'), false);
    t.same(again?.childNames, ['Simba', 'Nala']);
    t.throws(() => (again?.childNames as string[]).push('y'), 'child names are frozen');
  });
}
