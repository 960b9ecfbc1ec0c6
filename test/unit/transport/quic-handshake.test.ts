import dgram from 'node:dgram';
import t, { type Test } from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic, type QuicServer } from '../../../src/transport/quic/index.js';

const dev = await createDevCertificate();
const other = await createDevCertificate();
const ALPN = ['wwatp-test'];

async function server(t: Test): Promise<QuicServer> {
  const s = await listenQuic({ cert: dev.cert, key: dev.key, alpn: ALPN, onConnection: () => {} });
  t.teardown(() => s.close());
  return s;
}

t.test('pinned certificate hash: accepted when it matches', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  const c = await connectQuic({ ...s.address, alpn: ALPN, certificateHash: dev.sha256 });
  t.equal(c.alpn, 'wwatp-test');
  t.equal(c.peerCertificates().length, 1);
  t.same(c.remoteAddress, s.address);
  await c.close();
});

t.test('pinned certificate hash: colons and upper case are fine', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  const pin = dev.sha256.toUpperCase().replace(/(..)(?!$)/g, '$1:');
  const c = await connectQuic({ ...s.address, alpn: ALPN, certificateHash: pin });
  await c.close();
  t.pass();
});

t.test('pinned certificate hash: a wrong one is refused', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  await t.rejects(connectQuic({ ...s.address, alpn: ALPN, certificateHash: other.sha256 }), {
    code: 'PROTOCOL',
    message: /certificate hash mismatch/,
  });
  await t.rejects(connectQuic({ ...s.address, alpn: ALPN, certificateHash: 'abc' }), { code: 'MALFORMED' });
});

t.test('CA: the dev certificate is its own CA, by IP address and by name', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  const byIp = await connectQuic({ ...s.address, alpn: ALPN, ca: dev.cert });
  await byIp.close();
  const byName = await connectQuic({ host: 'localhost', port: s.address.port, alpn: ALPN, ca: dev.cert });
  await byName.close();
  const withServerName = await connectQuic({ ...s.address, serverName: 'localhost', alpn: ALPN, ca: dev.cert });
  await withServerName.close();
  t.pass();
});

t.test('CA: another CA, or a name the certificate lacks, is refused', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  await t.rejects(connectQuic({ ...s.address, alpn: ALPN, ca: other.cert }), { code: 'PROTOCOL', message: /unknown CA/ });
  await t.rejects(connectQuic({ ...s.address, serverName: 'example.com', alpn: ALPN, ca: dev.cert }), { code: 'PROTOCOL' });
  const narrow = await createDevCertificate({ hosts: ['localhost'] });
  const s2 = await listenQuic({ cert: narrow.cert, key: narrow.key, alpn: ALPN, onConnection: () => {} });
  t.teardown(() => s2.close());
  await t.rejects(connectQuic({ ...s2.address, alpn: ALPN, ca: narrow.cert }), { code: 'PROTOCOL', message: /not valid for 127\.0\.0\.1/ });
});

t.test('no way to verify the server: refused before any packet', async (t) => {
  await t.rejects(connectQuic({ host: '127.0.0.1', port: 9, alpn: ALPN }), {
    code: 'PROTOCOL',
    message: 'no way to verify the server: give ca, certificateHash or insecure',
  });
});

t.test('insecure: anything goes', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  const c = await connectQuic({ ...s.address, alpn: ALPN, insecure: true });
  t.equal(c.alpn, 'wwatp-test');
  await c.close();
});

t.test('no common ALPN: the handshake fails', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  await t.rejects(connectQuic({ ...s.address, alpn: ['h3'], insecure: true }), { code: 'PROTOCOL', message: /ALPN/ });
});

t.test('handshake timeout: UNAVAILABLE', { timeout: 10_000 }, async (t) => {
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => silent.close());
  const started = Date.now();
  await t.rejects(connectQuic({ host: '127.0.0.1', port: silent.address().port, alpn: ALPN, insecure: true, handshakeTimeoutMs: 300 }), {
    code: 'UNAVAILABLE',
  });
  t.ok(Date.now() - started < 3000, 'gave up promptly');
});

t.test('nobody listening: UNAVAILABLE', { timeout: 10_000 }, async (t) => {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  await t.rejects(connectQuic({ host: '127.0.0.1', port, alpn: ALPN, insecure: true, handshakeTimeoutMs: 2000 }), { code: 'UNAVAILABLE' });
});

t.test('an unknown QUIC version gets a Version Negotiation packet', { timeout: 10_000 }, async (t) => {
  const s = await server(t);
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const packet = Buffer.alloc(1200);
  packet[0] = 0xc0; // long header, fixed bit
  packet.writeUInt32BE(0x1a2a3a4a, 1); // a reserved (greasing) version
  packet[5] = 8; // dcid length
  packet.fill(7, 6, 14);
  packet[14] = 8; // scid length
  packet.fill(9, 15, 23);
  const reply = new Promise<Buffer>((r) => sock.once('message', r));
  sock.send(packet, s.address.port, '127.0.0.1');
  const vn = await reply;
  t.equal(vn.readUInt32BE(1), 0, 'version 0 marks Version Negotiation');
  t.same([...vn.subarray(6, 14)], new Array(8).fill(9), 'echoes our source id as its destination');
});

t.test('IPv6 loopback, the IP checked against the certificate', { timeout: 10_000 }, async (t) => {
  const s = await listenQuic({ host: '::1', cert: dev.cert, key: dev.key, alpn: ALPN, onConnection: () => {} });
  t.teardown(() => s.close());
  t.equal(s.address.host, '::1');
  const c = await connectQuic({ host: '::1', port: s.address.port, alpn: ALPN, ca: dev.cert });
  t.same(c.remoteAddress, s.address);
  await c.close();
});
