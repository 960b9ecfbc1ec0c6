import type pg from 'pg';
import { WwatpError } from '../../tree/errors.js';
import type { JournalAnswer, JournalEntry } from '../journal.js';
import { decodeRow } from './row-codec.js';

export interface JournalRow {
  seq: number;
  label: string;
  deleted: boolean;
  /** The label's current row, null when there is none. */
  node: Buffer | null;
}

interface RawJournalRow {
  seq: string;
  label: string;
  deleted: boolean;
  node: Buffer | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

// Named: prepared once per connection (the change feed runs it after every NOTIFY).
const SINCE = {
  name: 'wwatp_journal_since',
  text: `SELECT j.seq, j.label, j.deleted, n.node
    FROM wwatp_journal j LEFT JOIN wwatp_nodes n ON n.label = j.label
    WHERE j.seq > $1 ORDER BY j.seq LIMIT $2`,
};

/** Journal rows after `since`, oldest first, each with its label's current node row. */
export async function journalSince(db: Queryable, since: number, limit: number): Promise<JournalRow[]> {
  const { rows } = await db.query<RawJournalRow>({ ...SINCE, values: [since, limit] });
  return rows.map((r) => ({ seq: Number(r.seq), label: r.label, deleted: r.deleted, node: r.node }));
}

const LATEST = 'SELECT latest, pruned_through FROM wwatp_meta WHERE id = 1';

export interface Meta {
  latest: number;
  prunedThrough: number;
}

export async function readMeta(db: Queryable): Promise<Meta> {
  const { rows } = await db.query<{ latest: string; pruned_through: string }>(LATEST);
  const row = rows[0];
  if (!row) throw new WwatpError('STORAGE', 'the wwatp_meta row is missing');
  return { latest: Number(row.latest), prunedThrough: Number(row.pruned_through) };
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WwatpError('MALFORMED', `getJournal: ${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Changes after `since`, each with its label's current node (undefined once gone), as
 * SqliteBackend answers. When `since` lies before the kept history, or after the newest
 * change (a client of some other history), the answer is resync.
 */
export async function readJournal(db: Queryable, since: number, limit: number | undefined): Promise<JournalAnswer> {
  checkCount(since, 'since');
  const max = limit === undefined ? Number.MAX_SAFE_INTEGER : checkCount(limit, 'limit');
  const meta = await readMeta(db);
  const oldest = meta.prunedThrough + 1;
  if (since > meta.latest || since < meta.prunedThrough) return { kind: 'resync', oldest, latest: meta.latest };
  const rows = max === 0 ? [] : await journalSince(db, since, max);
  // Sequences are gapless, so a hole right after `since` means it was pruned meanwhile.
  if (rows.length > 0 && rows[0]?.seq !== since + 1) {
    const now = await readMeta(db);
    return { kind: 'resync', oldest: now.prunedThrough + 1, latest: now.latest };
  }
  const entries: JournalEntry[] = rows.map((row) => ({
    sequence: row.seq,
    label: row.label,
    node: row.node === null ? undefined : decodeRow(row.label, row.node),
  }));
  const latest = Math.max(meta.latest, rows.at(-1)?.seq ?? 0);
  return { kind: 'entries', entries, latest };
}
