import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { startServer } from '../../src/frontends/server/start-server.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { ChunkReader, encodeMessage } from '../../src/transport/wwatp/chunk-codec.js';
import { MessageAssembler } from '../../src/transport/wwatp/message-assembler.js';
import { decodePayload, encodePayload } from '../../src/transport/wwatp/payloads.js';
import { Signal } from '../../src/transport/wwatp/signals.js';
import { nodeToWire } from '../../src/tree/codecs/cbor-node.js';
import { launchChromiumForQuic } from '../support/chromium.js';

// Interoperability with an independent HTTP/3 and QUIC implementation: Chromium's.
t.test('Chromium loads a page and runs a WWATP batch over our HTTP/3', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-interop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const staticDir = join(dir, 'www');
  const certsDir = join(dir, 'certs');
  await import('node:fs/promises').then((fs) => fs.mkdir(staticDir));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>wwatp</title><p id="greeting">hello over h3, ünïcödé</p>');
  const backend = new SimpleBackend();
  await backend.upsertNode([new TreeNode({ labelRule: 'lion', description: 'King of the jungle' })]);
  const server = await startServer({ backend, port: 0, certsDir, staticDir });
  t.teardown(() => server.close());
  const origin = `127.0.0.1:${server.port}`;
  const browser = await launchChromiumForQuic(origin, readFileSync(join(certsDir, 'cert.pem'), 'utf8'));
  t.teardown(() => browser.close());
  const page = await browser.newPage();

  const response = await page.goto(`https://${origin}/`);
  t.equal(response?.status(), 200);
  t.equal(await page.textContent('#greeting'), 'hello over h3, ünïcödé');
  const protocol = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
  t.equal(protocol, 'h3', 'the page came over HTTP/3');
  const missing = await page.evaluate(async () => (await fetch('/no-such-file')).status);
  t.equal(missing, 404);

  // A WWATP batch from the browser: an upsert then a get of the same node, one stream.
  const nala = new TreeNode({ labelRule: 'lion/Nala', description: 'sister' });
  const batch = [
    ...encodeMessage(Signal.UPSERT, 1, encodePayload({ nodes: [nodeToWire(nala)] })),
    ...encodeMessage(Signal.GET_NODE, 2, encodePayload({ label: 'lion' })),
    ...encodeMessage(Signal.GET_NODE, 3, encodePayload({ label: 'a b' })),
  ];
  const body = Array.from(batch.flatMap((c) => Array.from(c)));
  const reply = await page.evaluate(async (bytes) => {
    const r = await fetch('/wwatp', { method: 'POST', headers: { 'content-type': 'application/wwatp' }, body: new Uint8Array(bytes) });
    return { status: r.status, type: r.headers.get('content-type'), body: Array.from(new Uint8Array(await r.arrayBuffer())) };
  }, body);
  t.equal(reply.status, 200);
  t.equal(reply.type, 'application/wwatp');
  const assembler = new MessageAssembler(1 << 20);
  const messages = new ChunkReader().push(Uint8Array.from(reply.body)).map((c) => assembler.add(c)).filter((m) => m !== undefined);
  // Replies carry their request ids and may come in any order (docs/PROTOCOL.md §1).
  messages.sort((a, b) => a.requestId - b.requestId);
  t.same(messages.map((m) => [m.requestId, m.signal]), [[1, Signal.UPSERT_RESPONSE], [2, Signal.GET_NODE_RESPONSE], [3, Signal.ERROR]]);
  t.equal(decodePayload(messages[2]?.payload as Uint8Array)['code'], 'INVALID_LABEL');
  t.equal((await backend.getNode('lion/Nala'))?.description, 'sister', 'the browser wrote through HTTP/3');
});
