/**
 * The HTTP/3 suites over the quiche-backed QUIC layer on loopback, instead of the
 * in-memory pair. Opt-in while that layer settles: WWATP_H3_OVER_QUIC=1 npx tap
 * test/unit/transport/h3-quic.test.ts (SUITES=basic,control,errors,goaway to choose).
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

if (process.env.WWATP_H3_OVER_QUIC !== '1') {
  t.pass('skipped: set WWATP_H3_OVER_QUIC=1 to run the HTTP/3 suites over real QUIC');
} else {
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
  const suites = new Set((process.env.SUITES ?? 'basic,control,errors,goaway').split(','));
  if (suites.has('basic')) t.test('basic over QUIC', async (t) => h3BasicSuite(t, makePair));
  if (suites.has('control')) t.test('control streams over QUIC', async (t) => h3ControlSuite(t, makePair));
  if (suites.has('errors')) t.test('request errors over QUIC', async (t) => h3RequestErrorSuite(t, makePair));
  if (suites.has('goaway')) t.test('GOAWAY and extensions over QUIC', async (t) => h3GoawaySuite(t, makePair));
}
