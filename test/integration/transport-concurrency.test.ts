/**
 * Many requests in flight at once over real QUIC, every one answered correctly:
 * 1000 mixed getNode/upsertNode from one client (as one batch, and as 1000 separate
 * streams), and 10 clients on one server at the same time. The clients run without a
 * cache so every read crosses the wire.
 */
import t from 'tap';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import type { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { Closer, client, countingClient, serve, textNode, textOf, within } from '../support/transport-env.js';

const N = 1000;

/** Labels pre-filled for the reads, with a text derived from the label. */
async function prefill(writer: Http3ClientBackend, prefix: string, count: number): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => textNode(`${prefix}/r${i}`, `read me ${prefix} ${i}`));
  for (let at = 0; at < nodes.length; at += 250) await writer.upsertNode(nodes.slice(at, at + 250));
}

type Op = { kind: 'get'; i: number; promise: Promise<unknown> } | { kind: 'put'; i: number; promise: Promise<unknown> };

/** Starts `count` mixed operations numbered from `from`: even i reads one of `pool` pre-filled nodes, odd i writes a new one. */
function mixed(c: Http3ClientBackend, prefix: string, count: number, pool: number, start: (run: () => Promise<unknown>) => Promise<unknown>, from = 0): Op[] {
  return Array.from({ length: count }, (_, n): Op => {
    const i = from + n;
    if (i % 2 === 0) return { kind: 'get', i: i % pool, promise: start(() => c.getNode(`${prefix}/r${i % pool}`)) };
    return { kind: 'put', i, promise: start(() => c.upsertNode([textNode(`${prefix}/w${i}`, `written ${prefix} ${i}`)])) };
  });
}

/** Checks every answer; returns the problems found. */
async function check(ops: Op[], prefix: string): Promise<string[]> {
  const results = await Promise.allSettled(ops.map((o) => o.promise));
  const problems: string[] = [];
  results.forEach((r, n) => {
    const op = ops[n] as Op;
    if (r.status === 'rejected') {
      problems.push(`${op.kind} #${op.i} failed: ${String((r.reason as Error)?.message ?? r.reason)}`);
      return;
    }
    if (op.kind === 'get') {
      const want = `read me ${prefix} ${op.i}`;
      const got = textOf(r.value as Parameters<typeof textOf>[0]);
      if (got !== want) problems.push(`get #${op.i}: ${String(got)} instead of ${want}`);
    } else if (r.value !== true) {
      problems.push(`put #${op.i} answered ${String(r.value)}`);
    }
  });
  return problems;
}

async function checkWrites(store: SimpleBackend, prefix: string, count: number): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 1; i < count; i += 2) {
    const got = textOf(await store.getNode(`${prefix}/w${i}`));
    if (got !== `written ${prefix} ${i}`) problems.push(`${prefix}/w${i} holds ${String(got)}`);
  }
  return problems;
}

t.test(`${N} concurrent requests from one client, in one batch`, { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const { backend: c, streams } = await countingClient(closer, server, { cacheSize: 0 });
  await prefill(c, 'one', 500);
  const started = Date.now();
  const before = streams();
  // Made in the same turn: the client packs them into one batch, down its request stream.
  const ops = mixed(c, 'one', N, 500, (run) => run());
  const problems = await within(check(ops, 'one'), 30_000, `${N} requests`);
  t.same(problems, [], `all ${N} answered correctly (${Date.now() - started} ms)`);
  t.equal(streams() - before, 0, 'all of them travelled on the connection\'s request stream');
  t.same(await checkWrites(store, 'one', N), [], 'every write is on the server');
});

t.test(`${N} concurrent requests from one client, each in its own batch`, { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const { backend: c, streams } = await countingClient(closer, server, { cacheSize: 0 });
  await prefill(c, 'own', 500);
  const started = Date.now();
  const before = streams();
  // Each started in its own macrotask: a separate batch each, all down one request stream.
  const ops = mixed(c, 'own', N, 500, (run) => new Promise((resolve, reject) => setImmediate(() => run().then(resolve, reject))));
  const problems = await within(check(ops, 'own'), 30_000, `${N} streams`);
  t.same(problems, [], `all ${N} answered correctly (${Date.now() - started} ms)`);
  t.equal(streams() - before, 0, `the ${N} batches shared the connection's request stream`);
  t.same(await checkWrites(store, 'own', N), [], 'every write is on the server');
});

t.test('10 clients at once, each with 300 concurrent mixed requests', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const clients = await Promise.all(Array.from({ length: 10 }, () => client(closer, server, { cacheSize: 0 })));
  await Promise.all(clients.map((c, k) => prefill(c, `c${k}`, 100)));
  const started = Date.now();
  // Half of each client's requests batched, half on separate streams, all clients together.
  const all = clients.map((c, k) => {
    const batched = mixed(c, `c${k}`, 150, 100, (run) => run());
    const spread = mixed(c, `c${k}`, 150, 100, (run) => new Promise((resolve, reject) => setImmediate(() => run().then(resolve, reject))), 150);
    return { k, ops: [...batched, ...spread] };
  });
  const problems = (await within(Promise.all(all.map(({ k, ops }) => check(ops, `c${k}`))), 45_000, '10 clients')).flat();
  t.same(problems, [], `all ${10 * 300} requests answered correctly (${Date.now() - started} ms)`);
  const writes = (await Promise.all(clients.map((_, k) => checkWrites(store, `c${k}`, 300)))).flat();
  t.same(writes, [], 'every write of every client is on the server');
  // Every client saw every write through its push stream.
  await within(Promise.all(clients.map((c) => c.processNotifications())), 10_000, 'processNotifications');
  const latest = await clients[0]?.heartbeat();
  t.ok(clients.every((c) => c.lastSequence === latest), `every client reached the latest journal sequence ${latest}`);
});
