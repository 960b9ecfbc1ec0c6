/**
 * The explorer in stock Chromium against a real server: browse the animal test bed, edit
 * in the browser and read it from a Node client, write from a Node client and see it on
 * the page within a second (highlighted) — once over WebTransport, once over the
 * WebSocket fallback the page is told to use with ?transport=websocket.
 */
import t, { type Test } from 'tap';
import { TreeNode } from '../../src/tree/tree-node.js';
import { Closer, artifactPath, eventually, nodeClient, openPage, startExplorerServer } from './fixtures/explorer-env.js';
import { editField, expand, field, fieldText, item, row, seenFlashing, select, waitConnected, type Transport } from './fixtures/explorer-page.js';
import { startSuite } from './fixtures/explorer-suite.js';

const LIVE_MS = 1000;

const { dist, browser } = await startSuite(t);

function childLabels(page: import('playwright-core').Page, label: string): Promise<string[]> {
  return item(page, label).locator(':scope > [role="group"] > li[data-label]').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset['label'] ?? ''));
}

async function liveScenario(t: Test, transport: Transport): Promise<void> {
  const closer = new Closer(t);
  const { server, pageUrl } = await startExplorerServer(closer, dist);
  const client = await nodeClient(closer, server);
  const { page, errors } = await openPage(closer, browser);

  await page.goto(transport === 'websocket' ? `${pageUrl}?transport=websocket` : pageUrl);
  t.equal(await waitConnected(page), transport, `body[data-transport=${transport}]`);
  t.equal(await page.getAttribute('body', 'data-state'), 'connected');
  t.match(await page.textContent('#status-transport'), transport === 'webtransport' ? /WebTransport/ : /WebSocket/, 'the status bar names the transport');

  // Browse: the top level, then the animals, lazily.
  await item(page, 'lion').waitFor();
  t.same(await page.locator('#tree > li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset['label'])), ['elephant', 'lion', 'notes', 'parrot'], 'top level from *');
  t.equal(await item(page, 'lion/Simba').count(), 0, 'children are not fetched before a branch is opened');
  await expand(page, 'lion');
  t.same(await childLabels(page, 'lion'), ['lion/Simba', 'lion/Nala'], 'lion → Simba, Nala, in child-name order');
  await expand(page, 'lion/Simba');
  t.same(await childLabels(page, 'lion/Simba'), ['lion/Simba/note0', 'lion/Simba/note1', 'lion/Simba/note2']);
  await expand(page, 'notes');
  t.equal(await item(page, 'notes').locator('li[data-link]').count(), 18, 'the notes page shows its 18 links');

  // Edit in the browser; a Node client sees it.
  await select(page, 'lion/Simba');
  t.match(page.url(), /#lion\/Simba$/, 'the hash follows the selection');
  await editField(page, 'description', 'Simba, edited in the browser');
  await page.waitForFunction(() => !document.querySelector('.field[data-field="description"]')?.classList.contains('editing'));
  t.equal(await fieldText(page, 'description'), 'Simba, edited in the browser');
  await eventually(async () => (await client.getNode('lion/Simba'))?.description === 'Simba, edited in the browser', 3000, 'the Node client to see the browser edit');
  t.equal((await client.getNode('lion/Simba'))?.version.versionNumber, 1, 'the edit moved the version on');

  // Write from Node; the page shows it within a second, highlighted.
  const simba = (await client.getNode('lion/Simba')) as TreeNode;
  simba.description = `Simba, written from Node over QUIC (${transport} page)`;
  let since = Date.now();
  await client.upsertNode([simba]);
  const took = await seenFlashing(page, 'description', simba.description, since, LIVE_MS);
  t.ok(took <= LIVE_MS, `the inspector showed the Node write in ${took} ms, highlighted`);
  t.equal(await row(page, 'lion/Simba').locator('.desc').textContent(), simba.description, 'the tree row shows it too');
  t.ok(await row(page, 'lion/Simba').evaluate((el) => el.classList.contains('flash')), 'and flashes');
  t.match(await page.textContent('#status-last'), /lion\/Simba/, 'the status bar names the last change');

  // A new child written from Node appears in the open branch.
  const lion = (await client.getNode('lion')) as TreeNode;
  lion.childNames = [...lion.childNames, 'Kiara'];
  since = Date.now();
  await client.upsertNode([lion, new TreeNode({ labelRule: 'lion/Kiara', description: "Simba's daughter" })]);
  await page.waitForFunction(() => document.querySelector('li[data-label="lion/Kiara"] > .row')?.classList.contains('flash') === true, undefined, { timeout: LIVE_MS, polling: 'raf' });
  t.pass(`lion/Kiara appeared in the tree, highlighted, after ${Date.now() - since} ms`);
  t.same(await childLabels(page, 'lion'), ['lion/Simba', 'lion/Nala', 'lion/Kiara']);

  // A node deleted from Node leaves the tree.
  since = Date.now();
  await client.deleteNode('lion/Nala');
  await item(page, 'lion/Nala').waitFor({ state: 'detached', timeout: LIVE_MS });
  t.pass(`lion/Nala left the tree after ${Date.now() - since} ms`);

  await page.screenshot({ path: artifactPath(`explorer-live-${transport}.png`) });
  t.equal(await field(page, 'description').count(), 1);
  t.same(errors, [], 'no errors on the page');
}

t.test('over WebTransport: browse, edit, live updates', { timeout: 90_000 }, (t) => liveScenario(t, 'webtransport'));
t.test('over the WebSocket fallback (?transport=websocket): the same', { timeout: 90_000 }, (t) => liveScenario(t, 'websocket'));
