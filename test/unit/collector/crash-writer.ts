/**
 * The process the collector crash test kills: 8 concurrent writers create records (so
 * writes share commits), printing "ack <id>" only after each create resolved, and
 * "ready" once open. stdout to a pipe is synchronous on Linux: a printed line is in the
 * pipe before the next write starts, so a SIGKILL cannot lose a printed acknowledgement.
 *   node --import tsx crash-writer.ts <dir> <tag>
 */
import { Collector, type CollectionStore } from '../../../src/collector/index.js';

const [dir, tag] = process.argv.slice(2);
if (!dir || !tag) throw new Error('usage: crash-writer <dir> <tag>');
const collector = await Collector.open({ dir });
await collector.repo.createCollection({ namespace: 'crash', name: 'records', messageType: 'json', indexedFields: ['w'] });
const store = (await collector.repo.collection('crash', 'records')) as CollectionStore;
process.stdout.write('ready\n');

let next = 0;
async function writer(w: number): Promise<never> {
  for (;;) {
    const id = `${tag}-w${w}-n${next++}`;
    await store.create({ id, json: { w, id, text: `record ${id}` } });
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
