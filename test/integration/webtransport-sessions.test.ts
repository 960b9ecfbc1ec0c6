import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/frontends/server/start-server.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { Signal } from '../../src/transport/wwatp/signals.js';
import { encodeVarint } from '../../src/transport/varint.js';
import { H3_ERROR } from '../../src/transport/h3/index.js';
import { CAPSULE, encodeCapsule, streamHeader, WebTransportStreamError, WT_BIDI_SIGNAL, WT_ERROR, type WebTransportSession } from '../../src/transport/webtransport/index.js';
import { collectBytes, connectWebTransportClient, within, type WtClient } from '../support/webtransport-client.js';
import { batchBytes, CountingBackend, decodeReplies, eventually, type Request } from '../support/webtransport-wwatp.js';

// Several WebTransport sessions on one connection, and malformed input, with our own
// client (Chromium gives every WebTransport its own connection and sends only well-formed bytes).
t.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'wwatp-wt-sessions-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const backend = new CountingBackend();
await backend.upsertNode([new TreeNode({ labelRule: 'lion', description: 'King of the jungle' })]);
const serverSessions: WebTransportSession[] = [];
const server = await startServer({
  backend,
  port: 0,
  certsDir: join(dir, 'certs'),
  onWebTransportSession: (wt) => {
    serverSessions.push(wt);
    wt.onDatagram = (payload) => wt.sendDatagram(Uint8Array.from([...payload].reverse()));
  },
});
t.teardown(() => server.close());
const baseListeners = backend.listeners.size;
const authority = `127.0.0.1:${server.port}`;

async function client(t: Test): Promise<WtClient> {
  const c = await connectWebTransportClient(server.port, server.certificateHash);
  t.teardown(() => c.close());
  return c;
}

async function exchange(session: WebTransportSession, requests: readonly Request[]): Promise<ReturnType<typeof decodeReplies>> {
  const stream = await session.openBidiStream();
  await stream.write(Uint8Array.from(batchBytes(requests)));
  await stream.end();
  return decodeReplies(await within(collectBytes(stream)));
}

t.test('two sessions on one connection are two WWATP sessions', async (t) => {
  const c = await client(t);
  const a = await within(c.wt.connect({ authority, path: '/wwatp', origin: 'http://localhost' }));
  const b = await within(c.wt.connect({ authority, path: '/wwatp?x=1' }));
  t.not(a.id, b.id);
  t.same(new Set(serverSessions.slice(-2).map((s) => s.id)), new Set([a.id, b.id]), 'the server has both, by CONNECT stream id');
  t.equal(serverSessions.at(-2)?.origin, 'http://localhost');
  const register: Request = [Signal.REGISTER_LISTENER, 1, { name: 'same', rule: 'lion', childNotify: false }];
  const [ra, rb] = await Promise.all([exchange(a, [register]), exchange(b, [register])]);
  t.equal(ra[0]?.signal, Signal.REGISTER_LISTENER_RESPONSE);
  t.equal(rb[0]?.signal, Signal.REGISTER_LISTENER_RESPONSE);
  t.equal(backend.listeners.size, baseListeners + 2, 'one listener per session');

  const serverA = serverSessions.findLast((s) => s.id === a.id) as WebTransportSession;
  await a.close({ code: 5, reason: 'a is done' });
  const info = await within(serverA.closed);
  t.same({ code: info.code, reason: info.reason, remote: info.remote }, { code: 5, reason: 'a is done', remote: true });
  t.ok(await eventually(() => backend.listeners.size === baseListeners + 1), 'only session a\'s listener went');
  t.equal((await within(a.closed)).remote, false);
  await t.rejects(a.openBidiStream(), { code: 'CLOSED' }, 'a closed session opens no streams');

  const got = await exchange(b, [[Signal.GET_NODE, 2, { label: 'lion' }]]);
  t.equal(got[0]?.signal, Signal.GET_NODE_RESPONSE, 'session b goes on');

  // A stream naming the closed session is refused at once with WT_SESSION_GONE.
  const stray = c.quic.openBidiStream();
  await stray.write(streamHeader(WT_BIDI_SIGNAL, a.id));
  await t.rejects(within(stray.read()), { code: 'PROTOCOL', applicationCode: WT_ERROR.SESSION_GONE });

  await b.close();
  t.ok(await eventually(() => backend.listeners.size === baseListeners));
});

t.test('datagrams both ways, and a server-initiated close reaches the client', async (t) => {
  const c = await client(t);
  const s = await within(c.wt.connect({ authority, path: '/wwatp' }));
  t.ok((s.maxDatagramSize() ?? 0) > 1000);
  const echo = new Promise<Uint8Array>((resolve) => {
    s.onDatagram = resolve;
  });
  const timer = setInterval(() => s.sendDatagram(Uint8Array.from([1, 2, 3])), 100);
  s.sendDatagram(Uint8Array.from([1, 2, 3]));
  try {
    t.same([...(await within(echo))], [3, 2, 1], 'the server got ours and answered');
  } finally {
    clearInterval(timer);
  }
  const serverSide = serverSessions.findLast((x) => x.id === s.id) as WebTransportSession;
  const open = await s.openBidiStream();
  await serverSide.close({ code: 0xffffffff, reason: 'é'.repeat(600) });
  const info = await within(s.closed);
  t.equal(info.code, 0xffffffff);
  t.equal(Buffer.byteLength(info.reason), 1024, 'the reason was cut to 1024 bytes, on a character boundary');
  t.equal(info.remote, true);
  await t.rejects(open.write(Uint8Array.of(1)), { code: 'CLOSED' }, 'its open streams end with it');
});

t.test('a malformed CONNECT stream fails that session alone', async (t) => {
  const c = await client(t);
  const good = await within(c.wt.connect({ authority, path: '/wwatp' }));
  const bad = await c.h3.openRequest([
    [':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'], [':authority', authority], [':path', '/wwatp'],
  ]);
  const response = await within(bad.response);
  t.equal(response.status, 200);
  t.equal(response.header('sec-webtransport-http3-draft'), 'draft02');
  const badSession = await within((async () => {
    for (;;) {
      const found = serverSessions.findLast((s) => s.id === bad.stream.id && s.closeInfo === undefined);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
  })());
  // A close capsule too short to hold its error code.
  await bad.writer.write(encodeCapsule(CAPSULE.CLOSE_WEBTRANSPORT_SESSION, Uint8Array.of(1, 2)));
  const info = await within(badSession.closed);
  t.equal(info.error?.code, 'PROTOCOL', 'the server saw a malformed capsule');
  await t.rejects(within(collectBytes(response.body)), { code: 'PROTOCOL', h3Code: H3_ERROR.H3_MESSAGE_ERROR }, 'and reset that CONNECT stream');
  const got = await exchange(good, [[Signal.GET_NODE, 1, { label: 'lion' }]]);
  t.equal(got[0]?.signal, Signal.GET_NODE_RESPONSE, 'the other session on the connection goes on');

  // A WWATP-level malformed stream ends alone too.
  const garbage = await good.openBidiStream();
  await garbage.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1));
  await garbage.end();
  t.equal(decodeReplies(await within(collectBytes(garbage)))[0]?.signal, Signal.ERROR);
  t.equal((await exchange(good, [[Signal.GET_NODE, 2, { label: 'lion' }]]))[0]?.signal, Signal.GET_NODE_RESPONSE);
  await good.close();
});

t.test('refusals: wrong path, aborted streams, a session id that cannot be one', async (t) => {
  const c = await client(t);
  await t.rejects(c.wt.connect({ authority, path: '/elsewhere' }), { code: 'UNAVAILABLE', message: /HTTP 404/ });
  const s = await within(c.wt.connect({ authority, path: '/wwatp' }));
  const serverSide = serverSessions.findLast((x) => x.id === s.id) as WebTransportSession;
  const taken = new Promise<WebTransportStreamError>((resolve) => {
    serverSide.onUniStream = (stream) => void collectBytes(stream).catch(resolve);
  });
  const uni = await s.openUniStream();
  await uni.write(Uint8Array.of(1, 2, 3));
  await new Promise((r) => setTimeout(r, 100)); // let the header arrive before the reset
  uni.reset(1234);
  const err = await within(taken);
  t.ok(err instanceof WebTransportStreamError);
  t.equal(err.applicationCode, 1234, 'the application code survives the HTTP/3 mapping');

  const other = await client(t);
  const raw = other.quic.openBidiStream();
  await raw.write(Uint8Array.from([...encodeVarint(WT_BIDI_SIGNAL), ...encodeVarint(2)]));
  const closed = await within(other.quic.closed);
  t.same({ remote: closed.remote, code: closed.code }, { remote: true, code: H3_ERROR.H3_ID_ERROR }, 'session id 2 closes the connection with H3_ID_ERROR');
  t.equal((await exchange(s, [[Signal.GET_NODE, 1, { label: 'lion' }]]))[0]?.signal, Signal.GET_NODE_RESPONSE, 'other connections are untouched');
  await s.close();
});

t.test('a stream that comes before its CONNECT waits for it; one for no session is refused', async (t) => {
  const c = await client(t);
  // Our next request stream is the raw one plus 4: name it before it exists.
  const early = c.quic.openBidiStream();
  await early.write(Uint8Array.from([...streamHeader(WT_BIDI_SIGNAL, early.id + 4), ...batchBytes([[Signal.GET_NODE, 1, { label: 'lion' }]])]));
  await early.end();
  const orphan = c.quic.openBidiStream();
  await orphan.write(streamHeader(WT_BIDI_SIGNAL, 4000));
  const s = await within(c.wt.connect({ authority, path: '/wwatp' }));
  t.equal(s.id, early.id + 8, 'the CONNECT came after both');
  t.not(s.id, early.id + 4);
  // Session early.id + 4 is the orphan's own stream, never a CONNECT: it times out too.
  const started = Date.now();
  await t.rejects(within(collectBytes(early), 6000), { code: 'PROTOCOL', applicationCode: WT_ERROR.BUFFERED_STREAM_REJECTED });
  await t.rejects(within(orphan.read(), 6000), { code: 'PROTOCOL', applicationCode: WT_ERROR.BUFFERED_STREAM_REJECTED });
  t.ok(Date.now() - started > 2000, 'after waiting a while for the session');

  const c2 = await client(t);
  const early2 = c2.quic.openBidiStream();
  await early2.write(Uint8Array.from([...streamHeader(WT_BIDI_SIGNAL, early2.id + 4), ...batchBytes([[Signal.GET_NODE, 1, { label: 'lion' }]])]));
  await early2.end();
  const s2 = await within(c2.wt.connect({ authority, path: '/wwatp' }));
  t.equal(s2.id, early2.id + 4);
  t.equal(decodeReplies(await within(collectBytes(early2)))[0]?.signal, Signal.GET_NODE_RESPONSE, 'the early stream was served once its session opened');
  await Promise.all([s.close(), s2.close()]);
});
