/**
 * Changing the tree from the page, in stock Chromium over a real server (auto
 * transport, so WebTransport): typed edits with errors shown inline by code and
 * conflicts caught, creating and deleting nodes, and riding out a server restart.
 * What the page wrote is read back through a Node client over QUIC.
 */
import t from 'tap';
import { TreeNode } from '../../src/tree/tree-node.js';
import { eventually, startExplorerServer } from './fixtures/explorer-env.js';
import { editField, field, fieldText, inspectorShows, item, waitConnected } from './fixtures/explorer-page.js';
import { openExplorer, startSuite } from './fixtures/explorer-suite.js';

const LIVE_MS = 1000;
const suite = await startSuite(t);

t.test('typed edits: errors inline with their codes, conflicts caught, new properties', { timeout: 60_000 }, async (t) => {
  const { page, errors, client } = await openExplorer(t, suite, '#lion');
  await inspectorShows(page, 'lion');
  await editField(page, 'popularity', 'many');
  const mismatch = field(page, 'popularity').locator('.error[data-code="TYPE_MISMATCH"]');
  await mismatch.waitFor();
  t.pass('a non-integer for an int64 shows TYPE_MISMATCH inline');
  await field(page, 'popularity').locator('input').fill('12');
  await field(page, 'popularity').getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => document.querySelector('.field[data-field="popularity"] .value')?.textContent === '12');
  await eventually(async () => (await client.getNode('lion'))?.getProperty('popularity') === 12n, 3000, 'popularity 12 at the Node client');
  t.pass('the Node client reads popularity 12n');

  // Someone else writes while the editor is open: saving is refused, not lost.
  await field(page, 'diet').getByRole('button', { name: 'Edit diet' }).click();
  const lion = (await client.getNode('lion')) as TreeNode;
  lion.setProperty('diet', 'meat');
  await client.upsertNode([lion]);
  await field(page, 'diet').locator('.stale').waitFor({ state: 'visible', timeout: LIVE_MS });
  await field(page, 'diet').locator('textarea').fill('grass');
  await field(page, 'diet').getByRole('button', { name: 'Save' }).click();
  await field(page, 'diet').locator('.error[data-code="VERSION_CONFLICT"]').waitFor();
  t.pass('saving over a value someone else changed shows VERSION_CONFLICT');
  await field(page, 'diet').getByRole('button', { name: 'Cancel' }).click();
  t.equal(await fieldText(page, 'diet'), 'meat', 'cancel shows the other writer’s value');

  // A new datetime property through the add form.
  await page.locator('summary', { hasText: 'Add property' }).click();
  await page.fill('#new-prop-name', 'born');
  await page.selectOption('#new-prop-type', 'datetime');
  await page.fill('#new-prop-value', '2024-05-06T07:08:09.000');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await field(page, 'born').waitFor();
  await eventually(async () => (await client.getNode('lion'))?.getProperty('born') instanceof Date, 3000, 'born at the Node client');
  t.equal(((await client.getNode('lion'))?.getProperty('born') as Date).getTime(), new Date('2024-05-06T07:08:09').getTime(), 'the local time typed is the instant stored');
  t.equal(await field(page, 'born').locator('time').getAttribute('datetime'), new Date('2024-05-06T07:08:09').toISOString(), 'shown as a localised <time>');
  t.same(errors, []);
});

t.test('create a child and delete a node (after confirming)', { timeout: 60_000 }, async (t) => {
  const { page, errors, client } = await openExplorer(t, suite, '#lion');
  await inspectorShows(page, 'lion');
  await page.locator('summary', { hasText: 'New child' }).click();
  await page.fill('#new-child-name', 'bad name');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('.new-child .error[data-code="INVALID_LABEL"]').waitFor();
  t.pass('a name with a space: INVALID_LABEL inline');
  await page.fill('#new-child-name', 'Simba');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('.new-child .error[data-code="ALREADY_EXISTS"]').waitFor();
  t.pass('an existing name: ALREADY_EXISTS inline');
  await page.fill('#new-child-name', 'Kovu');
  await page.fill('#new-child-description', 'Adopted');
  await page.getByRole('button', { name: 'Create' }).click();
  await inspectorShows(page, 'lion/Kovu');
  t.equal(await item(page, 'lion/Kovu').getAttribute('aria-selected'), 'true', 'the new child is selected in the tree');
  t.equal((await client.getNode('lion/Kovu'))?.description, 'Adopted', 'the Node client sees it');
  t.same((await client.getNode('lion'))?.childNames, ['Simba', 'Nala', 'Kovu'], 'and the parent lists it');

  const del = page.getByRole('button', { name: 'Delete lion/Kovu' });
  await del.click();
  const dialog = page.locator('dialog#confirm-delete');
  await dialog.waitFor({ state: 'visible' });
  t.equal(await dialog.locator('.target').textContent(), 'lion/Kovu');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  t.ok(await client.getNode('lion/Kovu'), 'cancel keeps the node');
  await del.click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await inspectorShows(page, 'lion');
  await eventually(async () => (await client.getNode('lion/Kovu')) === undefined, 3000, 'lion/Kovu gone at the Node client');
  t.same((await client.getNode('lion'))?.childNames, ['Simba', 'Nala'], 'the parent no longer lists it');
  await item(page, 'lion/Kovu').waitFor({ state: 'detached' });
  t.same(errors, []);
});

t.test('the page says when the server is gone, reconnects when it is back, and catches up', { timeout: 90_000 }, async (t) => {
  const { closer, served: first, page, errors } = await openExplorer(t, suite, '#lion');
  await inspectorShows(page, 'lion');

  await first.stop();
  await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 10_000 });
  t.match(await page.textContent('#status-state'), /Reconnecting/, 'the status bar says so');

  // Changes while the page is away, then the server comes back on the same ports.
  const lion = (await first.backend.getNode('lion')) as TreeNode;
  lion.description = 'Changed while the page was away';
  await first.backend.upsertNode([lion, new TreeNode({ labelRule: 'zebra', description: 'new while away' })]);
  await startExplorerServer(closer, suite.dist, { backend: first.backend, certsDir: first.certsDir, port: first.server.port, httpPort: first.server.httpPort });
  t.equal(await waitConnected(page, 20_000), 'webtransport', 'connected again, over WebTransport');
  await page.waitForFunction(() => document.querySelector('.field[data-field="description"] .value')?.textContent === 'Changed while the page was away', undefined, { timeout: 5000 });
  t.pass('the inspector caught up');
  await item(page, 'zebra').waitFor({ timeout: 5000 });
  t.pass('and the tree');
  // Errors logged by the browser while the server was down are expected; none from the page's code.
  t.same(errors.filter((e) => !e.startsWith('console:')), []);
});
