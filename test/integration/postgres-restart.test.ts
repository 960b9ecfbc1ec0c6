import { createServer } from 'node:net';
import t from 'tap';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import { WwatpError } from '../../src/tree/errors.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { freshDatabase, startPostgres } from '../support/postgres.js';

// The database going away: at open, between calls, and under load (crash-like immediate
// stop, and pg_ctl restart). Calls fail UNAVAILABLE, the backend reconnects by itself
// (its LISTEN connection too, catching up on what it missed) and nothing acknowledged is lost.
const server = await startPostgres({ needsControl: true });
t.teardown(() => server.stop());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => performance.timeOrigin + performance.now();

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

/** Retries `attempt` until it resolves; false after `ms`. */
async function recovers(attempt: () => Promise<unknown>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await attempt();
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }
}

t.test('an unreachable server at open is UNAVAILABLE, naming the host', async (t) => {
  const port = await closedPort();
  await t.rejects(PostgresBackend.open({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` }), {
    code: 'UNAVAILABLE',
    message: new RegExp(`127\\.0\\.0\\.1:${port}`),
  });
  const missing = new URL(server.url);
  missing.pathname = '/no_such_database';
  await t.rejects(PostgresBackend.open({ connectionString: missing.toString() }), { code: 'STORAGE', message: /no_such_database/ });
});

t.test('while the server is down calls fail UNAVAILABLE; afterwards they work again', async (t) => {
  const connectionString = await freshDatabase(server.url);
  const backend = await PostgresBackend.open({ connectionString });
  t.teardown(() => backend.close());
  await backend.upsertNode([new TreeNode({ labelRule: 'before' })]);
  await server.stopImmediate();
  try {
    await t.rejects(backend.getNode('before'), { code: 'UNAVAILABLE' });
    await t.rejects(backend.upsertNode([new TreeNode({ labelRule: 'during' })]), { code: 'UNAVAILABLE' });
    await t.rejects(backend.deleteNode('before'), { code: 'UNAVAILABLE' });
    await t.rejects(backend.getJournal(0), { code: 'UNAVAILABLE' });
    await t.rejects(backend.processNotifications(), { code: 'UNAVAILABLE' });
  } finally {
    await server.restart();
  }
  t.ok(await recovers(() => backend.getNode('before'), 20_000), 'reads recover');
  t.equal((await backend.getNode('before'))?.labelRule, 'before');
  t.equal(await backend.getNode('during'), undefined, 'the failed write left nothing');
  t.equal(await backend.upsertNode([new TreeNode({ labelRule: 'after' })]), true);
});

for (const how of ['immediate stop, then start', 'pg_ctl restart'] as const) {
  t.test(`under load, ${how}: in-flight calls fail UNAVAILABLE and no acknowledged write is lost`, async (t) => {
    const connectionString = await freshDatabase(server.url);
    const writer = await PostgresBackend.open({ connectionString });
    const watcher = await PostgresBackend.open({ connectionString });
    t.teardown(async () => {
      await writer.close();
      await watcher.close();
    });
    const heard = new Map<string, number>();
    watcher.registerNodeListener('all', 'load', true, (_b, label) => heard.set(label, now()));
    const acked: string[] = [];
    const failures: unknown[] = [];
    let running = true;
    const load = Array.from({ length: 8 }, async (_, w) => {
      for (let k = 0; running; k++) {
        const label = `load/w${w}/n${k}`;
        try {
          if (await writer.upsertNode([new TreeNode({ labelRule: label, description: `w${w} n${k}` })])) acked.push(label);
        } catch (error) {
          failures.push(error);
          await sleep(20);
        }
      }
    });
    await sleep(400);
    const ackedBefore = acked.length;
    if (how === 'pg_ctl restart') {
      await server.restart();
    } else {
      await server.stopImmediate();
      await sleep(300);
      await server.restart();
    }
    const resumeFrom = acked.length;
    t.ok(await recovers(async () => (acked.length > resumeFrom ? undefined : Promise.reject(new Error('not yet'))), 20_000), 'writes succeed again');
    await sleep(200);
    running = false;
    await Promise.all(load);
    t.ok(ackedBefore > 0, `${ackedBefore} writes acknowledged before the outage, ${acked.length} in all`);
    t.ok(failures.length > 0, `${failures.length} calls failed during the outage`);
    t.same(
      failures.filter((e) => !WwatpError.is(e, 'UNAVAILABLE')),
      [],
      'every failure is a WwatpError UNAVAILABLE',
    );

    const checker = await PostgresBackend.open({ connectionString });
    t.teardown(() => checker.close());
    const stored = new Set((await checker.queryNodes('load/**')).map((n) => n.labelRule));
    t.same(
      acked.filter((l) => !stored.has(l)),
      [],
      `all ${acked.length} acknowledged writes are stored`,
    );
    // The watcher's LISTEN connection came back and caught up on what it missed.
    const deadline = Date.now() + 10_000;
    while (acked.some((l) => !heard.has(l)) && Date.now() < deadline) await sleep(20);
    t.same(
      acked.filter((l) => !heard.has(l)),
      [],
      'the other instance heard every acknowledged write without being asked',
    );

    // LISTEN reconnects with backoff (up to 1 s between tries): once a write is heard
    // within 100 ms again, every later one must be.
    const heardAfter = async (label: string): Promise<number> => {
      await writer.upsertNode([new TreeNode({ labelRule: label })]);
      const ackAt = now();
      while (!heard.has(label) && now() - ackAt < 2000) await sleep(1);
      return (heard.get(label) ?? Infinity) - ackAt;
    };
    const until = Date.now() + 5000;
    for (let probe = 0; (await heardAfter(`load/probe${probe}`)) >= 100 && Date.now() < until; probe++);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) latencies.push(await heardAfter(`load/fresh${i}`));
    t.ok(Math.max(...latencies) < 100, `new writes heard within ${Math.max(...latencies).toFixed(1)} ms of acknowledgement: LISTEN is live again`);
  });
}
