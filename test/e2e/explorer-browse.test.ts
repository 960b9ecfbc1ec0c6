/**
 * Browsing and reading in stock Chromium over a real server (auto transport, so
 * WebTransport): deep links and the keyboard, label-rule search, typed views (images
 * from bytes, JSON and YAML, datetimes, references), CSS kept in the tree, long
 * branches, mounted backends. Writes from "elsewhere" come from a Node client over
 * QUIC, as another program's would.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CompositeBackend } from '../../src/backends/composite-backend.js';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { ROOT, animalBackend, artifactPath, eventually } from './fixtures/explorer-env.js';
import { expand, field, fieldText, inspectorShows, item } from './fixtures/explorer-page.js';
import { go, openExplorer, startSuite } from './fixtures/explorer-suite.js';
import { TINY_GIF, makePng } from './fixtures/png.js';

const LIVE_MS = 1000;
const suite = await startSuite(t);

t.test('deep links open the tree to the node; the keyboard moves and opens', { timeout: 60_000 }, async (t) => {
  const { page, errors } = await openExplorer(t, suite, '#lion/Nala/note1');
  await inspectorShows(page, 'lion/Nala/note1');
  t.equal(await item(page, 'lion/Nala/note1').getAttribute('aria-selected'), 'true', 'the deep-linked node is selected in the tree');
  t.equal(await item(page, 'lion').getAttribute('aria-expanded'), 'true', 'its ancestors are open');
  t.equal(await fieldText(page, 'text'), 'Nala note 1: observed observed ');

  await item(page, 'lion/Nala/note1').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await inspectorShows(page, 'lion/Nala/note0');
  t.match(page.url(), /#lion\/Nala\/note0$/);
  await page.keyboard.press('Home');
  t.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset['label']), 'elephant', 'Home goes to the first row');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('li[data-label="elephant"][aria-expanded="true"]');
  t.ok(await item(page, 'elephant/Dumbo').isVisible(), 'ArrowRight opened elephant');
  await page.keyboard.press('ArrowLeft');
  t.equal(await item(page, 'elephant').getAttribute('aria-expanded'), 'false', 'ArrowLeft closed it');

  // A link row goes to its target.
  await expand(page, 'notes');
  await item(page, 'notes').locator('li[data-link="parrot/Polly/note2"] > .row').click();
  await inspectorShows(page, 'parrot/Polly/note2');
  t.equal(await item(page, 'parrot/Polly/note2').getAttribute('aria-selected'), 'true', 'following a link reveals its target');
  t.same(errors, []);
});

t.test('label-rule search lists matches; an invalid rule shows INVALID_RULE', { timeout: 60_000 }, async (t) => {
  const { page, errors } = await openExplorer(t, suite);
  const search = page.locator('#search-input');
  await search.fill('**/note0');
  await search.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#search-results ol li').length === 6);
  t.equal(await page.textContent('#search-results .summary'), '6 nodes match **/note0.');
  await search.fill('lion//x');
  await search.press('Enter');
  const error = page.locator('#search-results .error[data-code="INVALID_RULE"]');
  await error.waitFor();
  t.match(await error.textContent(), /^INVALID_RULE /, 'the code leads the message');
  t.equal(await page.locator('#search-results ol li').count(), 0);
  await search.fill('parrot/*');
  await search.press('Enter');
  await page.locator('#search-results a[data-label="parrot/Jerome"]').click();
  await inspectorShows(page, 'parrot/Jerome');
  t.same(errors, []);
});

t.test('typed views: images from bytes (and uploads), JSON and YAML pretty, datetimes localised, references as links', { timeout: 60_000 }, async (t) => {
  const { page, errors, client } = await openExplorer(t, suite);
  const gallery = new TreeNode({
    labelRule: 'gallery',
    description: 'Pictures and typed values',
    queryHowTo: 'lion/Simba',
    qaSequence: 'notes',
    version: { versionNumber: 3, policy: 'reader-writer', authors: 'parrot', readers: 'elephant' },
  });
  const photo = makePng(96, 64, (x, y) => [40 + x * 2, 90 + y, 200 - x]);
  gallery.insertProperty('photo', 'Image', photo);
  gallery.insertProperty('thumb', 'bytes', TINY_GIF);
  gallery.insertProperty('blob', 'Bytes', Uint8Array.of(1, 2, 3));
  gallery.insertProperty('meta', 'json', { tags: ['lion', 'savanna'], size: { w: 96, h: 64 } });
  gallery.insertProperty('config', 'yaml', { exposure: 0.5, flash: false });
  gallery.insertProperty('taken', 'Datetime', new Date('2025-01-02T03:04:05Z'));
  gallery.insertProperty('ratio', 'double', 1.5);
  gallery.insertProperty('public', 'bool', true);
  const since = Date.now();
  await client.upsertNode([gallery]);
  await item(page, 'gallery').waitFor({ timeout: LIVE_MS });
  t.pass(`a new top-level node appeared in ${Date.now() - since} ms`);
  await go(page, 'gallery');

  const img = field(page, 'photo').locator('img');
  await page.waitForFunction(() => (document.querySelector('.field[data-field="photo"] img') as HTMLImageElement | null)?.complete === true);
  t.same(await img.evaluate((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight]), [96, 64], 'the PNG renders at its size');
  t.match(await img.getAttribute('src'), /^blob:/, 'from a blob URL');
  t.match(await field(page, 'thumb').locator('img').getAttribute('src'), /^blob:/, 'a bytes property with a GIF signature is an image too');
  t.equal(await field(page, 'blob').locator('img').count(), 0, 'other bytes are not');
  t.match(await fieldText(page, 'blob'), /3 B: 01 02 03/);
  t.equal(await field(page, 'meta').locator('pre').textContent(), JSON.stringify({ tags: ['lion', 'savanna'], size: { w: 96, h: 64 } }, null, 2), 'JSON pretty-printed');
  t.equal(await field(page, 'config').locator('pre').textContent(), 'exposure: 0.5\nflash: false', 'YAML as YAML');
  t.equal(await field(page, 'taken').locator('time').getAttribute('datetime'), '2025-01-02T03:04:05.000Z');
  const shown = await field(page, 'taken').locator('time').textContent();
  t.equal(shown, await page.evaluate(() => new Date('2025-01-02T03:04:05Z').toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })), 'in the page’s locale');

  // Version and references, as links to those nodes.
  const meta = page.locator('#inspector dl.meta');
  t.equal(await meta.locator('.version').textContent(), '3');
  t.match(await meta.textContent(), /reader-writer/);
  for (const target of ['parrot', 'elephant', 'lion/Simba', 'notes']) t.equal(await meta.locator(`a[data-label="${target}"]`).count(), 1, `a link to ${target}`);

  // The picture changes from Node: the new image is shown and flashes.
  gallery.setProperty('photo', makePng(120, 80, (x, y) => [x * 2, 60 + y * 2, 160]));
  await client.upsertNode([gallery]);
  await page.waitForFunction(() => {
    const f = document.querySelector('.field[data-field="photo"]');
    const i = f?.querySelector('img') as HTMLImageElement | null;
    return f?.classList.contains('flash') === true && i?.complete === true && i.naturalWidth === 120;
  }, undefined, { timeout: LIVE_MS, polling: 'raf' });
  t.pass('a new picture is shown live, highlighted');

  // A new picture from the browser's file picker reaches the Node client.
  const upload = makePng(8, 8, () => [255, 128, 0]);
  await field(page, 'photo').getByRole('button', { name: 'Edit photo' }).click();
  await field(page, 'photo').locator('input[type="file"]').setInputFiles({ name: 'orange.png', mimeType: 'image/png', buffer: Buffer.from(upload) });
  await field(page, 'photo').getByRole('button', { name: 'Save' }).click();
  await eventually(async () => ((await client.getNode('gallery'))?.getProperty('photo') as Uint8Array | undefined)?.length === upload.length, 3000, 'the uploaded picture at the Node client');
  t.same((await client.getNode('gallery'))?.getProperty('photo'), upload, 'the exact bytes');
  await page.waitForFunction(() => (document.querySelector('.field[data-field="photo"] img') as HTMLImageElement | null)?.naturalWidth === 8);
  gallery.setProperty('photo', makePng(120, 80, (x, y) => [x * 2, 60 + y * 2, 160]));
  await client.upsertNode([gallery]);

  // The explorer's screenshot for the docs: a typed node, the animals open, WebTransport.
  await expand(page, 'lion');
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.mouse.move(0, 0);
  await page.waitForTimeout(1700); // let highlights fade for a calm picture
  const shot = artifactPath('explorer.png');
  await page.screenshot({ path: shot });
  if (process.env['WWATP_UPDATE_SCREENSHOT'] === '1') copyFileSync(shot, join(ROOT, 'docs/explorer.png'));
  t.same(errors, []);
});

t.test('CSS kept in the tree (explorer/style, property css) styles the page live', { timeout: 60_000 }, async (t) => {
  const { page, errors, client } = await openExplorer(t, suite);
  const accent = (): Promise<string> => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
  const before = await accent();
  t.equal(await page.getAttribute('body', 'data-tree-style'), 'none');
  const style = new TreeNode({ labelRule: 'explorer/style', description: 'The explorer’s CSS' });
  style.insertProperty('css', 'string', ':root { --accent: rgb(200, 30, 90); }');
  await client.upsertNode([new TreeNode({ labelRule: 'explorer', description: 'Explorer settings', childNames: ['style'] }), style]);
  await page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() === 'rgb(200, 30, 90)', undefined, { timeout: LIVE_MS });
  t.pass('the CSS applies within a second');
  style.setProperty('css', ':root { --accent: rgb(10, 120, 60); }');
  style.version = { ...style.version, versionNumber: 1 };
  await client.upsertNode([style]);
  await page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() === 'rgb(10, 120, 60)', undefined, { timeout: LIVE_MS });
  t.equal(await page.getAttribute('body', 'data-tree-style'), 'v1', 'body says which version is applied');
  await client.deleteNode('explorer/style');
  await page.waitForFunction((b) => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() === b, before, { timeout: LIVE_MS });
  t.pass('deleting the node restores the explorer’s own look');
  t.same(errors, []);
});

t.test('a branch with many children opens a page of rows at a time', { timeout: 60_000 }, async (t) => {
  const { page, errors, client } = await openExplorer(t, suite);
  const names = Array.from({ length: 1200 }, (_, i) => `n${String(i).padStart(4, '0')}`);
  await client.upsertNode([new TreeNode({ labelRule: 'big', description: 'many children', childNames: names }), ...names.map((n) => new TreeNode({ labelRule: `big/${n}` }))]);
  await item(page, 'big').waitFor();
  await expand(page, 'big');
  const rows = item(page, 'big').locator(':scope > [role="group"] > li[data-label]');
  t.equal(await rows.count(), 500, 'the first 500 rows');
  await item(page, 'big').getByRole('button', { name: /^Show 500 more \(700 not shown\)$/ }).click();
  t.equal(await rows.count(), 1000);
  await item(page, 'big').getByRole('button', { name: /^Show 200 more/ }).click();
  t.equal(await rows.count(), 1200, 'then all of them');
  t.equal(await item(page, 'big').locator('li.more').count(), 0);
  await go(page, 'big/n1150');
  t.equal(await item(page, 'big/n1150').getAttribute('aria-selected'), 'true');
  t.same(errors, []);
});

t.test('a mounted backend is a branch like any other, found even when nothing lists it', { timeout: 60_000 }, async (t) => {
  const zoo = new SimpleBackend();
  await zoo.upsertNode([new TreeNode({ labelRule: 'penguin', description: 'Flightless', childNames: ['Pingu'] }), new TreeNode({ labelRule: 'penguin/Pingu', description: 'Noot noot' })]);
  const root = await animalBackend();
  // The node at the mount label lives in the root backend and lists nothing.
  await root.upsertNode([new TreeNode({ labelRule: 'zoo', description: 'A mounted backend' })]);
  const composite = new CompositeBackend(root);
  await composite.mountBackend('zoo', zoo);
  const { page, errors, client } = await openExplorer(t, suite, '#zoo', { backend: composite });
  await inspectorShows(page, 'zoo');
  t.equal(await page.locator('#inspector ul.children li.unlisted a[data-label="zoo/penguin"]').count(), 1, 'the inspector finds the mounted child');
  await page.waitForSelector('li[data-label="zoo"][aria-expanded="false"]');
  t.pass('and the tree now shows zoo as a branch');
  await expand(page, 'zoo');
  await expand(page, 'zoo/penguin');
  await item(page, 'zoo/penguin/Pingu').waitFor();
  t.pass('zoo → penguin → Pingu, through the mount');

  const pingu = (await client.getNode('zoo/penguin/Pingu')) as TreeNode;
  pingu.description = 'Noot noot!';
  const since = Date.now();
  await client.upsertNode([pingu]);
  await page.waitForFunction(() => {
    const row = document.querySelector('li[data-label="zoo/penguin/Pingu"] > .row');
    return row?.classList.contains('flash') === true && row.querySelector('.desc')?.textContent === 'Noot noot!';
  }, undefined, { timeout: LIVE_MS, polling: 'raf' });
  t.pass(`a write inside the mount showed in ${Date.now() - since} ms, highlighted`);
  t.same(errors, []);
});
