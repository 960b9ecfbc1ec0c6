/**
 * H3Connection request/response behaviour over the in-memory QUIC pair, with several
 * fault profiles. The same suite runs over real QUIC by passing another MakePair.
 */
import t from 'tap';
import { memoryQuicPair, seededRandom } from './support/memory-quic.js';
import type { MakePair } from './support/h3-harness.js';
import { h3BasicSuite, type BasicSuiteOptions } from './support/h3-suite-basic.js';

const profiles: [string, MakePair, BasicSuiteOptions][] = [
  ['memory, whole writes', async () => memoryQuicPair(), {}],
  // Every frame split at random places; bodies smaller so a million tiny chunks stay quick.
  ['memory, random chunks up to 7 bytes, 16 KiB window', async () => memoryQuicPair({ maxChunk: 7, random: seededRandom(1), window: 16 * 1024 }), { largeBody: 256 * 1024 }],
  ['memory, random chunks up to 1500 bytes', async () => memoryQuicPair({ maxChunk: 1500, random: seededRandom(2) }), {}],
];

for (const [name, makePair, options] of profiles) {
  t.test(name, async (t) => h3BasicSuite(t, makePair, options));
}
