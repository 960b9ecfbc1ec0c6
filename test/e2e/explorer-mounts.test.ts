/**
 * The tree `wwatp serve` serves by default (SQLite at the root, the Collector at
 * /collector), in stock Chromium: the collector shows at the top level although the
 * root holds no node at its label, and opens onto its namespaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createDefaultBackend } from '../../src/frontends/config/default-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { expand, item } from './fixtures/explorer-page.js';
import { openExplorer, startSuite } from './fixtures/explorer-suite.js';

const suite = await startSuite(t);

t.test('the default composite: collector shows at the top level and opens onto the collections', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-explorer-mounts-'));
  const opened = await createDefaultBackend({ dataDir: dir });
  t.teardown(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const books = new TreeNode({ labelRule: 'collector/acme/books' });
  books.insertProperty('messageType', 'string', 'json');
  const dune = new TreeNode({ labelRule: 'collector/acme/books/dune' });
  dune.insertProperty('record', 'json', { title: 'Dune', year: 1965 });
  await opened.backend.upsertNode([books, new TreeNode({ labelRule: 'lion', description: 'King of the jungle' })]);
  await opened.backend.upsertNode([dune]);

  const { page, errors } = await openExplorer(t, suite, '', { backend: opened.backend });
  await item(page, 'collector').waitFor();
  t.pass('collector is a top-level row');
  t.ok(await item(page, 'lion').isVisible(), 'beside the root store\'s nodes');
  await expand(page, 'collector');
  await expand(page, 'collector/acme');
  await expand(page, 'collector/acme/books');
  await item(page, 'collector/acme/books/dune').waitFor();
  t.pass('collector → acme → books → dune');
  t.same(errors, []);
});
