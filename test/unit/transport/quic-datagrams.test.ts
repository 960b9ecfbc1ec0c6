import t from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic, type QuicConnection } from '../../../src/transport/quic/index.js';

const dev = await createDevCertificate();
const ALPN = ['wwatp-test'];
const enc = new TextEncoder();
const dec = new TextDecoder();

t.test('datagrams both ways', { timeout: 15_000 }, async (t) => {
  const server = await listenQuic({
    cert: dev.cert,
    key: dev.key,
    alpn: ALPN,
    datagrams: true,
    onConnection: (c) => {
      c.onDatagram = (d) => c.sendDatagram(enc.encode(`echo ${dec.decode(d)}`));
    },
  });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true, datagrams: true });
  t.teardown(() => c.close());
  const max = c.maxDatagramSize();
  t.ok(max !== undefined && max > 1000, `room for a datagram (${max} bytes)`);
  const got: string[] = [];
  const all = new Promise<void>((resolve) => {
    c.onDatagram = (d) => {
      got.push(dec.decode(d));
      if (got.length === 10) resolve();
    };
  });
  // Unreliable in principle; on loopback with no congestion they all arrive. Resend
  // what is missing a few times so a stray drop on a busy machine cannot fail the test.
  for (let round = 0; round < 5 && got.length < 10; round++) {
    for (let i = 0; i < 10; i++) if (!got.includes(`echo ${i}`)) c.sendDatagram(enc.encode(String(i)));
    await Promise.race([all, new Promise((r) => setTimeout(r, 500))]);
  }
  t.same([...new Set(got)].sort(), Array.from({ length: 10 }, (_, i) => `echo ${i}`).sort());
  t.throws(() => c.sendDatagram(new Uint8Array((max ?? 0) + 1)), { code: 'TOO_LARGE' });
});

t.test('datagrams off: maxDatagramSize is undefined and sending throws UNSUPPORTED', { timeout: 15_000 }, async (t) => {
  let serverConn!: (c: QuicConnection) => void;
  const sc = new Promise<QuicConnection>((r) => (serverConn = r));
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, datagrams: true, onConnection: (c) => serverConn(c) });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn: ALPN, insecure: true });
  t.teardown(() => c.close());
  t.equal(c.maxDatagramSize(), undefined);
  t.throws(() => c.sendDatagram(enc.encode('x')), { code: 'UNSUPPORTED' });
  const s = await sc;
  t.throws(() => s.sendDatagram(enc.encode('x')), { code: 'UNSUPPORTED' }, 'the server sees the client does not accept them');
});
