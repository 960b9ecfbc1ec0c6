/**
 * The DurableJournal: a journal in its own SQLite file for backends that keep none (the
 * default composite). Real files, a real child process killed mid-write; nothing mocked.
 *
 * Run as a child (WWATP_JOURNAL_CHILD=<path>): opens a journal over a memory tree, writes
 * one change per event-loop turn forever, printing "wrote <seq>" after each.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { SimpleBackend } from '../../../src/backends/simple-backend.js';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import type { JournalAnswer, JournalEntry } from '../../../src/backends/journal.js';
import { createDefaultBackend } from '../../../src/frontends/config/default-backend.js';
import { DurableJournal } from '../../../src/frontends/server/durable-journal.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import { WwatpError } from '../../../src/tree/errors.js';

function text(label: string, value: string, version = 0): TreeNode {
  const node = new TreeNode({ labelRule: label, version: { versionNumber: version } });
  node.insertProperty('text', 'string', value);
  return node;
}

function textOf(node: TreeNode | undefined): unknown {
  return node?.getProperty('text');
}

function record(label: string, json: Record<string, unknown>): TreeNode {
  const node = new TreeNode({ labelRule: label });
  node.insertProperty('record', 'json', json);
  return node;
}

function collection(label: string): TreeNode {
  const node = new TreeNode({ labelRule: label });
  node.insertProperty('messageType', 'string', 'json');
  return node;
}

function entriesOf(answer: JournalAnswer): JournalEntry[] {
  if (answer.kind !== 'entries') throw new Error(`expected entries, got ${JSON.stringify(answer)}`);
  return answer.entries;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

if (process.env['WWATP_JOURNAL_CHILD']) {
  const backend = new SimpleBackend();
  const journal = await DurableJournal.open({ backend, path: process.env['WWATP_JOURNAL_CHILD'] });
  process.stdout.write(`epoch ${journal.epoch}\n`);
  for (let i = 0; ; i++) {
    await backend.upsertNode([text(`k/${i % 50}`, `v${i}`)]);
    await turn();
    process.stdout.write(`wrote ${await journal.latestSequence()}\n`);
  }
} else {
  const { default: t } = await import('tap');

  const tempDir = (t: Test): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wwatp-durable-journal-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  t.test('sequences, current-state entries, deletes and pushes over a memory tree', async (t) => {
    const backend = new SimpleBackend();
    const journal = await DurableJournal.open({ backend, path: join(tempDir(t), 'journal.db') });
    t.teardown(() => journal.close());
    t.ok(journal.startedNewEpoch, 'a new file starts a new epoch');
    t.match(journal.epoch, /^journal:/);
    t.equal(await journal.latestSequence(), 0);
    t.same(await journal.getJournal(0), { kind: 'entries', entries: [], latest: 0 });

    const pushed: JournalEntry[] = [];
    journal.onEntry((e) => pushed.push(e));
    await backend.upsertNode([text('a', 'a1'), text('b', 'b1')]);
    await backend.upsertNode([text('a', 'a2', 1)]);
    await backend.upsertNode([text('c', 'c1')]);
    await backend.deleteNode('b');
    t.same(pushed.map((e) => [e.sequence, e.label, textOf(e.node) ?? null]), [[1, 'a', 'a1'], [2, 'b', 'b1'], [3, 'a', 'a2'], [4, 'c', 'c1'], [5, 'b', null]], 'each change is pushed at once with its node, numbered 1, 2, ...');
    t.equal(await journal.latestSequence(), 5);

    // Read before the batch was written (the same turn): the answer is complete anyway.
    const all = entriesOf(await journal.getJournal(0));
    t.same(all.map((e) => [e.sequence, e.label, textOf(e.node) ?? null]), [[3, 'a', 'a2'], [4, 'c', 'c1'], [5, 'b', null]], 'each label once, at its latest sequence, with its current node (b deleted)');
    t.same(entriesOf(await journal.getJournal(3)).map((e) => e.sequence), [4, 5], 'entries after since');
    t.same(entriesOf(await journal.getJournal(0, 2)).map((e) => e.sequence), [3, 4], 'at most limit');
    t.same(await journal.getJournal(5), { kind: 'entries', entries: [], latest: 5 }, 'nothing after the latest');
    t.match(await journal.getJournal(6), { kind: 'resync', latest: 5 }, 'a since past the latest is another history: resync');

    // The node is the label's state when read, not when it changed.
    await backend.upsertNode([text('c', 'c2', 1)]);
    const later = entriesOf(await journal.getJournal(3));
    t.same(later.map((e) => [e.sequence, e.label, textOf(e.node) ?? null]), [[5, 'b', null], [6, 'c', 'c2']]);

    // notifyListeners runs through notifyOnly: listeners fire, nothing is journaled.
    journal.notifyOnly(() => backend.notifyListeners('x', text('x', 'only a notification')));
    t.equal(await journal.latestSequence(), 6, 'a notification is not a change');
    await turn();
    const raw = new Database(journal.path, { readonly: true, fileMustExist: true, timeout: 50 });
    t.throws(() => raw.prepare('SELECT 1 FROM journal').get(), 'the journal file is locked by its owner');
    raw.close();
  });

  t.test('an answer made while writes go on covers every change up to its latest (a subscriber that listens right after misses none)', async (t) => {
    // A backend whose reads take a turn of the event loop (as a remote or busy one does),
    // so writes land while an answer is being made.
    const tree = new SimpleBackend();
    const backend = new Proxy(tree, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'getNode') return async (label: string) => (await turn(), target.getNode(label));
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    const journal = await DurableJournal.open({ backend, path: join(tempDir(t), 'journal.db') });
    t.teardown(() => journal.close());
    const changed: JournalEntry[] = [];
    journal.onEntry((e) => changed.push(e));
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; writing; i++) {
        await tree.upsertNode([text(`w${w}/${i % 20}`, `${i}`)]);
        await turn();
      }
    });
    const problems: string[] = [];
    for (let round = 0; round < 40; round++) {
      const since = Math.max(0, (await journal.latestSequence()) - 30);
      const answer = await journal.getJournal(since);
      // Whatever is pushed after this point a subscriber would take; everything up to
      // `latest` must be in the answer.
      if (answer.kind !== 'entries') {
        problems.push(`round ${round}: ${answer.kind}`);
        continue;
      }
      const labels = new Set(answer.entries.map((e) => e.label));
      const missing = changed.filter((e) => e.sequence > since && e.sequence <= answer.latest && !labels.has(e.label));
      if (missing.length > 0) problems.push(`round ${round}: ${missing.length} changes up to ${answer.latest} missing`);
      if (answer.entries.some((e) => e.sequence > answer.latest)) problems.push(`round ${round}: an entry past latest`);
      // A subscriber starts listening now (as the server's session does): a change made
      // before this point but after `latest` would reach it neither way.
      const lost = changed.filter((e) => e.sequence > answer.latest).length;
      if (lost > 0) problems.push(`round ${round}: ${lost} changes made while answering are past its latest`);
      await turn();
    }
    writing = false;
    await Promise.all(writers);
    t.same(problems, []);
    t.ok(changed.length > 40, `${changed.length} changes meanwhile`);
  });

  t.test('rows are written in batches and survive a clean reopen with the same epoch and numbering', async (t) => {
    const path = join(tempDir(t), 'journal.db');
    const backend = new SimpleBackend();
    let journal = await DurableJournal.open({ backend, path });
    const epoch = journal.epoch;
    // Many writers at once: one transaction per event-loop turn.
    const started = Date.now();
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => backend.upsertNode([text(`w/${round}/${i}`, `r${round}`)])));
    }
    const ms = Date.now() - started;
    t.equal(await journal.latestSequence(), 10_000);
    await turn();
    const { commits } = journal.stats();
    t.ok(commits <= 40, `10,000 rows in ${commits} transactions (one per turn, not one per row)`);
    journal.close();
    journal.close();
    t.comment(`10,000 journaled writes in ${ms} ms`);

    const raw = new Database(path, { readonly: true });
    t.equal(raw.prepare('SELECT count(*) FROM journal').pluck().get(), 10_000, 'every row is in the file after a clean close');
    t.equal(raw.prepare("SELECT value FROM meta WHERE key = 'clean'").pluck().get(), 1, 'marked clean');
    raw.close();

    journal = await DurableJournal.open({ backend, path });
    t.teardown(() => journal.close());
    t.notOk(journal.startedNewEpoch, 'a clean reopen continues the history');
    t.equal(journal.epoch, epoch, 'with the same epoch');
    t.equal(await journal.latestSequence(), 10_000, 'and the same latest sequence');
    t.same(entriesOf(await journal.getJournal(9_998)).map((e) => [e.sequence, e.label, textOf(e.node)]), [[9_999, 'w/19/498', 'r19'], [10_000, 'w/19/499', 'r19']], 'old entries are answered after the reopen');
    await backend.upsertNode([text('after', 'reopen')]);
    t.equal(await journal.latestSequence(), 10_001, 'numbering carries on');
  });

  t.test('retention: past the capacity old rows are pruned in batches and clients behind them resync', async (t) => {
    const path = join(tempDir(t), 'journal.db');
    const backend = new SimpleBackend();
    const journal = await DurableJournal.open({ backend, path, capacity: 100 });
    t.teardown(() => journal.close());
    for (let i = 1; i <= 500; i++) {
      await backend.upsertNode([text(`k/${i}`, `v${i}`)]);
      if (i % 7 === 0) await turn();
    }
    await journal.getJournal(500);
    const kept = journal.stats().rows;
    t.ok(kept >= 100 && kept <= 111, `the file keeps the capacity plus at most one batch (${kept})`);
    const answer = await journal.getJournal(0);
    t.match(answer, { kind: 'resync', latest: 500 }, 'a client behind the kept rows resyncs');
    const oldest = answer.kind === 'resync' ? answer.oldest : 0;
    t.ok(oldest > 1 && oldest <= 401, `oldest kept ${oldest}`);
    t.same(entriesOf(await journal.getJournal(oldest - 1)).length, 501 - oldest, 'right at the edge it still answers');
    t.same(entriesOf(await journal.getJournal(400)).map((e) => e.sequence), Array.from({ length: 100 }, (_, i) => 401 + i), 'the newest capacity rows are always kept');
  });

  t.test('an unclean stop (the writer killed) starts a new epoch; numbers are not reused', async (t) => {
    const path = join(tempDir(t), 'journal.db');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, WWATP_JOURNAL_CHILD: path },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let wrote = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`the child exited early (${String(code)})`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        if (line.startsWith('wrote ')) wrote = Number(line.slice(6));
        if (wrote >= 300) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const childEpoch = lines[0]?.slice('epoch '.length);

    const backend = new SimpleBackend();
    const journal = await DurableJournal.open({ backend, path });
    t.teardown(() => journal.close());
    t.ok(journal.startedNewEpoch, 'no clean marker: a new epoch');
    t.not(journal.epoch, childEpoch, 'a different epoch from the killed writer');
    const latest = await journal.latestSequence();
    t.ok(latest >= wrote - 1, `numbering carries on from what reached the file (${latest}, the child had printed ${wrote})`);
    // The old rows are gone with the old epoch: only `since` equal to the latest is an
    // (empty) answer; anything before it or past it is resync. The child may have written
    // more than it printed before it was killed, so either can happen.
    t.match(await journal.getJournal(wrote), latest === wrote ? { kind: 'entries', entries: [] } : { kind: 'resync' });
    t.match(await journal.getJournal(0), { kind: 'resync' }, 'the old history is not offered');
    await backend.upsertNode([text('next', 'x')]);
    t.equal(await journal.latestSequence(), latest + 1, 'the next change gets the next number');
  });

  t.test('a file opened without the clean marker starts a new epoch; with it, resumes', async (t) => {
    const path = join(tempDir(t), 'journal.db');
    const backend = new SimpleBackend();
    let journal = await DurableJournal.open({ backend, path });
    await backend.upsertNode([text('a', '1')]);
    const epoch = journal.epoch;
    journal.close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = 0 WHERE key = 'clean'").run();
    raw.close();
    journal = await DurableJournal.open({ backend, path });
    t.ok(journal.startedNewEpoch);
    t.not(journal.epoch, epoch);
    t.equal(await journal.latestSequence(), 1, 'the numbering is kept');
    t.same(await journal.getJournal(1), { kind: 'entries', entries: [], latest: 1 });
    const second = journal.epoch;
    journal.close();
    journal = await DurableJournal.open({ backend, path });
    t.teardown(() => journal.close());
    t.equal(journal.epoch, second, 'the new epoch is kept by the next clean reopen');
  });

  t.test('over the default composite: root labels and /collector records; changes made while closed start a new epoch', async (t) => {
    const dir = tempDir(t);
    let opened = await createDefaultBackend({ dataDir: dir });
    t.equal(opened.journalPath, join(dir, 'journal.db'));
    let journal = await DurableJournal.open({ backend: opened.backend, path: opened.journalPath, watermarks: opened.journalWatermarks });
    const epoch = journal.epoch;
    await opened.backend.upsertNode([text('lion', 'roar')]);
    await opened.backend.upsertNode([collection('collector/acme/books')]);
    await opened.backend.upsertNode([record('collector/acme/books/dune', { title: 'Dune' })]);
    await opened.backend.processNotifications();
    const entries = entriesOf(await journal.getJournal(0));
    const labels = entries.map((e) => e.label);
    t.ok(labels.includes('lion'), 'root labels are journaled');
    t.ok(labels.includes('collector/acme/books/dune'), 'collector records are journaled under the mount');
    t.same(entries.find((e) => e.label === 'collector/acme/books/dune')?.node?.getProperty('record'), { title: 'Dune' }, 'with their current node');
    t.same(entries.map((e) => e.sequence), [...entries.map((e) => e.sequence)].sort((a, b) => a - b));
    const latest = await journal.latestSequence();
    journal.close();
    await opened.close();

    // A clean restart of the same data directory: same history.
    opened = await createDefaultBackend({ dataDir: dir });
    journal = await DurableJournal.open({ backend: opened.backend, path: opened.journalPath, watermarks: opened.journalWatermarks });
    t.equal(journal.epoch, epoch, 'same epoch after a clean restart');
    t.equal(await journal.latestSequence(), latest);
    await opened.backend.upsertNode([record('collector/acme/books/emma', { title: 'Emma' })]);
    await opened.backend.processNotifications();
    t.same(entriesOf(await journal.getJournal(latest)).map((e) => e.label).filter((l) => l.endsWith('emma')), ['collector/acme/books/emma']);
    journal.close();

    // The SQLite root written while no journal listened: a new epoch, so clients resync.
    await opened.backend.upsertNode([text('lion', 'changed behind the journal', 1)]);
    journal = await DurableJournal.open({ backend: opened.backend, path: opened.journalPath, watermarks: opened.journalWatermarks });
    t.teardown(async () => {
      journal.close();
      await opened.close();
    });
    t.ok(journal.startedNewEpoch, 'the root moved while the journal was closed: new epoch');
    t.not(journal.epoch, epoch);
  });

  t.test('a watermarked backend changed while the journal opens (before it listens) starts a new epoch', async (t) => {
    const dir = tempDir(t);
    const store = await SqliteBackend.open({ path: join(dir, 'tree.db') });
    t.teardown(() => store.close());
    const path = join(dir, 'journal.db');
    let journal = await DurableJournal.open({ backend: store, path, watermarks: [store] });
    await store.upsertNode([text('a', '1')]);
    await turn();
    const epoch = journal.epoch;
    journal.close();
    journal = await DurableJournal.open({ backend: store, path, watermarks: [store] });
    t.equal(journal.epoch, epoch, 'nothing changed: the same epoch');
    journal.close();

    // Another writer gets in right after the journal read the mark, before it listens.
    let wrote = false;
    const racing = new Proxy(store, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop === 'latestSequence') {
          return async () => {
            const seq = await target.latestSequence();
            if (!wrote) {
              wrote = true;
              await target.upsertNode([text('b', 'unheard')]);
            }
            return seq;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    journal = await DurableJournal.open({ backend: store, path, watermarks: [racing] });
    t.teardown(() => journal.close());
    t.ok(wrote);
    t.ok(journal.startedNewEpoch, 'the change may have gone unheard: a new epoch');
    t.not(journal.epoch, epoch);
    t.match(await journal.getJournal(0), { kind: 'resync' }, 'clients behind resync');
  });

  t.test('a damaged, foreign, locked or read-only journal file is a STORAGE error at open', async (t) => {
    const dir = tempDir(t);
    const backend = new SimpleBackend();
    const damaged = join(dir, 'damaged.db');
    writeFileSync(damaged, 'this is not a database, just text long enough to have a header'.repeat(100));
    await t.rejects(DurableJournal.open({ backend, path: damaged }), { code: 'STORAGE', message: /damaged\.db/ }, 'damaged');

    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE mine (x)');
    db.close();
    await t.rejects(DurableJournal.open({ backend, path: foreign }), { code: 'STORAGE', message: /not a wwatp journal/ }, 'some other database');

    const path = join(dir, 'journal.db');
    const first = await DurableJournal.open({ backend, path });
    t.teardown(() => first.close());
    const error = await DurableJournal.open({ backend, path }).catch((e: unknown) => e);
    t.ok(WwatpError.is(error, 'STORAGE'), 'a second server on the same journal: STORAGE');
    t.match((error as Error).message, /in use by another server/);

    await t.rejects(DurableJournal.open({ backend, path: join(dir, 'no', 'such', 'dir', 'journal.db') }), { code: 'STORAGE' }, 'a directory that does not exist');

    if (process.getuid?.() !== 0) {
      const readOnly = join(dir, 'ro.db');
      const j = await DurableJournal.open({ backend: new SimpleBackend(), path: readOnly });
      j.close();
      chmodSync(readOnly, 0o444);
      await t.rejects(DurableJournal.open({ backend, path: readOnly }), { code: 'STORAGE' }, 'read-only');
    }
  });
}
