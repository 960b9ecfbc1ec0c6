import t from 'tap';
import { CollectorBackend } from '../../../src/collector/tree/collector-backend.js';
import { collectionNodeFor, fresh, recordNodeFor } from './env.js';

t.test('concurrent writers through two tree views of one Collector', async (t) => {
  const { backend: a, collector } = await fresh(t);
  const b = new CollectorBackend(collector);
  t.teardown(() => b.close());
  await a.upsertNode([collectionNodeFor('acme/log', 'json', { indexedFields: ['n'] })]);
  const seenByB: string[] = [];
  b.registerNodeListener('b', 'acme/log/*', false, (_x, label) => seenByB.push(label));

  const writes: Array<Promise<boolean>> = [];
  for (let i = 0; i < 100; i++) {
    const writer = i % 2 === 0 ? a : b;
    writes.push(writer.upsertNode([recordNodeFor(`acme/log/e${String(i).padStart(3, '0')}`, { n: i, by: i % 2 === 0 ? 'a' : 'b' })]));
  }
  // Both also write the same record many times: the last write wins, nothing is lost or torn.
  for (let i = 0; i < 20; i++) writes.push((i % 2 ? a : b).upsertNode([recordNodeFor('acme/log/shared', { n: i })]));
  t.ok((await Promise.all(writes)).every(Boolean));
  await a.processNotifications();
  await b.processNotifications();

  t.equal((await a.getNode('acme/log'))?.getProperty('recordCount'), 101n);
  t.equal((await b.queryNodes('acme/log/*?n>=50&n<100&by=b')).length, 25);
  t.equal(new Set(seenByB.filter((l) => l !== 'acme/log/shared')).size, 100, 'b heard every record, including a\'s');
  t.equal(seenByB.filter((l) => l === 'acme/log/shared').length, 20, 'and every write of the shared one');
  const shared = (await a.getNode('acme/log/shared'))?.getProperty('record') as { n: number };
  t.ok(shared.n >= 0 && shared.n < 20, 'the shared record holds one whole write');
});
