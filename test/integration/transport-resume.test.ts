/**
 * Resuming over real QUIC when the journal gap is awkward. The client's connection is
 * dropped on purpose (its own QUIC connection closed under it) and held down while the
 * server changes; when it comes back it must never answer from a stale cache:
 *
 * - a fresh client connects to a server whose journal holds more than one message can carry;
 * - a client away for more changes than the server's catch-up holds (memory journal, > 10,000);
 * - a client away while more bytes changed than one message can carry (SQLite);
 * - a client of a memory server that restarted (its journal starts again at 1).
 */
import t from 'tap';
import { join } from 'node:path';
import { SimpleBackend } from '../../src/backends/simple-backend.js';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { openH3Streams } from '../../src/frontends/client/connect.js';
import { startServer, type WwatpServer } from '../../src/frontends/server/start-server.js';
import type { StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
import { blobNode, Closer, client, serve, tempDir, textNode, textOf, until, within } from '../support/transport-env.js';

const MiB = 1024 * 1024;

/**
 * A real client whose connection can be cut: `drop()` closes its current QUIC connection
 * and holds reconnection attempts back until `heal()`.
 */
async function droppableClient(closer: Closer, server: { url: string; certificateHash: string }) {
  let current: StreamOpener | undefined;
  let gate: Promise<void> = Promise.resolve();
  let open = (): void => undefined;
  const states: string[] = [];
  const backend = await within(Http3ClientBackend.open({
    connect: async () => {
      await gate;
      current = await openH3Streams(server.url, { certificateHash: server.certificateHash });
      return current;
    },
    onState: (s) => states.push(s),
  }), 10_000, 'droppable client connect');
  closer.add('droppable client', () => backend.close(), backend);
  return {
    backend,
    states,
    async drop(): Promise<void> {
      gate = new Promise((resolve) => (open = resolve));
      const before = states.length;
      await current?.close();
      await until(() => states.slice(before).includes('reconnecting'), 5000, 'the client to notice the drop');
    },
    async heal(): Promise<void> {
      const before = states.length;
      open();
      await until(() => states.slice(before).includes('connected'), 15_000, 'the client to reconnect');
    },
  };
}

t.test('a fresh client connects to a SQLite server whose journal holds more than one message', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = await SqliteBackend.open({ path: join(tempDir(t), 'tree.db') });
  closer.add('store', () => store.close(), store);
  // 18 MiB of changes: more than the 16 MiB + 1 MiB one message may carry.
  for (let i = 0; i < 18; i++) await store.upsertNode([blobNode(`big/${i}`, MiB, i)]);
  const server = await serve(t, closer, { backend: store });
  const fresh = await client(closer, server);
  t.ok(fresh.connected, 'the client connected');
  t.equal(textOf(await fresh.getNode('big/17')), 'big/17#17', 'and reads');
});

t.test('a client away for more than 10,000 changes (memory journal) does not serve stale reads', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = new SimpleBackend();
  const server = await serve(t, closer, { backend: store });
  const c = await droppableClient(closer, server);
  await store.upsertNode([textNode('k', 'old')]);
  await c.backend.processNotifications();
  t.equal(textOf(await c.backend.getNode('k')), 'old', 'k cached as "old"');

  await c.drop();
  // k changes late, after more than the server's one-push catch-up (10,000 entries).
  for (let i = 0; i < 10_050; i++) await store.upsertNode([textNode(`filler/${i % 100}`, `v${i}`)]);
  await store.upsertNode([textNode('k', 'new')]);
  await c.heal();
  await within(c.backend.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await c.backend.getNode('k')), 'new', 'k reads "new" after coming back (no stale cached "old")');
});

t.test('a client away while more bytes changed than one message carries (SQLite) comes back', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const store = await SqliteBackend.open({ path: join(tempDir(t), 'tree.db') });
  closer.add('store', () => store.close(), store);
  const server = await serve(t, closer, { backend: store });
  const c = await droppableClient(closer, server);
  await store.upsertNode([textNode('k', 'old')]);
  await c.backend.processNotifications();
  t.equal(textOf(await c.backend.getNode('k')), 'old', 'k cached as "old"');

  await c.drop();
  for (let i = 0; i < 18; i++) await store.upsertNode([blobNode(`big/${i}`, MiB, i)]);
  await store.upsertNode([textNode('k', 'new')]);
  await t.resolves(c.heal(), 'the client reconnected');
  t.equal(textOf(await within(c.backend.getNode('k'), 5000, 'read k')), 'new', 'k reads "new"');
});

t.test('a client of a memory server that restarted does not serve stale reads', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const certsDir = tempDir(t, 'wwatp-certs-');
  const store = new SimpleBackend();
  let server: WwatpServer = await startServer({ backend: store, port: 0, certsDir });
  closer.add('server', () => server.close(), undefined);
  const target = { url: server.url, certificateHash: server.certificateHash };
  const states: string[] = [];
  const watcher = await client(closer, target, { onState: (s) => states.push(s) });
  const writer = await client(closer, target, { reconnect: false });
  for (let i = 0; i < 5; i++) await writer.upsertNode([textNode('k', `v${i}`)]);
  await watcher.processNotifications();
  t.equal(textOf(await watcher.getNode('k')), 'v4', 'k cached as v4');
  t.equal(watcher.lastSequence, 5, 'the watcher saw sequence 5');

  await writer.close();
  await server.close();
  await until(() => states.includes('reconnecting'), 5000, 'the watcher to notice');
  // The same tree is served again, but the new server's memory journal starts over.
  await store.upsertNode([textNode('k', 'changed while the server was down')]);
  server = await startServer({ backend: store, port: Number(new URL(target.url.replace('wwatp:', 'https:')).port), certsDir });
  await until(() => states.lastIndexOf('connected') > states.indexOf('reconnecting'), 15_000, 'the watcher to reconnect');
  const second = await client(closer, target, { reconnect: false });
  await second.upsertNode([textNode('k2', 'after the restart')]);
  await within(watcher.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await watcher.getNode('k')), 'changed while the server was down', 'k is read fresh, not the cached v4');
  t.equal(textOf(await watcher.getNode('k2')), 'after the restart', 'k2 is there');
  await second.upsertNode([textNode('k', 'written again')]);
  await within(watcher.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await watcher.getNode('k')), 'written again', 'and later changes keep reaching the watcher\'s cache');
});
