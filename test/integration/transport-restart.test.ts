/**
 * A client resuming across a server restart on SQLite without losing a change. The
 * server stops (close), the SQLite file is reopened, and a new server starts on the SAME
 * port with the SAME certificate directory (so the pinned hash still matches). The
 * watcher client reconnects by itself, subscribes from the last journal sequence it saw,
 * and its cache and listeners catch up; the journal's sequence numbers carry on across
 * the restart without reuse.
 */
import t from 'tap';
import { join } from 'node:path';
import type { Backend } from '../../src/backends/backend.js';
import { SqliteBackend } from '../../src/backends/sqlite/index.js';
import type { JournalEntry } from '../../src/backends/journal.js';
import { startServer, type WwatpServer } from '../../src/frontends/server/start-server.js';
import { Closer, client, eventLog, tempDir, textNode, textOf, until, within } from '../support/transport-env.js';

/** The SQLite backend, counting getNode calls that reach it (a cached read never does). */
function counting(store: SqliteBackend): { backend: Backend; reads: () => number } {
  let reads = 0;
  const backend = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'getNode') {
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { backend, reads: () => reads };
}

t.test('a watcher resumes after a SQLite server restart on the same port', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const dir = tempDir(t, 'wwatp-restart-');
  const certsDir = tempDir(t, 'wwatp-certs-');
  const path = join(dir, 'tree.db');

  // First life of the server.
  let store = await SqliteBackend.open({ path });
  let counted = counting(store);
  let server: WwatpServer = await startServer({ backend: counted.backend, port: 0, certsDir });
  const port = server.port;
  const hash = server.certificateHash;
  const target = { url: server.url, certificateHash: hash };
  // Closed last (pushed first): whichever server and store are current at the end.
  closer.add('SQLite store', () => store.close(), undefined);
  closer.add('server', () => server.close(), undefined);

  const states: string[] = [];
  const watcher = await client(closer, target, { reconnect: true, onState: (s) => states.push(s) });
  const writer = await client(closer, target, { reconnect: false });
  const onWatch = eventLog();
  watcher.registerNodeListener('watch', 'docs', true, onWatch.listener);
  await watcher.heartbeat();

  await writer.upsertNode([textNode('docs', 'docs'), textNode('docs/a', 'a v1'), textNode('docs/keep', 'kept')]);
  await within(watcher.processNotifications(), 5000, 'watcher processNotifications');
  t.same(onWatch.events, ['docs=docs', 'docs/a=a v1', 'docs/keep=kept'], 'the watcher saw the first writes');
  t.equal(textOf(await watcher.getNode('docs/a')), 'a v1', 'the watcher holds docs/a v1 (cached from the push)');
  const beforeStop = await store.latestSequence();
  t.equal(beforeStop, 3, 'three journal entries before the restart');
  t.equal(watcher.lastSequence, beforeStop, 'the watcher has seen them all');

  // Stop the server. The writer (no reconnect) is done; the watcher starts reconnecting.
  await writer.close();
  await within(server.close(), 10_000, 'server close');
  await store.close();
  await until(() => states.includes('reconnecting'), 5000, 'the watcher to notice the drop');
  t.notOk(watcher.connected, 'the watcher knows it is disconnected');

  // While no server listens, a change goes into the database: the watcher misses it live.
  store = await SqliteBackend.open({ path });
  t.equal(await store.latestSequence(), beforeStop, 'the reopened database has the same latest sequence');
  await store.upsertNode([textNode('docs/a', 'a v2 (written while the server was down)')]);
  const whileDown = await store.latestSequence();
  t.equal(whileDown, beforeStop + 1, 'the new change got the next sequence, not a reused one');

  // Second life: same port, same certificate directory.
  counted = counting(store);
  server = await startServer({ backend: counted.backend, port, certsDir });
  t.equal(server.port, port, 'the server is back on the same port');
  t.equal(server.certificateHash, hash, 'with the same certificate (the pin still matches)');

  // A second client writes right after the restart, likely while the watcher is still
  // in its reconnect back-off.
  const second = await client(closer, target, { reconnect: false });
  await second.upsertNode([textNode('docs/b', 'b (written after the restart)')]);
  const afterRestart = await store.latestSequence();
  t.equal(afterRestart, beforeStop + 2, 'sequences continue after the restart');

  // The watcher comes back by itself.
  await until(() => states.lastIndexOf('connected') > states.indexOf('reconnecting'), 15_000, 'the watcher to reconnect');
  await within(watcher.whenConnected(), 5000, 'whenConnected');
  t.ok(watcher.connected, 'the watcher reconnected by itself');
  await within(watcher.processNotifications(), 5000, 'watcher processNotifications');
  t.equal(watcher.lastSequence, afterRestart, 'the watcher resumed up to the newest sequence');

  // Its cache caught up from the journal: docs/a v2 is answered without asking the server.
  const readsBefore = counted.reads();
  t.equal(textOf(await watcher.getNode('docs/a')), 'a v2 (written while the server was down)', 'the watcher\'s cache has the change made while it was away');
  t.equal(textOf(await watcher.getNode('docs/b')), 'b (written after the restart)', 'and the change made after the restart');
  t.equal(textOf(await watcher.getNode('docs/keep')), 'kept', 'and still the untouched node');
  t.equal(counted.reads() - readsBefore, 0, 'all three answered from the cache the resumed push stream filled (no resync, no refetch)');

  // Its listeners: live events flow again, and the changes it missed are reported.
  await second.upsertNode([textNode('docs/c', 'c (live after the reconnect)')]);
  await within(watcher.processNotifications(), 5000, 'watcher processNotifications');
  t.ok(onWatch.events.includes('docs/c=c (live after the reconnect)'), 'the re-registered listener fires for a live write');
  t.ok(onWatch.events.includes('docs/b=b (written after the restart)'), 'the listener reported the write made after the restart, before the watcher was back');
  t.ok(onWatch.events.includes('docs/a=a v2 (written while the server was down)'), 'the listener reported the write made while the server was down');

  // The journal across both lives: 1..N, strictly increasing, no sequence used twice.
  const journal = await watcher.getJournal(0);
  t.equal(journal.kind, 'entries', 'the whole history is still kept');
  const entries: JournalEntry[] = journal.kind === 'entries' ? journal.entries : [];
  t.same(entries.map((e) => e.sequence), [1, 2, 3, 4, 5, 6], 'sequences 1..6 with no gap and no reuse');
  t.same(entries.map((e) => e.label), ['docs', 'docs/a', 'docs/keep', 'docs/a', 'docs/b', 'docs/c'], 'each entry is the change made at that point');
  t.equal(await watcher.heartbeat(), 6, 'the server reports latest 6');
});
