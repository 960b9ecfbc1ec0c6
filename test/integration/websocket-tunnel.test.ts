import t from 'tap';
import { encodeMessage } from '../../src/transport/wwatp/chunk-codec.js';
import { decodePayload, encodePayload } from '../../src/transport/wwatp/payloads.js';
import { Signal } from '../../src/transport/wwatp/signals.js';
import { encodeWsFrame, WS_FLAG_FIN, WS_FLAG_RESET, WsCloseCode } from '../../src/transport/wwatp/ws-mux.js';
import { ChunkReader } from '../../src/transport/wwatp/chunk-codec.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevCertificate } from '../../src/transport/certs/index.js';
import { Closer, tempDir, blobNode, eventLog, sha256, textNode, textOf, until, within } from '../support/transport-env.js';
import { concat, RawTunnel, serveWeb, wsClient } from '../support/web-env.js';

const heartbeat = (requestId: number): Uint8Array => concat(encodeMessage(Signal.HEARTBEAT, requestId, encodePayload({})));

/** The signals of the replies in `frames`' bytes. */
function replySignals(frames: readonly { payload: Uint8Array }[]): number[] {
  return new ChunkReader().push(concat(frames.map((f) => f.payload))).map((c) => c.signal);
}

t.test('a raw tunnel stream: one batch in, its replies out, FIN both ways', async (t) => {
  const closer = new Closer(t);
  const server = await serveWeb(t, closer);
  const raw = await RawTunnel.open(closer, server.wsUrl);
  // A batch split over two frames, FIN on the second.
  const batch = concat([heartbeat(1), heartbeat(2)]);
  raw.send(encodeWsFrame(0, 0, batch.subarray(0, 5)));
  raw.send(encodeWsFrame(0, WS_FLAG_FIN, batch.subarray(5)));
  const frames = await raw.streamUntilEnd(0);
  t.same(replySignals(frames), [Signal.HEARTBEAT_RESPONSE, Signal.HEARTBEAT_RESPONSE]);
  // The next stream is 2; a bad WWATP chunk inside it fails that stream alone (PROTOCOL), not the socket.
  raw.send(encodeWsFrame(2, WS_FLAG_FIN, Uint8Array.of(0x07, 0x01, 0xf0, 0x00)));
  const bad = await raw.streamUntilEnd(2);
  const chunk = new ChunkReader().push(concat(bad.map((f) => f.payload)))[0];
  t.equal(chunk?.signal, Signal.ERROR);
  t.equal(decodePayload(chunk?.payload ?? new Uint8Array(0))['code'], 'PROTOCOL');
  raw.send(encodeWsFrame(4, WS_FLAG_FIN, heartbeat(3)));
  t.same(replySignals(await raw.streamUntilEnd(4)), [Signal.HEARTBEAT_RESPONSE], 'the socket still works after a bad stream');
  // A client RESET ends a stream; frames straggling after it are dropped quietly.
  raw.send(encodeWsFrame(6, 0, heartbeat(4).subarray(0, 2)));
  raw.send(encodeWsFrame(6, WS_FLAG_RESET, new TextEncoder().encode('changed my mind')));
  raw.send(encodeWsFrame(6, WS_FLAG_FIN, heartbeat(4).subarray(2)));
  raw.send(encodeWsFrame(8, WS_FLAG_FIN, heartbeat(5)));
  t.same(replySignals(await raw.streamUntilEnd(8)), [Signal.HEARTBEAT_RESPONSE]);
  t.equal(raw.ws.readyState, raw.ws.OPEN);
});

const MALFORMED: Array<{ name: string; send: (raw: RawTunnel) => void; code: number; reason: RegExp }> = [
  { name: 'a text message', send: (r) => r.send('hello'), code: WsCloseCode.UNSUPPORTED, reason: /text messages/ },
  { name: 'an empty message', send: (r) => r.send(new Uint8Array(0)), code: WsCloseCode.PROTOCOL, reason: /shorter than its header/ },
  { name: 'a truncated stream id', send: (r) => r.send(Uint8Array.of(0x40)), code: WsCloseCode.PROTOCOL, reason: /shorter than its header/ },
  { name: 'unknown flag bits', send: (r) => r.send(encodeWsFrame(0, 0x04, heartbeat(1))), code: WsCloseCode.PROTOCOL, reason: /unknown flag bits 0x4/ },
  { name: 'an odd stream id', send: (r) => r.send(encodeWsFrame(1, WS_FLAG_FIN, heartbeat(1))), code: WsCloseCode.PROTOCOL, reason: /odd/ },
  { name: 'a stream id that skips ahead', send: (r) => r.send(encodeWsFrame(4, WS_FLAG_FIN, heartbeat(1))), code: WsCloseCode.PROTOCOL, reason: /skips ahead \(expected 0\)/ },
  {
    name: 'data after FIN',
    send: (r) => {
      r.send(encodeWsFrame(0, 0, heartbeat(1).subarray(0, 1)));
      r.send(encodeWsFrame(0, WS_FLAG_FIN, heartbeat(1).subarray(1)));
      r.send(encodeWsFrame(0, 0, heartbeat(2)));
    },
    code: WsCloseCode.PROTOCOL,
    reason: /after its FIN/,
  },
  { name: 'a stream id over 2^53', send: (r) => r.send(concat([Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), Uint8Array.of(0)])), code: WsCloseCode.PROTOCOL, reason: /2\^53/ },
  { name: 'a frame over the size limit', send: (r) => r.send(encodeWsFrame(0, 0, new Uint8Array(2 * 1024 * 1024))), code: WsCloseCode.TOO_BIG, reason: /^/ },
];

t.test('malformed frames close only that WebSocket; another client keeps working', async (t) => {
  const closer = new Closer(t);
  const server = await serveWeb(t, closer);
  const steady = await wsClient(closer, server);
  const writer = await wsClient(closer, server);
  const log = eventLog();
  steady.registerNodeListener('watch', 'zoo', true, log.listener);
  await steady.processNotifications();
  for (const [i, bad] of MALFORMED.entries()) {
    const raw = await RawTunnel.open(closer, server.wsUrl);
    bad.send(raw);
    const closed = await within(raw.closed, 5000, `close after ${bad.name}`);
    t.equal(closed.code, bad.code, `${bad.name}: close code ${bad.code}`);
    t.match(closed.reason, bad.reason, `${bad.name}: reason "${closed.reason}"`);
    await writer.upsertNode([textNode(`zoo/n${i}`, `after ${bad.name}`)]);
    t.equal(textOf(await steady.getNode(`zoo/n${i}`)), `after ${bad.name}`, `${bad.name}: the other clients carry on`);
  }
  await until(() => log.events.length === MALFORMED.length, 5000, 'listener events');
  t.equal(log.events.length, MALFORMED.length, 'the listener saw every write');
  t.equal(steady.connected, true);
});

t.test('large nodes cross the tunnel in many frames, both ways, with backpressure', async (t) => {
  const closer = new Closer(t);
  const server = await serveWeb(t, closer);
  const a = await wsClient(closer, server);
  const b = await wsClient(closer, server, { cacheSize: 0 });
  const nodes = [blobNode('big/one', 5 * 1024 * 1024 + 3, 1), blobNode('big/two', 3 * 1024 * 1024, 2)];
  await a.upsertNode(nodes);
  for (const node of nodes) {
    const read = await b.getNode(node.labelRule);
    t.equal(sha256(read?.getProperty('data') as Uint8Array), sha256(node.getProperty('data') as Uint8Array), `${node.labelRule} arrived whole`);
  }
  const tree = await b.getFullTree();
  t.equal(tree.length, 2);
});

t.test('HTTP side: /wwatp-info, the tunnel path, other upgrades, cross-origin pages, static files', async (t) => {
  const closer = new Closer(t);
  const server = await serveWeb(t, closer);
  const info = (await (await fetch(`${server.httpBase}/wwatp-info`)).json()) as Record<string, unknown>;
  t.same(info, {
    webTransportUrl: `https://127.0.0.1:${server.port}/wwatp`,
    certificateHash: server.certificateHash,
    certificateHashBytes: Array.from(Buffer.from(server.certificateHash, 'hex')),
    webSocketPath: '/wwatp-ws',
    quicPort: server.port,
  });
  const tunnelGet = await fetch(`${server.httpBase}/wwatp-ws`);
  t.equal(tunnelGet.status, 426, 'a plain GET of the tunnel path asks for an upgrade');
  await t.rejects(RawTunnel.open(closer, `ws://127.0.0.1:${server.httpPort}/elsewhere`), { message: /404/ });
  await t.rejects(RawTunnel.open(closer, server.wsUrl, { origin: 'https://evil.example' }), { message: /403/ }, 'another site cannot use the tunnel');
  const same = await RawTunnel.open(closer, server.wsUrl, { origin: server.httpBase });
  same.send(encodeWsFrame(0, WS_FLAG_FIN, heartbeat(1)));
  t.same(replySignals(await same.streamUntilEnd(0)), [Signal.HEARTBEAT_RESPONSE], 'a page of the same origin can');
  const home = await fetch(`${server.httpBase}/`);
  t.equal(home.status, 200);
  t.match(home.headers.get('content-type'), /text\/html/);
  t.equal((await fetch(`${server.httpBase}/no-such-file.js`)).status, 404);
  t.equal((await fetch(`${server.httpBase}/%2e%2e/%2e%2e/etc/passwd`)).status, 404);
});

t.test('/wwatp-info follows the development certificate when it is renewed', async (t) => {
  const closer = new Closer(t);
  // A certificate due for renewal (2 days before expiry) about 3 s from now.
  const certsDir = tempDir(t, 'wwatp-renew-');
  const short = await createDevCertificate({ days: (2 * 86_400_000 + 63_000) / 86_400_000 });
  writeFileSync(join(certsDir, 'cert.pem'), short.cert);
  writeFileSync(join(certsDir, 'key.pem'), short.key, { mode: 0o600 });
  const server = await serveWeb(t, closer, { certsDir });
  const hashNow = async (): Promise<string> => ((await (await fetch(`${server.httpBase}/wwatp-info`)).json()) as { certificateHash: string }).certificateHash;
  t.equal(await hashNow(), short.sha256, 'the info names the certificate in use');
  const deadline = Date.now() + 15_000;
  while (server.certificateHash === short.sha256 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.not(server.certificateHash, short.sha256, 'the server renewed its certificate');
  t.equal(await hashNow(), server.certificateHash, 'and /wwatp-info tells browsers the new hash');
});

t.test('a client whose server goes away fails its work with UNAVAILABLE', async (t) => {
  const closer = new Closer(t);
  const server = await serveWeb(t, closer);
  const states: string[] = [];
  const client = await wsClient(closer, server, { reconnect: false, onState: (s) => states.push(s) });
  await client.upsertNode([textNode('a', 'one')]);
  await server.close();
  await until(() => states.includes('closed'), 5000, 'the client to notice');
  t.same(states, ['connected', 'closed']);
  await t.rejects(client.getNode('b'), { code: 'UNAVAILABLE' });
});

t.test('a tunnel client reconnects when the server comes back on the same port', async (t) => {
  const closer = new Closer(t);
  const first = await serveWeb(t, closer);
  const states: string[] = [];
  // No cache: the memory tree's journal restarts with the server, so cached reads could not be trusted to resume.
  const client = await wsClient(closer, first, { cacheSize: 0, onState: (s) => states.push(s) });
  const log = eventLog();
  client.registerNodeListener('kept', 'kept', false, log.listener);
  await client.upsertNode([textNode('kept', 'before')]);
  await client.processNotifications();
  await first.close();
  await until(() => states.includes('reconnecting'), 5000, 'the drop');
  const second = await serveWeb(t, closer, { backend: first.backend, httpPort: first.httpPort, certsDir: first.certsDir });
  await within(client.whenConnected(), 10_000, 'reconnecting');
  t.same(states, ['connected', 'reconnecting', 'connected']);
  const other = await wsClient(closer, second);
  await other.upsertNode([textNode('kept', 'after')]);
  t.equal(textOf(await within(client.getNode('kept'), 5000, 'read')), 'after', 'the reconnected client reads through the new server');
  await until(() => log.events.includes('kept=after'), 5000, 'the re-registered listener');
  t.same(log.events, ['kept=before', 'kept=after'], 'its listener was registered again on the new session');
});
