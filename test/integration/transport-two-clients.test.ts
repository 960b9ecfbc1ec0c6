/**
 * Two clients on one server over real QUIC: each sees the other's writes, through its
 * listeners (PUSH_LISTENER) and through its cache, which the push stream keeps current
 * (PUSH_JOURNAL) — a stale cached copy would otherwise be answered.
 */
import t from 'tap';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { Closer, client, eventLog, serve, textNode, textOf, within } from '../support/transport-env.js';

t.test('two clients see each other\'s writes', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const a = await client(closer, server);
  const b = await client(closer, server);

  const onA = eventLog();
  const onB = eventLog();
  a.registerNodeListener('watch', 'shared', true, onA.listener);
  b.registerNodeListener('watch', 'shared', true, onB.listener);
  // A round trip on each client after registering: the REGISTER_LISTENERs have been answered.
  await within(Promise.all([a.heartbeat(), b.heartbeat()]), 5000, 'heartbeats');

  await within(a.upsertNode([textNode('shared', 'root v1')]), 5000, 'A writes shared');
  // B reads it over the wire (or from its pushed cache) and so holds it cached.
  t.equal(textOf(await b.getNode('shared')), 'root v1', 'B reads what A wrote');
  await within(a.upsertNode([textNode('shared/x', 'x v1')]), 5000, 'A writes shared/x');
  await within(b.processNotifications(), 5000, 'B processNotifications');
  t.same(onB.events, ['shared=root v1', 'shared/x=x v1'], 'B\'s listener fired for each of A\'s writes, in order');
  t.equal(textOf(await b.getNode('shared/x')), 'x v1', 'B reads shared/x');

  // A changes both; B's cached copies must follow through the push stream.
  await within(a.upsertNode([textNode('shared', 'root v2'), textNode('shared/x', 'x v2')]), 5000, 'A rewrites');
  await within(b.processNotifications(), 5000, 'B processNotifications');
  t.same(onB.events.slice(2), ['shared=root v2', 'shared/x=x v2'], 'B\'s listener saw the rewrite');
  t.equal(textOf(await b.getNode('shared')), 'root v2', 'B\'s cache was updated by the push (no stale v1)');
  t.equal(textOf(await b.getNode('shared/x')), 'x v2', 'B\'s cache holds shared/x v2');
  t.equal(textOf(await store.getNode('shared/x')), 'x v2', 'the server\'s store holds v2');

  // And the other way round: B writes, A sees.
  await within(b.upsertNode([textNode('shared/y', 'from B')]), 5000, 'B writes shared/y');
  await within(a.processNotifications(), 5000, 'A processNotifications');
  t.ok(onA.events.includes('shared/y=from B'), 'A\'s listener fired for B\'s write');
  t.equal(textOf(await a.getNode('shared/y')), 'from B', 'A reads B\'s write');

  // A delete: B's listener sees the removal and its cache forgets the node.
  t.equal(await within(a.deleteNode('shared/x'), 5000, 'A deletes'), true, 'A deleted shared/x');
  await within(b.processNotifications(), 5000, 'B processNotifications');
  t.ok(onB.events.includes('shared/x=<deleted>'), 'B\'s listener saw the delete');
  t.equal(await b.getNode('shared/x'), undefined, 'B\'s cache no longer holds shared/x');

  // Writes outside the listened branch do not fire the listener but still reach the cache.
  const before = onB.events.length;
  t.equal(await b.getNode('elsewhere'), undefined, 'B caches "elsewhere" as absent');
  await within(a.upsertNode([textNode('elsewhere', 'outside')]), 5000, 'A writes outside the branch');
  await within(b.processNotifications(), 5000, 'B processNotifications');
  t.equal(onB.events.length, before, 'no listener event for a write outside the branch');
  t.equal(textOf(await b.getNode('elsewhere')), 'outside', 'B\'s cached "absent" was replaced by the push');
  t.equal(b.lastSequence, a.lastSequence, 'both clients reached the same journal sequence');
});

t.test('a burst of writes from A reaches B\'s listener completely and in order', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const server = await serve(t, closer, { backend: new SimpleBackend() });
  const a = await client(closer, server);
  const b = await client(closer, server);
  const onB = eventLog();
  b.registerNodeListener('burst', 'burst', true, onB.listener);
  await b.heartbeat();
  const expected: string[] = [];
  for (let round = 0; round < 20; round++) {
    const nodes = Array.from({ length: 10 }, (_, i) => textNode(`burst/n${i}`, `r${round}`));
    // Not awaited one by one: ten streams in flight at once.
    await within(Promise.all(nodes.map((n) => a.upsertNode([n]))), 10_000, `round ${round}`);
    for (let i = 0; i < 10; i++) expected.push(`burst/n${i}=r${round}`);
  }
  await within(b.processNotifications(), 5000, 'B processNotifications');
  t.equal(onB.events.length, expected.length, `B saw all ${expected.length} events`);
  // Within a round the ten streams race; across rounds the order holds.
  const rounds = onB.events.map((e) => Number(e.slice(e.indexOf('=r') + 2)));
  t.ok(rounds.every((r, i) => i === 0 || r >= (rounds[i - 1] as number)), 'rounds arrive in order');
  t.same([...onB.events].sort(), [...expected].sort(), 'every event arrived exactly once');
  for (let i = 0; i < 10; i++) t.equal(textOf(await b.getNode(`burst/n${i}`)), 'r19', `B's cache holds the last round for n${i}`);
});
