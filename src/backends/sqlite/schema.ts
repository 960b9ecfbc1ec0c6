import type BetterSqlite3 from 'better-sqlite3';
import { WwatpError } from '../../tree/errors.js';
import { parentLabel } from '../../tree/labels.js';

type Db = BetterSqlite3.Database;

/** Marks a database as ours ('wwtp'), so we never migrate some other program's file. */
export const APPLICATION_ID = 0x77777470;

interface Migration {
  /** The user_version the database has after this step. */
  readonly version: number;
  readonly what: string;
  readonly up: (db: Db) => void;
}

/**
 * The schema's history, oldest first. A new database runs every step; an older one runs
 * the steps it lacks. Append only: a released step is never edited, since databases in
 * the field were built by it.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'nodes keyed by label; the journal of changes',
    up(db) {
      // WITHOUT ROWID clusters rows by label, so a subtree is one contiguous range.
      db.exec(`
        CREATE TABLE nodes (label TEXT PRIMARY KEY NOT NULL, node BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE journal (seq INTEGER PRIMARY KEY, label TEXT NOT NULL, deleted INTEGER NOT NULL);
      `);
    },
  },
  {
    version: 2,
    what: "each node's parent label (for one-level queries) and the sequence of its last change",
    up(db) {
      db.function('wwatp_parent_label', { deterministic: true }, (label: unknown) => parentLabel(String(label)));
      // Rebuilt rather than ALTERed so the small columns come before the blob: reading
      // seq must not walk a large node's overflow pages.
      db.exec(`
        CREATE TABLE nodes_v2 (
          label TEXT PRIMARY KEY NOT NULL,
          parent TEXT NOT NULL,
          seq INTEGER NOT NULL,
          node BLOB NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO nodes_v2 (label, parent, seq, node)
          SELECT n.label, wwatp_parent_label(n.label), COALESCE(last.seq, 0), n.node
          FROM nodes n LEFT JOIN (SELECT label, max(seq) AS seq FROM journal GROUP BY label) last
            ON last.label = n.label;
        DROP TABLE nodes;
        ALTER TABLE nodes_v2 RENAME TO nodes;
        CREATE INDEX nodes_by_parent ON nodes (parent);
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION, each step in its own transaction (so a crash
 * mid-migration leaves a consistent older version). Refuses a database written by a
 * newer wwatp, or one that belongs to another program.
 */
export function migrate(db: Db, path: string): void {
  const appId = db.pragma('application_id', { simple: true });
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new WwatpError('STORAGE', `SQLite database ${path} belongs to another program (application_id ${String(appId)}); refusing to use it`);
  }
  if (Number(db.pragma('user_version', { simple: true })) === 0 && db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() !== 0) {
    throw new WwatpError('STORAGE', `SQLite database ${path} has tables but no wwatp schema version: it is not a wwatp database; refusing to use it`);
  }
  for (;;) {
    const current = Number(db.pragma('user_version', { simple: true }));
    if (current > SCHEMA_VERSION) {
      throw new WwatpError(
        'STORAGE',
        `SQLite database ${path} has schema version ${current}, newer than the ${SCHEMA_VERSION} this wwatp knows; upgrade wwatp to open it`,
      );
    }
    if (current === SCHEMA_VERSION) return;
    const step = MIGRATIONS[current];
    if (!step) throw new WwatpError('INTERNAL', `no migration from schema version ${current}`);
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have migrated while we waited for the write lock.
      if (Number(db.pragma('user_version', { simple: true })) === current) {
        step.up(db);
        db.pragma(`user_version = ${step.version}`);
        db.pragma(`application_id = ${APPLICATION_ID}`);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
