/** GOAWAY, shutdown and extension hooks of H3Connection over the in-memory QUIC pair. */
import t from 'tap';
import { memoryQuicPair, seededRandom } from './support/memory-quic.js';
import { h3GoawaySuite } from './support/h3-suite-goaway.js';

t.test('memory, whole writes', async (t) => h3GoawaySuite(t, async () => memoryQuicPair()));
t.test('memory, random chunks', async (t) => h3GoawaySuite(t, async () => memoryQuicPair({ maxChunk: 4, random: seededRandom(5) })));
