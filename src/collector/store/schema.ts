import type Database from 'better-sqlite3';
import { WwatpError } from '../../tree/errors.js';

/**
 * One collection's database. Migrations are recorded in a table (not user_version) so a
 * person inspecting the file sees what ran and when. Append only: released steps built
 * databases that exist, so they are never edited.
 */
interface Migration {
  readonly version: number;
  readonly what: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'records (protobuf bytes and a JSON/JSONB copy), their full-text index, files',
    up(db) {
      // records keeps its rowid: the FTS table shares it, so both stay in step cheaply.
      db.exec(`
        CREATE TABLE records (
          id TEXT PRIMARY KEY NOT NULL,
          type TEXT NOT NULL,
          version INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          data_uri TEXT NOT NULL DEFAULT '',
          json BLOB NOT NULL,
          proto_data BLOB NOT NULL
        );
        CREATE VIRTUAL TABLE records_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE files (
          path TEXT PRIMARY KEY NOT NULL,
          uri TEXT,
          updated_at INTEGER NOT NULL,
          data BLOB
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    what: 'the record count, kept by triggers in the same transaction as every insert and delete',
    up(db) {
      // Counting once here is the last full scan: describe reads the one row instead.
      db.exec(`
        CREATE TABLE record_count (
          one INTEGER PRIMARY KEY CHECK (one = 1),
          n INTEGER NOT NULL
        );
        INSERT INTO record_count (one, n) SELECT 1, count(*) FROM records;
        CREATE TRIGGER record_count_insert AFTER INSERT ON records BEGIN
          UPDATE record_count SET n = n + 1 WHERE one = 1;
        END;
        CREATE TRIGGER record_count_delete AFTER DELETE ON records BEGIN
          UPDATE record_count SET n = n - 1 WHERE one = 1;
        END;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS collector_migrations (version INTEGER PRIMARY KEY, what TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM collector_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new WwatpError('STORAGE', `collection database ${path} has schema version ${current}, newer than this wwatp knows (${SCHEMA_VERSION}); upgrade wwatp`);
  }
  const record = db.prepare('INSERT INTO collector_migrations (version, what, applied_at) VALUES (?, ?, ?)');
  const applied = db.prepare('SELECT 1 FROM collector_migrations WHERE version = ?');
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      // Checked again under the write lock: another connection may have just applied it.
      if (applied.get(m.version) !== undefined) return;
      m.up(db);
      record.run(m.version, m.what, Date.now());
    }).immediate();
  }
}

let jsonbSupported: boolean | undefined;

/** JSONB (binary JSON, faster to query) arrived in SQLite 3.45; older builds keep JSON text. */
export function supportsJsonb(db: Database.Database): boolean {
  if (jsonbSupported === undefined) {
    const { v } = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    const [major = 0, minor = 0] = v.split('.').map(Number);
    jsonbSupported = major > 3 || (major === 3 && minor >= 45);
  }
  return jsonbSupported;
}
