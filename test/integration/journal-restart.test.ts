/**
 * Clients resume across a restart of the default composite (`wwatp serve`'s tree: SQLite
 * at the root, the Collector at /collector), which keeps no journal of its own: the
 * server keeps one in <dataDir>/journal.db. The server and the data directory are closed
 * and opened again on the same port and certificate; a watcher held away meanwhile comes
 * back, resumes from its last sequence without resyncing, and sees what changed while it
 * was away, for root labels and Collector records alike. A change made to the SQLite root
 * while no server ran is never served stale: the journal starts a new epoch and the
 * client resyncs.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../src/backends/backend.js';
import { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import type { JournalEntry } from '../../src/backends/journal.js';
import { openH3Streams } from '../../src/frontends/client/connect.js';
import { createDefaultBackend, type DefaultBackend } from '../../src/frontends/config/default-backend.js';
import { DurableJournal } from '../../src/frontends/server/durable-journal.js';
import { startServer, type WwatpServer } from '../../src/frontends/server/start-server.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { Closer, client, eventLog, tempDir, textNode, textOf, until, within } from '../support/transport-env.js';

function recordNode(label: string, json: Record<string, unknown>): TreeNode {
  const node = new TreeNode({ labelRule: label });
  node.insertProperty('record', 'json', json);
  return node;
}

function collectionNode(label: string): TreeNode {
  const node = new TreeNode({ labelRule: label });
  node.insertProperty('messageType', 'string', 'json');
  return node;
}

/** The composite, counting getNode calls that reach it (a read the client's cache answers never does). */
function counting(backend: Backend): { backend: Backend; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(backend, {
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
  return { backend: proxy, reads: () => reads };
}

/** A default composite in `dataDir` served with its journal, on `port` (0: a free one). */
async function serveDefault(dataDir: string, port: number, certsDir: string): Promise<{ opened: DefaultBackend; server: WwatpServer; reads: () => number }> {
  const opened = await createDefaultBackend({ dataDir });
  const counted = counting(opened.backend);
  const server = await startServer({ backend: counted.backend, journalPath: opened.journalPath, journalWatermarks: opened.journalWatermarks, port, certsDir });
  return { opened, server, reads: counted.reads };
}

/** A reconnecting client whose reconnection can be held back (`hold`) and let go (`release`). */
async function gatedClient(closer: Closer, target: { url: string; certificateHash: string }) {
  let gate: Promise<void> = Promise.resolve();
  let open = (): void => undefined;
  const states: string[] = [];
  const backend = await within(Http3ClientBackend.open({
    connect: async () => {
      await gate;
      return openH3Streams(target.url, { certificateHash: target.certificateHash });
    },
    onState: (s) => states.push(s),
  }), 15_000, 'gated client connect');
  closer.add('gated client', () => backend.close(), backend);
  return {
    backend,
    states,
    hold(): void {
      gate = new Promise((resolve) => (open = resolve));
    },
    async release(): Promise<void> {
      const before = states.length;
      open();
      await until(() => states.slice(before).includes('connected'), 20_000, 'the client to reconnect');
    },
  };
}

t.test('a watcher resumes across a restart of the default composite, root labels and Collector records', { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const dataDir = tempDir(t, 'wwatp-journal-data-');
  const certsDir = tempDir(t, 'wwatp-certs-');

  let life = await serveDefault(dataDir, 0, certsDir);
  closer.add('data directory', () => life.opened.close(), undefined);
  closer.add('server', () => life.server.close(), undefined);
  const port = life.server.port;
  const target = { url: life.server.url, certificateHash: life.server.certificateHash };

  const watcher = await gatedClient(closer, target);
  const onRoot = eventLog();
  const onBooks = eventLog();
  watcher.backend.registerNodeListener('root', 'docs', true, onRoot.listener);
  watcher.backend.registerNodeListener('books', 'collector/acme/books', true, onBooks.listener);
  const writer = await client(closer, target, { reconnect: false });
  await writer.upsertNode([textNode('docs', 'docs'), textNode('docs/a', 'a v1'), textNode('docs/keep', 'kept')]);
  await writer.upsertNode([collectionNode('collector/acme/books')]);
  await writer.upsertNode([recordNode('collector/acme/books/dune', { title: 'Dune', year: 1965 })]);
  await within(watcher.backend.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await watcher.backend.getNode('docs/a')), 'a v1');
  t.same((await watcher.backend.getNode('collector/acme/books/dune'))?.getProperty('record'), { title: 'Dune', year: 1965 });
  const seenBefore = watcher.backend.lastSequence;
  t.ok(seenBefore >= 5, `the watcher saw the first writes (sequence ${seenBefore})`);

  // Stop: the server, then the data directory (the journal is marked cleanly closed).
  watcher.hold();
  await writer.close();
  await within(life.server.close(), 10_000, 'server close');
  await life.opened.close();
  await until(() => watcher.states.includes('reconnecting'), 5000, 'the watcher to notice the drop');

  // Second life on the same data directory, port and certificate; the watcher is held away.
  life = await serveDefault(dataDir, port, certsDir);
  t.equal(life.server.certificateHash, target.certificateHash, 'same certificate');
  const second = await client(closer, target, { reconnect: false });
  await second.upsertNode([textNode('docs/a', 'a v2 (while the watcher was away)'), textNode('docs/b', 'b (while away)')]);
  await second.upsertNode([recordNode('collector/acme/books/emma', { title: 'Emma', year: 1815 })]);
  await second.upsertNode([recordNode('collector/acme/books/dune', { title: 'Dune', year: 1965, read: true })]);
  await second.deleteNode('docs/keep');
  await within(second.processNotifications(), 5000, 'processNotifications');
  const latest = await second.heartbeat();
  t.ok(latest > seenBefore, `numbering carried on across the restart (${seenBefore} → ${latest})`);

  await watcher.release();
  await within(watcher.backend.processNotifications(), 5000, 'watcher processNotifications');
  t.equal(watcher.backend.lastSequence, latest, 'the watcher resumed up to the newest sequence');

  // The cache caught up from the journal, no resync: everything is answered without a read.
  const readsBefore = life.reads();
  t.equal(textOf(await watcher.backend.getNode('docs/a')), 'a v2 (while the watcher was away)', 'a root label changed while away');
  t.equal(textOf(await watcher.backend.getNode('docs/b')), 'b (while away)', 'a root label created while away');
  t.equal(await watcher.backend.getNode('docs/keep'), undefined, 'a root label deleted while away');
  t.same((await watcher.backend.getNode('collector/acme/books/emma'))?.getProperty('record'), { title: 'Emma', year: 1815 }, 'a Collector record created while away');
  t.same((await watcher.backend.getNode('collector/acme/books/dune'))?.getProperty('record'), { title: 'Dune', year: 1965, read: true }, 'a Collector record changed while away');
  t.equal(life.reads() - readsBefore, 0, 'all answered from the cache the resumed journal filled (a resync would have emptied it)');

  // Its listeners heard what it missed.
  t.ok(onRoot.events.includes('docs/a=a v2 (while the watcher was away)'), 'the root listener reported the change made while away');
  t.ok(onBooks.events.some((e) => e.startsWith('collector/acme/books/emma')), 'the Collector listener reported the record made while away');

  // The journal spans both lives.
  const journal = await watcher.backend.getJournal(0);
  t.equal(journal.kind, 'entries', 'the history of both lives is kept');
  const entries: JournalEntry[] = journal.kind === 'entries' ? journal.entries : [];
  const sequences = entries.map((e) => e.sequence);
  t.same(sequences, [...sequences].sort((a, b) => a - b), 'in order');
  t.equal(new Set(entries.map((e) => e.label)).size, entries.length, 'each label once, at its latest change');
  t.ok(entries.some((e) => e.label === 'docs/keep' && e.node === undefined), 'the delete is there');

  // Live changes flow again.
  await second.upsertNode([textNode('docs/c', 'c (live)')]);
  await within(watcher.backend.processNotifications(), 5000, 'watcher processNotifications');
  t.ok(onRoot.events.includes('docs/c=c (live)'), 'live events after the resume');
});

t.test('a change made to the SQLite root while no server ran is not served stale', { timeout: 90_000 }, async (t) => {
  const closer = new Closer(t);
  const dataDir = tempDir(t, 'wwatp-journal-data-');
  const certsDir = tempDir(t, 'wwatp-certs-');
  let life = await serveDefault(dataDir, 0, certsDir);
  closer.add('data directory', () => life.opened.close(), undefined);
  closer.add('server', () => life.server.close(), undefined);
  const port = life.server.port;
  const target = { url: life.server.url, certificateHash: life.server.certificateHash };
  const watcher = await gatedClient(closer, target);
  await watcher.backend.upsertNode([textNode('k', 'old')]);
  await within(watcher.backend.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await watcher.backend.getNode('k')), 'old', 'k cached as "old"');

  watcher.hold();
  await within(life.server.close(), 10_000, 'server close');
  await life.opened.close();
  await until(() => watcher.states.includes('reconnecting'), 5000, 'the watcher to notice the drop');

  // Someone opens the data directory without a server and writes to the tree.
  const offline = await createDefaultBackend({ dataDir });
  await offline.backend.upsertNode([textNode('k', 'changed with no server running')]);
  await offline.close();

  life = await serveDefault(dataDir, port, certsDir);
  await watcher.release();
  await within(watcher.backend.processNotifications(), 5000, 'processNotifications');
  t.equal(textOf(await watcher.backend.getNode('k')), 'changed with no server running', 'k is read fresh: the journal started a new epoch and the client resynced');
});

t.test('a journal file that cannot be used fails the start with STORAGE, and a failed start releases it', { timeout: 60_000 }, async (t) => {
  const closer = new Closer(t);
  const dataDir = tempDir(t, 'wwatp-journal-data-');
  const certsDir = tempDir(t, 'wwatp-certs-');
  const opened = await createDefaultBackend({ dataDir });
  closer.add('data directory', () => opened.close(), undefined);

  const damaged = join(dataDir, 'damaged.db');
  writeFileSync(damaged, 'not a database '.repeat(500));
  await t.rejects(startServer({ backend: opened.backend, journalPath: damaged, port: 0, certsDir }), { code: 'STORAGE', message: /damaged\.db/ }, 'a damaged journal');

  const first = await startServer({ backend: opened.backend, journalPath: opened.journalPath, port: 0, certsDir });
  closer.add('server', () => first.close(), undefined);
  await t.rejects(startServer({ backend: opened.backend, journalPath: opened.journalPath, port: 0, certsDir }), { code: 'STORAGE', message: /in use by another server/ }, 'a second server on the same journal');

  // A start that fails after the journal opened (the UDP port is taken) closes it again.
  const other = join(dataDir, 'other-journal.db');
  await t.rejects(startServer({ backend: opened.backend, journalPath: other, port: first.port, certsDir }));
  const again = await DurableJournal.open({ backend: opened.backend, path: other });
  t.pass('the journal of the failed start is free again');
  again.close();
  // The running server's journal still hears changes.
  const c = await client(closer, { url: first.url, certificateHash: first.certificateHash }, { reconnect: false });
  const before = await c.heartbeat();
  await c.upsertNode([textNode('still', 'journaled')]);
  t.equal(await c.heartbeat(), before + 1, 'the running server still journals');
});
