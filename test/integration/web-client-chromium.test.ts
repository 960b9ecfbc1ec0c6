import t from 'tap';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as WwatpClient from '../../web/client/index.js';
import type { BrowserConnection } from '../../web/client/index.js';
import { Closer, eventLog, tempDir, textNode, textOf, until, within } from '../support/transport-env.js';
import { serveWeb, wsClient } from '../support/web-env.js';
import { buildClientBundle, launchStockChromium, pageProblems, TEST_PAGE } from '../support/web-browser.js';

/** A UDP port with nothing on it (bound, then released). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** What the test page puts on window (see TEST_PAGE). */
interface TestWindow {
  wwatp: typeof WwatpClient;
  events: string[];
  conn: BrowserConnection;
}

// The browser client library in stock headless Chromium: the real bundle, served by the
// server's HTTP side, talking to the server while a Node client watches.
t.test('a page and a Node client see each other through the browser client', async (t) => {
  const closer = new Closer(t);
  const www = tempDir(t, 'wwatp-www-');
  await buildClientBundle(www);
  writeFileSync(join(www, 'index.html'), TEST_PAGE);
  const server = await serveWeb(t, closer, { staticDir: www });
  // Info documents whose WebTransport cannot work: a UDP port that refuses, and one that
  // swallows every packet (the browser waits until connectBrowser gives up on it).
  const refusing = await freeUdpPort();
  const blackHole = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blackHole.bind(0, '127.0.0.1', resolve));
  closer.add('black hole', () => new Promise<void>((resolve) => blackHole.close(() => resolve())), blackHole);
  const info = (port: number): string => JSON.stringify({ webTransportUrl: `https://127.0.0.1:${port}/wwatp`, certificateHash: server.certificateHash, webSocketPath: '/wwatp-ws', quicPort: port });
  writeFileSync(join(www, 'refusing.json'), info(refusing));
  writeFileSync(join(www, 'black-hole.json'), info(blackHole.address().port));
  const node = await wsClient(closer, server);
  const seen = eventLog();
  node.registerNodeListener('watch', 'shared', true, seen.listener);
  await node.processNotifications();

  const browser = await launchStockChromium();
  closer.add('chromium', () => browser.close(), browser);
  const page = await browser.newPage();
  const problems = pageProblems(page);
  t.teardown(() => {
    if (problems.length > 0) t.comment(`page console:\n${problems.join('\n')}`);
  });
  await page.goto(`http://localhost:${server.httpPort}/`);
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 10_000 });

  await t.test('connectBrowser({ transport: "websocket" })', async (t) => {
    const transport = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      w.conn = await w.wwatp.connectBrowser({ transport: 'websocket' });
      w.conn.backend.registerNodeListener('watch', 'shared', true, (_b, label, n) => w.events.push(`${label}=${n ? String(n.getProperty('text')) : '<deleted>'}`));
      await w.conn.backend.processNotifications();
      return w.conn.transport;
    });
    t.equal(transport, 'websocket');
  });

  await t.test('the page writes, Node sees it (get and listener)', async (t) => {
    await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      const n = new w.wwatp.TreeNode({ labelRule: 'shared/from-page', description: 'written in Chromium' });
      n.insertProperty('text', 'string', 'hello from the page, ünïcödé');
      await w.conn.backend.upsertNode([n]);
    });
    t.equal(textOf(await node.getNode('shared/from-page')), 'hello from the page, ünïcödé');
    await until(() => seen.events.includes('shared/from-page=hello from the page, ünïcödé'), 5000, 'the Node listener');
  });

  await t.test('Node writes and deletes, the page sees it (get and listener)', async (t) => {
    await node.upsertNode([textNode('shared/from-node', 'hello from Node')]);
    await node.deleteNode('shared/from-page');
    await page.waitForFunction(() => (window as unknown as TestWindow).events.includes('shared/from-page=<deleted>'), undefined, { timeout: 5000 });
    const inPage = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      const got = await w.conn.backend.getNode('shared/from-node');
      const gone = await w.conn.backend.getNode('shared/from-page');
      return { text: got?.getProperty('text'), gone: gone === undefined, events: w.events };
    });
    t.same(inPage, {
      text: 'hello from Node',
      gone: true,
      events: ['shared/from-page=hello from the page, ünïcödé', 'shared/from-node=hello from Node', 'shared/from-page=<deleted>'],
    });
  });

  await t.test('errors reach the page as WwatpError codes', async (t) => {
    const code = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      try {
        await w.conn.backend.getNode('not a label');
        return 'no error';
      } catch (error) {
        return w.wwatp.WwatpError.is(error) ? error.code : String(error);
      }
    });
    t.equal(code, 'INVALID_LABEL');
  });

  for (const [name, file, most] of [['refuses', 'refusing.json', 5000], ['never answers', 'black-hole.json', 8000]] as const) {
    await t.test(`"auto" falls back to the tunnel by itself when WebTransport ${name}`, async (t) => {
      const started = Date.now();
      const result = await within(page.evaluate(async (infoUrl) => {
        const w = window as unknown as TestWindow;
        const c = await w.wwatp.connectBrowser({ infoUrl, webTransportTimeoutMs: 2000 });
        const heartbeat = await c.backend.heartbeat();
        await c.close();
        return { transport: c.transport, reason: c.fallbackReason, heartbeat };
      }, `/${file}`), 15_000, 'the fallback');
      t.equal(result.transport, 'websocket');
      t.match(result.reason, /^WebTransport: /);
      t.type(result.heartbeat, 'number', 'and the tunnel works');
      const took = Date.now() - started;
      t.ok(took < most, `fell back in ${took} ms`);
    });
  }

  await t.test('"webtransport" alone does not fall back: it fails with a code', async (t) => {
    const code = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      try {
        await w.wwatp.connectBrowser({ transport: 'webtransport', infoUrl: '/refusing.json', webTransportTimeoutMs: 2000 });
        return 'connected';
      } catch (error) {
        return w.wwatp.WwatpError.is(error) ? error.code : String(error);
      }
    });
    t.equal(code, 'UNAVAILABLE');
  });

  // WebTransport on the server (src/transport/webtransport): stock Chromium, pinned by hash alone.
  await t.test('"auto" picks WebTransport when the server offers it, and it carries the same tree', async (t) => {
    const result = await within(page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      const c = await w.wwatp.connectBrowser();
      const events: string[] = [];
      c.backend.registerNodeListener('wt', 'shared/wt', true, (_b, label, n) => events.push(`${label}=${n ? String(n.getProperty('text')) : '<deleted>'}`));
      await c.backend.processNotifications();
      const n = new w.wwatp.TreeNode({ labelRule: 'shared/wt/page', description: 'over WebTransport' });
      n.insertProperty('text', 'string', 'sent on a WebTransport stream');
      await c.backend.upsertNode([n]);
      await c.backend.processNotifications();
      (window as unknown as { wtEvents: string[] }).wtEvents = events;
      (window as unknown as { wtConn: BrowserConnection }).wtConn = c;
      return { transport: c.transport, reason: c.fallbackReason };
    }), 15_000, 'connecting over WebTransport');
    t.same(result, { transport: 'webtransport', reason: undefined });
    t.equal(textOf(await node.getNode('shared/wt/page')), 'sent on a WebTransport stream', 'Node sees the write');
    await node.upsertNode([textNode('shared/wt/node', 'to the WebTransport page')]);
    await page.waitForFunction(() => (window as unknown as { wtEvents: string[] }).wtEvents.length >= 2, undefined, { timeout: 5000 });
    const seenThere = await page.evaluate(async () => {
      const w = window as unknown as { wtEvents: string[]; wtConn: BrowserConnection };
      const got = await w.wtConn.backend.getNode('shared/wt/node');
      await w.wtConn.close();
      return { events: w.wtEvents, text: got?.getProperty('text') };
    });
    t.same(seenThere, { events: ['shared/wt/page=sent on a WebTransport stream', 'shared/wt/node=to the WebTransport page'], text: 'to the WebTransport page' });
  });

  await t.test('closing the page connection ends its session on the server', async (t) => {
    const before = await page.evaluate(async () => {
      const w = window as unknown as TestWindow;
      await w.conn.close();
      return w.events.length;
    });
    await node.upsertNode([textNode('shared/after-close', 'x')]);
    await new Promise((r) => setTimeout(r, 100));
    const after = await page.evaluate(() => (window as unknown as TestWindow).events.length);
    t.equal(after, before, 'no more events after close');
    await until(() => seen.events.includes('shared/after-close=x'), 5000, 'the Node listener still works');
  });
  t.same(problems.filter((p) => p.startsWith('pageerror')), [], 'no uncaught errors in the page');
});
