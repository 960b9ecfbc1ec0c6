/** Malformed request streams against H3Connection, over the in-memory QUIC pair. */
import t from 'tap';
import { memoryQuicPair, seededRandom } from './support/memory-quic.js';
import { h3RequestErrorSuite } from './support/h3-suite-request-errors.js';

t.test('memory, whole writes', async (t) => h3RequestErrorSuite(t, async () => memoryQuicPair()));
t.test('memory, 1-byte chunks', async (t) => h3RequestErrorSuite(t, async () => memoryQuicPair({ maxChunk: 1 })));
t.test('memory, random chunks', async (t) => h3RequestErrorSuite(t, async () => memoryQuicPair({ maxChunk: 5, random: seededRandom(3) })));
