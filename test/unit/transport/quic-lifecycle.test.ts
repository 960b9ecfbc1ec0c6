import dgram from 'node:dgram';
import t from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic, type QuicConnection } from '../../../src/transport/quic/index.js';

const dev = await createDevCertificate();
const ALPN = ['wwatp-test'];
const enc = new TextEncoder();
const dec = new TextDecoder();

function echo(c: QuicConnection): void {
  c.onStream = async (s) => {
    if (s.kind !== 'bidi') return;
    for await (const chunk of s) await s.write(chunk);
    await s.end();
  };
}

async function roundTrip(c: QuicConnection, text: string): Promise<string> {
  const s = c.openBidiStream();
  await s.write(enc.encode(text));
  await s.end();
  const parts: Uint8Array[] = [];
  for await (const p of s) parts.push(p);
  return dec.decode(Buffer.concat(parts));
}

t.test('50 connections share one server socket', { timeout: 60_000 }, async (t) => {
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, onConnection: echo });
  t.teardown(() => server.close());
  const clients = await Promise.all(Array.from({ length: 50 }, () => connectQuic({ ...server.address, alpn: ALPN, insecure: true })));
  t.equal(server.connectionCount, 50);
  const answers = await Promise.all(clients.map((c, i) => roundTrip(c, `client ${i}`)));
  t.same(answers, clients.map((_, i) => `client ${i}`));
  await Promise.all(clients.map((c) => c.close()));
});

t.test('idle timeout closes both ends with timedOut', { timeout: 15_000 }, async (t) => {
  let serverSide!: (c: QuicConnection) => void;
  const sc = new Promise<QuicConnection>((r) => (serverSide = r));
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, idleTimeoutMs: 400, onConnection: (c) => serverSide(c) });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true, idleTimeoutMs: 400 });
  const stream = c.openBidiStream();
  const started = Date.now();
  const info = await c.closed;
  t.match(info, { timedOut: true, remote: true });
  t.ok(Date.now() - started < 5000, 'within a few idle periods');
  t.match(await (await sc).closed, { timedOut: true });
  await t.rejects(stream.read(), { code: 'CLOSED' }, 'streams fail with the connection');
  t.throws(() => c.openBidiStream(), { code: 'CLOSED' });
});

t.test('a graceful close is seen by the peer with its code and reason', { timeout: 15_000 }, async (t) => {
  let serverSide!: (c: QuicConnection) => void;
  const sc = new Promise<QuicConnection>((r) => (serverSide = r));
  const server = await listenQuic({
    cert: dev.cert,
    key: dev.key,
    alpn: ALPN,
    onConnection: (c) => {
      echo(c);
      serverSide(c);
    },
  });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  const s = await sc;
  t.equal(await roundTrip(c, 'warm-up'), 'warm-up');
  await c.close({ code: 0x100, reason: 'done here' });
  t.match(await c.closed, { remote: false, app: true, code: 0x100, reason: 'done here', timedOut: false });
  t.match(await s.closed, { remote: true, app: true, code: 0x100, reason: 'done here', timedOut: false });
});

t.test('server.close() closes its connections with code 0, seen by the clients', { timeout: 15_000 }, async (t) => {
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, onConnection: echo });
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  t.equal(await roundTrip(c, 'before'), 'before');
  await server.close();
  t.match(await c.closed, { remote: true, app: true, code: 0, timedOut: false });
  t.equal(server.connectionCount, 0);
});

t.test('garbage UDP to the server is ignored; other connections keep working', { timeout: 15_000 }, async (t) => {
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, onConnection: echo });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  t.teardown(() => c.close());
  const junk = dgram.createSocket('udp4');
  t.teardown(() => junk.close());
  const send = (bytes: Buffer): Promise<void> =>
    new Promise((r) => junk.send(bytes, server.address.port, '127.0.0.1', () => r()));
  await send(Buffer.from('not quic at all'));
  await send(Buffer.alloc(0));
  await send(Buffer.alloc(1500, 0xff)); // long header bits set, nonsense inside
  const shortHeader = Buffer.alloc(1200, 0x41);
  shortHeader[0] = 0x40;
  await send(shortHeader); // a short header for no connection of ours
  const fakeInitial = Buffer.alloc(1200);
  fakeInitial[0] = 0xc0;
  fakeInitial.writeUInt32BE(1, 1);
  fakeInitial[5] = 8;
  await send(fakeInitial); // an Initial whose crypto is garbage
  t.equal(await roundTrip(c, 'still here'), 'still here');
  const c2 = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  t.equal(await roundTrip(c2, 'newcomer'), 'newcomer');
  await c2.close();
});
