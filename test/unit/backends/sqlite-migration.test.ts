import Database from 'better-sqlite3';
import t from 'tap';
import { SCHEMA_VERSION, SqliteBackend } from '../../../src/backends/sqlite/index.js';
import { encodeNode } from '../../../src/backends/sqlite/node-codec.js';
import { stateOf } from '../../../src/tree/tree-node.js';
import { literal, textNode } from '../../support/sqlite-nodes.js';
import { tempDbPath } from '../../support/sqlite-temp.js';

/** A database as schema version 1 left it, written by hand (not by the migration code). */
function makeV1Database(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE nodes (label TEXT PRIMARY KEY NOT NULL, node BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE journal (seq INTEGER PRIMARY KEY, label TEXT NOT NULL, deleted INTEGER NOT NULL);
  `);
  const put = db.prepare('INSERT INTO nodes (label, node) VALUES (?, ?)');
  for (const label of ['zoo', 'zoo/lion', 'zoo/lion/cub', 'zoo/a_b', 'zoo%', 'old']) put.run(label, encodeNode(stateOf(textNode(label))));
  const log = db.prepare('INSERT INTO journal (seq, label, deleted) VALUES (?, ?, ?)');
  // 'old' predates the retained journal; 'gone' was deleted; zoo/lion changed twice.
  [
    [11, 'zoo', 0],
    [12, 'zoo/lion', 0],
    [13, 'zoo/lion/cub', 0],
    [14, 'gone', 0],
    [15, 'zoo/a_b', 0],
    [16, 'zoo%', 0],
    [17, 'gone', 1],
    [18, 'zoo/lion', 0],
  ].forEach((row) => log.run(...row));
  db.pragma('user_version = 1');
  db.close();
}

t.test('a version 1 database is migrated on open, keeping nodes and journal', async (t) => {
  const path = tempDbPath(t);
  makeV1Database(path);
  const backend = await SqliteBackend.open({ path });
  t.equal((await backend.getNode('zoo/lion/cub'))?.description, 'node zoo/lion/cub');
  t.same((await backend.queryNodes('zoo/*')).map((n) => n.labelRule), ['zoo/a_b', 'zoo/lion'], 'one-level queries use the new parent column');
  t.same((await backend.queryNodes('*')).map((n) => n.labelRule), ['old', 'zoo', 'zoo%']);
  t.equal(await backend.sequenceOf('zoo/lion'), 18, "a node's sequence is its newest journal entry");
  t.equal(await backend.sequenceOf('old'), 0, 'a node older than the journal has sequence 0');
  t.equal(await backend.latestSequence(), 18);
  const journal = await backend.getJournal(10);
  t.same(journal.kind === 'entries' ? journal.entries.map((e) => [e.sequence, e.label, e.node !== undefined]) : journal, [
    [11, 'zoo', true],
    [12, 'zoo/lion', true],
    [13, 'zoo/lion/cub', true],
    [14, 'gone', false],
    [15, 'zoo/a_b', true],
    [16, 'zoo%', true],
    [17, 'gone', false],
    [18, 'zoo/lion', true],
  ]);
  t.same(await backend.getJournal(9), { kind: 'resync', oldest: 11, latest: 18 });
  t.equal(await backend.deleteNode('zoo'), true);
  t.same((await backend.getFullTree()).map((n) => n.labelRule), ['old', 'zoo%'], "'zoo%' is not under 'zoo'");
  t.equal(await backend.latestSequence(), 22, 'numbering continues from the old journal');
  await backend.close();

  const raw = new Database(path, { readonly: true });
  t.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.same(
    raw.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').pluck().all('nodes'),
    ['label', 'parent', 'seq', 'node'],
  );
  t.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  raw.close();
});

t.test('a new database gets the current schema version', async (t) => {
  const path = tempDbPath(t);
  await (await SqliteBackend.open({ path })).close();
  const raw = new Database(path, { readonly: true });
  t.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
});

t.test('a database from a newer wwatp is refused and left untouched', async (t) => {
  const path = tempDbPath(t);
  await (await SqliteBackend.open({ path })).close();
  const raw = new Database(path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  await t.rejects(SqliteBackend.open({ path }), { code: 'STORAGE', message: literal(`${path} has schema version ${SCHEMA_VERSION + 1}, newer`) });
  const after = new Database(path, { readonly: true });
  t.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
  after.close();
});

t.test("another program's database is refused", async (t) => {
  const path = tempDbPath(t);
  const raw = new Database(path);
  raw.pragma('application_id = 42');
  raw.exec('CREATE TABLE theirs (x)');
  raw.close();
  await t.rejects(SqliteBackend.open({ path }), { code: 'STORAGE', message: /belongs to another program/ });
});

t.test('a database with tables but no schema version is refused, not written into', async (t) => {
  const path = tempDbPath(t);
  const raw = new Database(path);
  raw.exec('CREATE TABLE theirs (x)');
  raw.close();
  await t.rejects(SqliteBackend.open({ path }), { code: 'STORAGE', message: /not a wwatp database/ });
  const after = new Database(path, { readonly: true });
  t.same(after.prepare('SELECT name FROM sqlite_schema').pluck().all(), ['theirs']);
  after.close();
});
