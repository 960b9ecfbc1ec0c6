import t from 'tap';
import { PipelineOrder, type Ordering } from '../../../src/frontends/server/pipeline-order.js';

/** Runs requests whose tasks finish when the test says so, logging starts and ends. */
function harness() {
  const order = new PipelineOrder();
  const log: string[] = [];
  const finishers = new Map<string, () => void>();
  const add = (name: string, ordering: Ordering): void =>
    order.run(ordering, () => {
      log.push(`start ${name}`);
      return new Promise<void>((resolve) => finishers.set(name, () => (log.push(`end ${name}`), resolve())));
    });
  const finish = async (name: string): Promise<void> => {
    finishers.get(name)?.();
    await new Promise((r) => setImmediate(r));
  };
  return { order, log, add, finish };
}

t.test('writes start together; a read waits for the writes before it', async (t) => {
  const { log, add, finish } = harness();
  add('w1', 'write');
  add('w2', 'write');
  add('r1', 'read');
  t.same(log, ['start w1', 'start w2'], 'both writes at once, the read waits');
  await finish('w1');
  t.same(log.at(-1), 'end w1', 'one write done is not enough');
  await finish('w2');
  t.same(log.slice(-2), ['end w2', 'start r1']);
});

t.test('reads run together and do not hold up a write after them', async (t) => {
  const { log, add } = harness();
  add('r1', 'read');
  add('r2', 'read');
  add('w1', 'write');
  t.same(log, ['start r1', 'start r2', 'start w1']);
});

t.test('a barrier waits for everything before it, and everything after waits for it', async (t) => {
  const { log, add, finish, order } = harness();
  add('r1', 'read');
  add('w1', 'write');
  add('b', 'barrier');
  add('w2', 'write');
  add('r2', 'read');
  t.same(log, ['start r1', 'start w1']);
  t.equal(order.inProgress, 5);
  await finish('r1');
  await finish('w1');
  t.same(log.slice(-1), ['start b']);
  let idle = false;
  void order.whenIdle().then(() => (idle = true));
  await finish('b');
  t.same(log.slice(-2), ['end b', 'start w2'], 'then the write; the read behind it waits for it');
  await finish('w2');
  t.same(log.slice(-2), ['end w2', 'start r2']);
  t.notOk(idle);
  await finish('r2');
  t.ok(idle, 'idle once everything finished');
  t.equal(order.inProgress, 0);
});

t.test('a failing task counts as finished', async (t) => {
  const order = new PipelineOrder();
  order.run('write', () => Promise.reject(new Error('boom')));
  let ran = false;
  order.run('read', async () => {
    ran = true;
  });
  await order.whenIdle();
  t.ok(ran);
});
