import t from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { ThreadsafeBackend } from '../../../src/backends/threadsafe-backend.js';
import { ReadWriteLock } from '../../../src/backends/rw-lock.js';
import { TreeNode } from '../../../src/tree/tree-node.js';

t.test('many concurrent writers: every write lands and notifications arrive in write order', async (t) => {
  const backend = new ThreadsafeBackend(new SimpleBackend());
  const seen: string[] = [];
  backend.registerNodeListener('all', '', true, (_b, label) => seen.push(label));
  const labels = Array.from({ length: 500 }, (_, i) => `n/${i}`);
  await Promise.all(labels.map((label) => backend.upsertNode([new TreeNode({ labelRule: label })])));
  await backend.processNotifications();
  t.same(seen, labels);
  t.equal((await backend.queryNodes('n/*')).length, 500);
});

t.test('a listener that writes back does not deadlock and sees its own write', async (t) => {
  const backend = new ThreadsafeBackend(new SimpleBackend());
  const seen: string[] = [];
  backend.registerNodeListener('echo', 'ping', false, (b) => {
    void b.upsertNode([new TreeNode({ labelRule: 'pong', description: 'answer' })]);
  });
  backend.registerNodeListener('pong', 'pong', false, (_b, label) => seen.push(label));
  await backend.upsertNode([new TreeNode({ labelRule: 'ping' })]);
  await backend.processNotifications();
  await backend.processNotifications();
  t.same(seen, ['pong']);
  t.equal((await backend.getNode('pong'))?.description, 'answer');
});

t.test('the lock lets readers share, keeps writers alone, and serves in order', async (t) => {
  const lock = new ReadWriteLock();
  const log: string[] = [];
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
  let readersAtOnce = 0;
  let maxReaders = 0;
  const read = (name: string): Promise<void> =>
    lock.read(async () => {
      readersAtOnce++;
      maxReaders = Math.max(maxReaders, readersAtOnce);
      log.push(`${name}+`);
      await pause();
      log.push(`${name}-`);
      readersAtOnce--;
    });
  const write = (name: string): Promise<void> =>
    lock.write(async () => {
      t.equal(readersAtOnce, 0, `${name} runs alone`);
      log.push(`${name}+`);
      await pause();
      log.push(`${name}-`);
    });
  await Promise.all([read('r1'), read('r2'), write('w1'), read('r3'), write('w2')]);
  t.equal(maxReaders, 2, 'r1 and r2 overlapped');
  t.same(log.slice(4), ['w1+', 'w1-', 'r3+', 'r3-', 'w2+', 'w2-'], 'a waiting writer holds back later readers');
  t.ok(lock.idle);
});
