import t from 'tap';
import type { Backend } from '../../../src/backends/backend.js';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import type { TreeNode } from '../../../src/tree/tree-node.js';
import { prng } from '../../conformance/random.js';
import { textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

// Segments that trip up naive SQL: LIKE wildcards, the bytes either side of '/', a
// prefix of a sibling ('a' vs 'a0', 'a-b'), and multi-byte UTF-8.
const SEGMENTS = ['a', 'a_', '_', '%', 'a%', 'a-b', 'a0', 'a.b', '.a', 'A', 'é', '中', '🌳', 'a/b'.replace('/', '~')];
const RULES = ['*', '**', 'a/*', 'a/**', '*/a_', '**/%', 'a_/*/*', '%/**', 'a*', '*_*', '*/*', '**/a0', 'a%/*', 'é/**', '*/*/*', 'a/**/a0'];

function randomLabel(rand: () => number): string {
  const depth = 1 + Math.floor(rand() * 3);
  return Array.from({ length: depth }, () => SEGMENTS[Math.floor(rand() * SEGMENTS.length)] as string).join('/');
}

const view = (nodes: readonly TreeNode[]): string[] => nodes.map((n) => `${n.labelRule}=${n.description}`);
const sorted = (nodes: readonly TreeNode[]): string[] => view(nodes).sort();

t.test('random writes, deletes and queries answer exactly as SimpleBackend', async (t) => {
  const simple: Backend = new SimpleBackend();
  const sqlite = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => sqlite.close());
  const rand = prng(20240611);
  let differences = 0;
  const check = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    differences++;
    t.same(b, a, what);
  };
  for (let step = 0; step < 400; step++) {
    const roll = rand();
    if (roll < 0.55) {
      const nodes = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => textNode(randomLabel(rand), `step ${step}`));
      check(`upsert at ${step}`, await simple.upsertNode(nodes), await sqlite.upsertNode(nodes));
    } else if (roll < 0.8) {
      const label = randomLabel(rand);
      check(`delete ${label} at ${step}`, await simple.deleteNode(label), await sqlite.deleteNode(label));
    } else {
      const rule = RULES[Math.floor(rand() * RULES.length)] as string;
      check(`query ${rule} at ${step}`, sorted(await simple.queryNodes(rule)), sorted(await sqlite.queryNodes(rule)));
    }
  }
  check('full tree', sorted(await simple.getFullTree()), sorted(await sqlite.getFullTree()));
  for (const rule of RULES) check(`final query ${rule}`, sorted(await simple.queryNodes(rule)), sorted(await sqlite.queryNodes(rule)));
  t.equal(differences, 0);
  t.ok((await sqlite.getFullTree()).length > 20, 'the comparison covered a sizeable tree');
});

t.test('the full tree lists parents before children', async (t) => {
  const sqlite = await SqliteBackend.open({ path: tempDbPath(t) });
  t.teardown(() => sqlite.close());
  const labels = ['a/b/c', 'a', 'a-b', 'a/b', 'a/b-c', 'a/b/c/d', 'a0', 'a/b-c/x'];
  await sqlite.upsertNode(labels.map((l) => textNode(l)));
  const order = (await sqlite.getFullTree()).map((n) => n.labelRule);
  t.same([...order].sort(), [...labels].sort());
  for (const label of labels) {
    const parent = label.split('/').slice(0, -1).join('/');
    if (labels.includes(parent)) t.ok(order.indexOf(parent) < order.indexOf(label), `${parent} before ${label}`);
  }
});
