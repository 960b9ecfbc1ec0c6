/** Critical streams of H3Connection over the in-memory QUIC pair. */
import t from 'tap';
import { memoryQuicPair, seededRandom } from './support/memory-quic.js';
import { h3ControlSuite } from './support/h3-suite-control.js';
import { closeBoth, closedWithin, RawPeer, settingsFrame } from './support/h3-harness.js';
import { H3Connection } from '../../../src/transport/h3/connection.js';
import { H3_ERROR } from '../../../src/transport/h3/errors.js';

t.test('memory, whole writes', async (t) => h3ControlSuite(t, async () => memoryQuicPair()));
t.test('memory, random chunks', async (t) => h3ControlSuite(t, async () => memoryQuicPair({ maxChunk: 3, random: seededRandom(4) })));

t.test('H3_DATAGRAM=1 over QUIC without datagrams is H3_SETTINGS_ERROR (RFC 9297 §2.1.1)', async (t) => {
  const quic = memoryQuicPair({ datagrams: false });
  const server = new H3Connection(quic.server, { role: 'server' });
  await server.start();
  try {
    await new RawPeer(quic.client).handshake(settingsFrame([[0x33, 1]]));
    const info = await closedWithin(quic.client);
    t.equal(info.code, H3_ERROR.H3_SETTINGS_ERROR);
  } finally {
    await closeBoth(quic);
  }
});
