/**
 * How a composite reaches into its mounts: a rule asks a mount only as deep as it can
 * match there, and a mount point with no node of its own in the root still shows up
 * (a synthesized node), so `*` at the top level finds it.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompositeBackend } from '../../../src/backends/composite-backend.js';
import { residualRules } from '../../../src/backends/rule-residual.js';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { createDefaultBackend } from '../../../src/frontends/config/default-backend.js';
import { parseLabelRule } from '../../../src/tree/label-rule.js';
import { isStrictlyUnder, stripPrefix } from '../../../src/tree/labels.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { animalNodes } from '../../conformance/animals.js';

const labels = (nodes: readonly TreeNode[]): string[] => nodes.map((n) => n.labelRule).sort();

/**
 * A real SimpleBackend that records every rule it is asked. It answers a rule with a
 * `?query` as its plain path (a stand-in search), so the test sees what reaches it.
 */
class ProbeBackend extends SimpleBackend {
  readonly asked: string[] = [];
  override async queryNodes(rule: string): Promise<TreeNode[]> {
    this.asked.push(rule);
    const q = rule.indexOf('?');
    return super.queryNodes(q < 0 ? rule : rule.slice(0, q));
  }
  take(): string[] {
    return this.asked.splice(0).sort();
  }
}

async function probed(): Promise<{ c: CompositeBackend; root: SimpleBackend; probe: ProbeBackend }> {
  const root = new SimpleBackend();
  await root.upsertNode([new TreeNode({ labelRule: 'readme', description: 'in the root' })]);
  const probe = new ProbeBackend();
  await probe.upsertNode(animalNodes());
  const c = new CompositeBackend(root);
  await c.mountBackend('collector', probe);
  probe.take();
  return { c, root, probe };
}

t.test('a rule asks a mount only as deep as it can match there', async (t) => {
  const { c, probe } = await probed();
  const ask = async (rule: string): Promise<{ got: string[]; asked: string[] }> => {
    const got = labels(await c.queryNodes(rule));
    return { got, asked: probe.take() };
  };

  let r = await ask('*');
  t.same(r.got, ['collector', 'readme'], '* lists the root and the mount point');
  t.notOk(r.asked.includes('**'), '* does not ask the mount for everything');
  t.same(r.asked, ['*'], 'only the mount point\'s own listing (its child names) is read');

  r = await ask('collector/*');
  t.same(r.asked, ['*']);
  t.same(r.got, ['collector/elephant', 'collector/lion', 'collector/notes', 'collector/parrot']);

  r = await ask('**');
  t.same(r.asked, ['*', '**'], '** asks for ** (and the mount point\'s listing)');
  t.equal(r.got.length, 1 + 1 + 28);

  r = await ask('*/lion');
  t.same(r.asked, ['lion']);
  t.same(r.got, ['collector/lion']);

  r = await ask('*/*/Simba');
  t.same(r.asked, ['*/Simba']);
  t.same(r.got, ['collector/lion/Simba']);

  r = await ask('**/note0');
  t.same(r.asked, ['**/note0']);
  t.equal(r.got.length, 6);

  r = await ask('readme');
  t.same(r.asked, [], 'a rule that cannot reach the mount does not ask it');

  r = await ask('other/**');
  t.same(r.asked, []);

  r = await ask('collector/lion/*?year>=2000');
  t.same(r.asked, ['lion/*?year>=2000'], 'a query inside the mount passes through unchanged');

  r = await ask('*/lion/*?year>=2000&order=-year');
  t.same(r.asked, ['lion/*?year>=2000&order=-year'], 'a query reaching the mount from above passes through unchanged');
  t.same(r.got, ['collector/lion/Nala', 'collector/lion/Simba']);

  await t.rejects(c.queryNodes('*?year>1'), { code: 'INVALID_RULE' }, 'a query reaching no mount is still the root\'s to refuse');
});

t.test('residualRules agrees with matching the whole rule', async (t) => {
  const mounts = ['m', 'a/m', 'a/b/m', 'note0', 'lion'];
  const insides = ['x', 'lion', 'note0', 'm', 'x/y', 'lion/Simba', 'lion/Simba/note0', 'a/m/b', 'x/note0', 'x/y/z/note0'];
  const rules = ['*', '**', 'm', 'm/*', 'm/**', '*/x', '*/*', '**/note0', '**/m/**', 'a/**', 'a/**/x', '**/x/**', 'a/*/m/*', '*/m', 'no*', 'note*/**', '**/*/note0', 'a/**/**/y', '**/**', 'm/**/y/**/z'];
  let checked = 0;
  for (const mount of mounts) {
    for (const rule of rules) {
      const whole = parseLabelRule(rule);
      const inner = residualRules(whole.path, mount).map((r) => parseLabelRule(r));
      for (const inside of insides) {
        const label = `${mount}/${inside}`;
        t.ok(isStrictlyUnder(label, mount));
        const expected = whole.matches(label);
        const got = inner.some((r) => r.matches(stripPrefix(label, mount)));
        if (expected !== got) t.fail(`rule ${rule} mount ${mount} label ${label}: expected ${expected}, residuals ${JSON.stringify(residualRules(whole.path, mount))}`);
        checked++;
      }
    }
  }
  t.same(residualRules('*', 'collector'), []);
  t.same(residualRules('**', 'collector'), ['**']);
  t.same(residualRules('**/b', 'a'), ['**/b'], 'the residual a ** covers is left out');
  t.same(residualRules('*/acme/books/*', 'collector'), ['acme/books/*']);
  t.pass(`${checked} labels checked`);
});

t.test('a mount point with no node in the root shows as a synthesized node', async (t) => {
  const { c, root, probe } = await probed();
  const point = await c.getNode('collector');
  t.ok(point, 'getNode finds the mount point');
  t.equal(point?.description, 'mounted: ProbeBackend');
  t.same([...(point?.childNames ?? [])].sort(), ['elephant', 'lion', 'notes', 'parrot'], 'its child names are the mount\'s top level');
  t.same(labels(await c.getPageTree('collector')), ['collector/elephant', 'collector/lion', 'collector/notes', 'collector/parrot']);
  t.same(labels(await c.queryNodes('collector')), ['collector'], 'an exact rule finds it too');
  t.same(labels(await c.queryNodes('coll*')), ['collector']);
  t.equal(await root.getNode('collector'), undefined, 'nothing was written to the root');
  t.equal((await c.getFullTree()).length, 1 + 28, 'the full tree holds stored nodes only (a copy is the same tree)');

  // A node the root holds at the mount label wins.
  await c.upsertNode([new TreeNode({ labelRule: 'collector', description: 'Our collections', childNames: ['lion'] })]);
  t.equal((await c.getNode('collector'))?.description, 'Our collections');
  const listed = (await c.queryNodes('*')).filter((n) => n.labelRule === 'collector');
  t.same(listed.map((n) => n.description), ['Our collections'], 'listed once, as the root has it');
  await c.deleteNode('collector');
  t.equal(probe.size, 0, 'deleting the mount label still empties the mount');
  t.same((await c.getNode('collector'))?.childNames, [], 'an empty mount is still visible, with nothing listed');

  t.ok(c.unmountBackend('collector'));
  t.equal(await c.getNode('collector'), undefined, 'gone once unmounted');
  t.same(labels(await c.queryNodes('*')), ['readme']);
});

t.test('a deeper mount point shows where a rule reaches it', async (t) => {
  const root = new SimpleBackend();
  const c = new CompositeBackend(root);
  const inner = new SimpleBackend();
  await inner.upsertNode([new TreeNode({ labelRule: 'x' })]);
  await c.mountBackend('data/remote', inner);
  t.same(labels(await c.queryNodes('data/*')), ['data/remote']);
  t.same(labels(await c.queryNodes('*')), [], 'a mount point is a node only at its own label');
  t.same(labels(await c.queryNodes('**')), ['data/remote', 'data/remote/x']);
});

t.test('the default composite: * at the root reads no collection and shows collector', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-composite-mounts-'));
  const opened = await createDefaultBackend({ dataDir: dir });
  t.teardown(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { backend } = opened;
  const books = new TreeNode({ labelRule: 'collector/acme/books' });
  books.insertProperty('messageType', 'string', 'json');
  await backend.upsertNode([books, new TreeNode({ labelRule: 'lion', description: 'root' })]);
  const dune = new TreeNode({ labelRule: 'collector/acme/books/dune' });
  dune.insertProperty('record', 'json', { title: 'Dune', year: 1965 });
  const fifth = new TreeNode({ labelRule: 'collector/acme/books/fifth' });
  fifth.insertProperty('record', 'json', { title: 'The Fifth Season', year: 2015 });
  await backend.upsertNode([dune, fifth]);

  // Count the collections the Collector opens to answer (records are read through them).
  const repo = opened.collector?.repo;
  if (!repo) throw new Error('no collector');
  const collection = repo.collection.bind(repo);
  let opens = 0;
  repo.collection = async (...args: Parameters<typeof repo.collection>) => {
    opens++;
    return collection(...args);
  };

  const top = await backend.queryNodes('*');
  t.same(labels(top), ['collector', 'lion'], 'the explorer\'s top level shows the collector');
  t.equal(opens, 0, '* at the root opens no collection');
  const point = top.find((n) => n.labelRule === 'collector');
  t.equal(point?.description, 'mounted: CollectorBackend');
  t.same(point?.childNames, ['acme'], 'the collector\'s namespaces are its child names');
  t.same((await backend.getNode('collector'))?.childNames, ['acme']);
  t.same(labels(await backend.getPageTree('collector')), ['collector/acme']);

  t.same(labels(await backend.queryNodes('collector/*')), ['collector/acme']);
  t.ok(labels(await backend.queryNodes('**')).includes('collector/acme/books/dune'), '** still reaches every record');
  t.same(labels(await backend.queryNodes('collector/acme/books/*?year>=2000')), ['collector/acme/books/fifth']);
  t.same(labels(await backend.queryNodes('*/acme/books/*?year<2000')), ['collector/acme/books/dune'], 'a search from above reaches the collector');
});
