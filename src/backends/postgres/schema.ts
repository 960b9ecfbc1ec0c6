import type pg from 'pg';
import { WwatpError } from '../../tree/errors.js';

/**
 * The tables, created and upgraded by ordered migrations. `wwatp_schema_version` records
 * how many have run; every server opening the database runs the missing ones while
 * holding that row's lock, so two servers starting together do not race.
 *
 * Labels sort with COLLATE "C" (bytewise UTF-8): a subtree is then the contiguous range
 * [label || '/', label || '0'), which the primary key index answers directly.
 *
 * Journal sequence numbers are not a SEQUENCE (whose values are handed out outside
 * transactions, so they can commit out of order and leave gaps) but the counter
 * wwatp_meta.latest, moved inside each write transaction: numbers are gapless and follow
 * commit order across all servers, so a reader that has seen N has seen everything up to
 * N, which LISTEN/NOTIFY catch-up relies on. wwatp_meta.pruned_through is the newest
 * number journal retention has dropped.
 */
const MIGRATIONS: ReadonlyArray<readonly string[]> = [
  [
    `CREATE TABLE wwatp_nodes (
       label text COLLATE "C" PRIMARY KEY,
       node bytea NOT NULL,
       seq bigint NOT NULL
     )`,
    `CREATE TABLE wwatp_journal (
       seq bigint PRIMARY KEY,
       label text COLLATE "C" NOT NULL,
       deleted boolean NOT NULL
     )`,
    `CREATE TABLE wwatp_meta (
       id integer PRIMARY KEY CHECK (id = 1),
       latest bigint NOT NULL,
       pruned_through bigint NOT NULL
     )`,
    `INSERT INTO wwatp_meta (id, latest, pruned_through) VALUES (1, 0, 0)`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS wwatp_schema_version (
  id integer PRIMARY KEY CHECK (id = 1),
  version integer NOT NULL
)`;

async function ensureVersionRow(client: pg.PoolClient): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query(VERSION_TABLE);
      await client.query('INSERT INTO wwatp_schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
      return;
    } catch (error) {
      // Two servers creating the table at once: one loses with a duplicate; look again.
      const code = (error as { code?: unknown }).code;
      if (attempt > 2 || (code !== '23505' && code !== '42P07')) throw error;
    }
  }
}

/**
 * Brings the database to SCHEMA_VERSION; refuses one written by a newer wwatp. The
 * version row is locked while migrating (a row lock rather than an advisory lock, which
 * some Postgres-compatible engines lack), so servers starting together take turns.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  // A checked-out client emits 'error' if its connection dies between queries; the
  // failing query reports it to us anyway, so the event only needs a listener.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    await migrateWith(client);
  } catch (error) {
    client.removeListener('error', ignore);
    client.release(true);
    throw error;
  }
  client.removeListener('error', ignore);
  client.release();
}

async function migrateWith(client: pg.PoolClient): Promise<void> {
  await ensureVersionRow(client);
  await client.query('BEGIN');
  try {
    const found = await client.query<{ version: number }>('SELECT version FROM wwatp_schema_version WHERE id = 1 FOR UPDATE');
    let version = found.rows[0]?.version ?? 0;
    if (version > SCHEMA_VERSION) {
      throw new WwatpError('STORAGE', `the database has wwatp schema version ${version}; this wwatp knows only up to ${SCHEMA_VERSION}`);
    }
    for (; version < SCHEMA_VERSION; version++) {
      for (const statement of MIGRATIONS[version] ?? []) await client.query(statement);
      await client.query('UPDATE wwatp_schema_version SET version = $1 WHERE id = 1', [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
