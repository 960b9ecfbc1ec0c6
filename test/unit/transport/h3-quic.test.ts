/**
 * The HTTP/3 suites over the real quiche-backed QUIC layer on loopback (the in-memory
 * pair runs them again under adversarial chunk boundaries, a fault injected on purpose).
 */
import t from 'tap';
import { createDevCertificate } from '../../../src/transport/certs/index.js';
import { connectQuic, listenQuic } from '../../../src/transport/quic/index.js';
import type { QuicConnection } from '../../../src/transport/quic/types.js';
import type { MakePair } from './support/h3-harness.js';
import { h3BasicSuite } from './support/h3-suite-basic.js';
import { h3ControlSuite } from './support/h3-suite-control.js';
import { h3GoawaySuite } from './support/h3-suite-goaway.js';
import { h3RequestErrorSuite } from './support/h3-suite-request-errors.js';

const dev = await createDevCertificate();
const accepted: ((connection: QuicConnection) => void)[] = [];
const server = await listenQuic({
  cert: dev.cert, key: dev.key, alpn: ['h3'], datagrams: true, onConnection: (c) => accepted.shift()?.(c),
});
t.teardown(() => server.close());
const makePair: MakePair = async () => {
  const serverSide = new Promise<QuicConnection>((resolve) => accepted.push(resolve));
  const client = await connectQuic({ ...server.address, alpn: ['h3'], certificateHash: dev.sha256, datagrams: true });
  return { client, server: await serverSide };
};
t.test('basic over QUIC', async (t) => h3BasicSuite(t, makePair));
t.test('control streams over QUIC', async (t) => h3ControlSuite(t, makePair));
t.test('request errors over QUIC', async (t) => h3RequestErrorSuite(t, makePair));
t.test('GOAWAY and extensions over QUIC', async (t) => h3GoawaySuite(t, makePair));
