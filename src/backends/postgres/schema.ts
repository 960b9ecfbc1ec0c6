import type pg from 'pg';
import { WwatpError } from '../../tree/errors.js';

/**
 * The tables, created and upgraded by ordered migrations. `wwatp_schema_version` records
 * how many have run; every server opening the database runs the missing ones under one
 * advisory lock, so two servers starting together do not race.
 *
 * Labels sort with COLLATE "C" (bytewise UTF-8): a subtree is then the contiguous range
 * [label || '/', label || '0'), which the primary key index answers directly.
 *
 * Journal sequence numbers come from the counter in wwatp_meta rather than a SEQUENCE:
 * the counter is transactional, so numbers are gapless and, because every write
 * transaction locks that row first, assigned in commit order across all servers. A reader
 * that has seen N has then seen everything up to N, which LISTEN/NOTIFY catch-up needs.
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

// Arbitrary constant keys for pg_advisory_xact_lock, scoped to the database.
const MIGRATION_LOCK = 0x77776174_01n.toString();

/** Brings the database to SCHEMA_VERSION; refuses one written by a newer wwatp. */
export async function migrate(client: pg.PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS wwatp_schema_version (version integer NOT NULL)');
    const found = await client.query<{ version: number }>('SELECT version FROM wwatp_schema_version');
    let version = found.rows[0]?.version ?? 0;
    if (found.rows.length === 0) await client.query('INSERT INTO wwatp_schema_version (version) VALUES (0)');
    if (version > SCHEMA_VERSION) {
      throw new WwatpError('STORAGE', `the database has wwatp schema version ${version}; this wwatp knows only up to ${SCHEMA_VERSION}`);
    }
    for (; version < SCHEMA_VERSION; version++) {
      for (const statement of MIGRATIONS[version] ?? []) await client.query(statement);
      await client.query('UPDATE wwatp_schema_version SET version = $1', [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
