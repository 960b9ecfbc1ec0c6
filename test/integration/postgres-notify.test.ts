import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { PostgresBackend } from '../../src/backends/postgres/index.js';
import type { Transaction } from '../../src/backends/backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { freshDatabase, startPostgres } from '../support/postgres.js';

// Several servers on one database: each hears the others' changes through LISTEN/NOTIFY
// (or journal polling) and fires its own listeners, within 100 ms.
const server = await startPostgres();
t.teardown(() => server.stop());

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const LATENCY_LIMIT_MS = 100;

async function pair(t: Test, extra: { changeFeed?: 'listen' | 'poll'; pollIntervalMs?: number } = {}): Promise<[PostgresBackend, PostgresBackend]> {
  const connectionString = await freshDatabase(server.url);
  const a = await PostgresBackend.open({ connectionString });
  const b = await PostgresBackend.open({ connectionString, ...extra });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return [a, b];
}

/** Waits until `done()` holds, polling briefly; false after `ms`. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

t.test('a second instance hears each write within 100 ms, without being asked', async (t) => {
  const [a, b] = await pair(t);
  t.equal(b.changeFeed, 'listen');
  const heard = new Map<string, { at: number; description: string | null }>();
  b.registerNodeListener('zoo', 'zoo', true, (_b, label, node) => heard.set(label, { at: now(), description: node ? node.description : null }));
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const label = `zoo/n${i}`;
    await a.upsertNode([new TreeNode({ labelRule: label, description: `v${i}` })]);
    const ackAt = now();
    t.ok(await until(() => heard.has(label), 2000), `${label} heard`);
    latencies.push((heard.get(label)?.at ?? Infinity) - ackAt);
    t.equal(heard.get(label)?.description, `v${i}`, 'with the node as written');
    await sleep(10);
  }
  t.ok(Math.max(...latencies) < LATENCY_LIMIT_MS, `worst latency ${Math.max(...latencies).toFixed(1)} ms`);
  heard.clear();
  t.ok(await a.deleteNode('zoo/n3'));
  await a.deleteNode('zoo');
  // n3 alone, then the other 19 with the subtree (no node sits at zoo itself).
  t.ok(await until(() => heard.size === 20, 2000), 'subtree delete heard for every removed node');
  t.ok([...heard.values()].every((h) => h.description === null), 'deletions carry no node');
});

t.test('transactions from another instance arrive whole, in order', async (t) => {
  const [a, b] = await pair(t);
  const events: string[] = [];
  b.registerNodeListener('all', '', true, (_b, label, node) => events.push(`${label}=${node?.description ?? '-'}`));
  await a.upsertNode([new TreeNode({ labelRule: 'p', description: 'p0' }), new TreeNode({ labelRule: 'p/old', description: 'old' })]);
  const tx: Transaction = [
    {
      parent: { priorVersion: 0, label: 'p', node: new TreeNode({ labelRule: 'p', description: 'p1', version: { versionNumber: 1 } }) },
      children: [
        { priorVersion: undefined, label: 'p/new', node: new TreeNode({ labelRule: 'p/new', description: 'new' }) },
        { priorVersion: 0, label: 'p/old', node: undefined },
      ],
    },
  ];
  t.equal(await a.applyTransaction(tx), true);
  await b.processNotifications();
  t.same(events, ['p=p0', 'p/old=old', 'p=p1', 'p/new=new', 'p/old=-']);
});

t.test("an instance's own writes fire its listeners exactly once", async (t) => {
  const [a, b] = await pair(t);
  const own: string[] = [];
  const other: string[] = [];
  a.registerNodeListener('own', '', true, (_b, label) => own.push(label));
  b.registerNodeListener('other', '', true, (_b, label) => other.push(label));
  const writes = Array.from({ length: 30 }, (_, i) => a.upsertNode([new TreeNode({ labelRule: `once/n${i}` })]));
  await Promise.all(writes);
  await sleep(200); // let every NOTIFY arrive, at a as well as b
  await a.processNotifications();
  await b.processNotifications();
  t.equal(own.length, 30, 'the writer fired once per write');
  t.equal(new Set(own).size, 30);
  t.equal(other.length, 30, 'the other instance fired once per write');
  t.equal(new Set(other).size, 30);
});

t.test('a listener registered after a write returned does not hear it', async (t) => {
  const [a, b] = await pair(t);
  await a.upsertNode([new TreeNode({ labelRule: 'before' })]);
  const heard: string[] = [];
  b.registerNodeListener('late', '', true, (_b, label) => heard.push(label));
  await a.upsertNode([new TreeNode({ labelRule: 'after' })]);
  await b.processNotifications();
  t.same(heard, ['after']);
});

t.test('writes from another OS process are heard within 100 ms', async (t) => {
  const connectionString = await freshDatabase(server.url);
  const b = await PostgresBackend.open({ connectionString });
  t.teardown(() => b.close());
  const heardAt = new Map<string, number[]>();
  b.registerNodeListener('proc', 'proc', true, (_b, label) => heardAt.set(label, [...(heardAt.get(label) ?? []), now()]));
  const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
  const script = fileURLToPath(new URL('../support/postgres-writer.ts', import.meta.url));
  const count = 20;
  const child = spawn(tsx, [script, connectionString, 'proc', String(count), '40'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, 'the writer process finished');
  await b.processNotifications();
  const acks = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { label: string; ackAt: number });
  t.equal(acks.length, count);
  const latencies = acks.map(({ label, ackAt }) => (heardAt.get(label)?.[0] ?? Infinity) - ackAt);
  t.ok(acks.every(({ label }) => heardAt.get(label)?.length === 1), 'each write heard exactly once');
  t.ok(Math.max(...latencies) < LATENCY_LIMIT_MS, `worst latency ${Math.max(...latencies).toFixed(1)} ms after the writer's acknowledgement`);
  const written = (await b.getNode('proc/n0'))?.description ?? '';
  t.match(written, /^written by process \d+$/);
  t.not(written, `written by process ${process.pid}`, 'by another process');
});

t.test('journal polling delivers where LISTEN is not used', async (t) => {
  const [a, b] = await pair(t, { changeFeed: 'poll', pollIntervalMs: 20 });
  t.equal(b.changeFeed, 'poll');
  const heard: string[] = [];
  b.registerNodeListener('poll', '', true, (_b, label) => heard.push(label));
  await a.upsertNode([new TreeNode({ labelRule: 'polled/a' }), new TreeNode({ labelRule: 'polled/b' })]);
  t.ok(await until(() => heard.length === 2, 1000), 'heard without processNotifications');
  t.same(heard, ['polled/a', 'polled/b']);
});
