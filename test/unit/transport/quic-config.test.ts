import t from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic } from '../../../src/transport/quic/index.js';
import { isLoopbackHost, LOOPBACK_UDP_PAYLOAD, TRANSPORT_DEFAULTS, udpPayloadFor } from '../../../src/transport/quic/config.js';

t.test('peers on this host get loopback-sized packets, everyone else Internet-sized ones', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) t.ok(isLoopbackHost(host), host);
  for (const host of ['10.0.0.1', '0.0.0.0', '::', '192.168.1.127', 'example.com', '1270.0.0.1']) t.notOk(isLoopbackHost(host), host);
  t.equal(udpPayloadFor('127.0.0.1'), LOOPBACK_UDP_PAYLOAD);
  t.equal(udpPayloadFor('0.0.0.0'), TRANSPORT_DEFAULTS.maxUdpPayload, 'a server on every interface may have remote peers');
  t.equal(udpPayloadFor('127.0.0.1', 1200), 1200, 'an explicit size wins');
  t.ok(LOOPBACK_UDP_PAYLOAD <= 16_384 - 48, 'fits macOS loopback (16 KiB MTU) with IPv6 and UDP headers');
});

t.test('a connection over loopback really sends loopback-sized packets', { timeout: 15_000 }, async (t) => {
  const dev = await createDevCertificate();
  const alpn = ['wwatp-test'];
  const received: number[] = [];
  const server = await listenQuic({ cert: dev.cert, key: dev.key, alpn, datagrams: true, onConnection: (c) => (c.onDatagram = (d) => received.push(d.length)) });
  t.teardown(() => server.close());
  const c = await connectQuic({ ...server.address, alpn, insecure: true, datagrams: true });
  t.teardown(() => c.close());
  const max = c.maxDatagramSize() ?? 0;
  t.ok(max > 10_000, `a datagram may be ${max} bytes, far over the Internet-safe 1350`);
  // Datagrams are unreliable (a busy host may drop one): send again, up to five times.
  for (let attempt = 0; attempt < 5 && received.length === 0; attempt++) {
    c.sendDatagram(new Uint8Array(10_000));
    const end = Date.now() + 1000;
    while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  }
  t.same(received.slice(0, 1), [10_000], 'and a 10,000-byte datagram arrives whole');
});
