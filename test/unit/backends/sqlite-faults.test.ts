import { chmodSync, chownSync, closeSync, fstatSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { NOBODY, runSupportScript } from '../../support/sqlite-child.js';
import { literal, sleep, textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath, tempDir } from '../../support/sqlite-temp.js';

t.test('garbage where the database should be is STORAGE naming the path; fine once replaced', async (t) => {
  const path = tempDbPath(t);
  writeFileSync(path, Buffer.alloc(64 * 1024, 'not a database, just some bytes '));
  t.throws(() => new SqliteBackend({ path }), { code: 'STORAGE', message: literal(path) });
  await t.rejects(SqliteBackend.open({ path }), { code: 'STORAGE', message: /not a database/ });
  rmSync(path);
  const backend = await SqliteBackend.open({ path });
  t.equal(await backend.upsertNode([textNode('a')]), true);
  t.equal((await backend.getNode('a'))?.description, 'node a');
  await backend.close();
});

t.test('a missing directory is STORAGE naming the path', async (t) => {
  const path = join(tempDir(t), 'no-such-dir', 'tree.db');
  await t.rejects(SqliteBackend.open({ path }), { code: 'STORAGE', message: literal(path) });
});

t.test('damaged pages inside a valid file are STORAGE, never a crash', async (t) => {
  const path = tempDbPath(t);
  const backend = await SqliteBackend.open({ path });
  await backend.upsertNode(Array.from({ length: 500 }, (_, i) => textNode(`n/${i}`, 'x'.repeat(200))));
  await backend.close();
  // Keep page 1 (the header and schema) and overwrite every page after it.
  const fd = openSync(path, 'r+');
  const size = fstatSync(fd).size;
  const garbage = Buffer.alloc(size - 4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
  writeSync(fd, garbage, 0, garbage.length, 4096);
  closeSync(fd);
  let error: unknown;
  try {
    const damaged = await SqliteBackend.open({ path });
    try {
      await damaged.getFullTree();
    } finally {
      await damaged.close();
    }
  } catch (caught) {
    error = caught;
  }
  t.match(error, { code: 'STORAGE', message: literal(path) }, 'opening or reading reports the damage');
});

t.test('a read-only directory is STORAGE naming the path; fine once writable', async (t) => {
  const dir = tempDir(t);
  // Root ignores directory permissions, so when we are root the probe runs as nobody.
  const uid = process.getuid?.() === 0 ? NOBODY : undefined;
  if (uid !== undefined) chownSync(dir, uid, uid);
  const path = join(dir, 'tree.db');
  const probe = async (): Promise<{ ok: boolean; code?: string; message?: string }> => {
    const child = runSupportScript('./sqlite-open-probe.ts', [path], { uid });
    const line = await child.waitFor((l) => l.startsWith('{'));
    await child.exited;
    return JSON.parse(line) as { ok: boolean; code?: string; message?: string };
  };
  try {
    chmodSync(dir, 0o555);
    t.match(await probe(), { ok: false, code: 'STORAGE', message: literal(path) }, 'a new database cannot be created');
    chmodSync(dir, 0o755);
    t.match(await probe(), { ok: true }, 'created once the directory is writable');
    chmodSync(dir, 0o555);
    t.match(await probe(), { ok: false, code: 'STORAGE', message: literal(path) }, 'an existing database cannot get its WAL');
    chmodSync(dir, 0o755);
    t.match(await probe(), { ok: true }, 'usable again');
  } finally {
    chmodSync(dir, 0o755);
  }
});

t.test('a write lock held by another process is UNAVAILABLE; reads go on; writes resume on release', async (t) => {
  const path = tempDbPath(t);
  const backend = await SqliteBackend.open({ path, busyTimeoutMs: 1000 });
  t.teardown(() => backend.close());
  await backend.upsertNode([textNode('before')]);
  const holder = runSupportScript('./sqlite-lock-holder.ts', [path, 'write']);
  t.teardown(() => void holder.process.kill('SIGKILL'));
  await holder.waitFor((l) => l === 'locked');

  const started = Date.now();
  const blocked = backend.upsertNode([textNode('during')]);
  // The write waits off the event loop: reads keep being answered meanwhile.
  let reads = 0;
  let settled = false;
  void blocked.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    if ((await backend.getNode('before'))?.description === 'node before') reads++;
    await sleep(10);
  }
  await t.rejects(blocked, { code: 'UNAVAILABLE', message: literal(path) });
  t.ok(Date.now() - started >= 900, 'it waited about busyTimeoutMs first');
  t.ok(reads >= 10, `reads were served while the write waited (${reads})`);
  t.equal(await backend.getNode('during'), undefined, 'the failed write wrote nothing');

  const waiting = backend.upsertNode([textNode('waits')]);
  await sleep(100);
  holder.process.stdin?.write('release\n');
  await holder.waitFor((l) => l === 'released');
  t.equal(await waiting, true, 'a write waiting when the lock is released goes through');
  t.equal(await backend.upsertNode([textNode('after')]), true);
  t.equal((await backend.getNode('waits'))?.description, 'node waits');
  t.equal((await backend.getNode('after'))?.description, 'node after');
  const journal = await backend.getJournal(0);
  t.same(
    journal.kind === 'entries' ? journal.entries.map((e) => [e.sequence, e.label]) : journal,
    [
      [1, 'before'],
      [2, 'waits'],
      [3, 'after'],
    ],
    'the failed write took no sequence number',
  );
});

t.test('an exclusive lock at open is UNAVAILABLE naming the path; opens once released', async (t) => {
  const path = tempDbPath(t);
  const first = await SqliteBackend.open({ path });
  await first.upsertNode([textNode('kept')]);
  await first.close();
  const holder = runSupportScript('./sqlite-lock-holder.ts', [path, 'exclusive']);
  t.teardown(() => void holder.process.kill('SIGKILL'));
  await holder.waitFor((l) => l === 'locked');
  await t.rejects(SqliteBackend.open({ path, busyTimeoutMs: 200 }), { code: 'UNAVAILABLE', message: literal(path) });
  holder.process.stdin?.write('release\n');
  await holder.exited;
  const again = await SqliteBackend.open({ path, busyTimeoutMs: 200 });
  t.equal((await again.getNode('kept'))?.description, 'node kept');
  await again.close();
});

t.test('close commits queued writes, releases the file, and later calls are CLOSED', async (t) => {
  const path = tempDbPath(t);
  const backend = await SqliteBackend.open({ path });
  const queued = backend.upsertNode([textNode('queued')]);
  await backend.close();
  t.equal(await queued, true, 'a write queued before close was committed');
  await backend.close();
  t.pass('close twice is fine');

  const closed = { code: 'CLOSED', message: literal(path) };
  await t.rejects(backend.getNode('queued'), closed);
  await t.rejects(backend.upsertNode([textNode('late')]), closed);
  await t.rejects(backend.deleteNode('queued'), closed);
  await t.rejects(backend.getPageTree('queued'), closed);
  await t.rejects(backend.queryNodes('**'), closed);
  await t.rejects(backend.getFullTree(), closed);
  await t.rejects(backend.applyTransaction([]), closed);
  await t.rejects(backend.latestSequence(), closed);
  await t.rejects(backend.getJournal(0), closed);
  await t.rejects(backend.processNotifications(), closed);
  await t.rejects(backend.closeTransactionLayers(), closed);
  t.throws(() => backend.registerNodeListener('l', 'a', false, () => {}), closed);

  // Another process can take the file for itself at once: nothing of ours holds it.
  const holder = runSupportScript('./sqlite-lock-holder.ts', [path, 'exclusive']);
  t.teardown(() => void holder.process.kill('SIGKILL'));
  await holder.waitFor((l) => l === 'locked');
  holder.process.stdin?.write('release\n');
  await holder.exited;
  const reopened = await SqliteBackend.open({ path });
  t.equal((await reopened.getNode('queued'))?.description, 'node queued');
  await reopened.close();
});
