import type pg from 'pg';
import { WwatpError } from '../../tree/errors.js';
import { isAtOrUnder, normalizeLabel } from '../../tree/labels.js';
import type { NodeState } from '../../tree/tree-node.js';
import type { Version } from '../../tree/versions.js';
import type { Transaction } from '../backend.js';
import { checkTransaction } from '../transaction-rules.js';
import { decodeState, encodeRow } from './row-codec.js';

export type WriteOp =
  | { readonly kind: 'upsert'; readonly states: readonly NodeState[] }
  | { readonly kind: 'delete'; readonly label: string }
  | { readonly kind: 'transaction'; readonly tx: Transaction };

/** A listener notification a committed write owes: undefined state means removed. */
export interface Notice {
  readonly label: string;
  readonly state: NodeState | undefined;
}

export type OpResult = { ok: true; value: boolean; notices: Notice[] } | { ok: false; error: WwatpError };

// Everything strictly below a label is the range [label/, label0): '0' follows '/'.
// Statements are named: prepared once per connection rather than planned on every call.
const SUBTREE_FOR_UPDATE = {
  name: 'wwatp_subtree_lock',
  text: `SELECT label FROM wwatp_nodes
    WHERE label = $1::text COLLATE "C"
       OR (label >= ($1::text || '/') COLLATE "C" AND label < ($1::text || '0') COLLATE "C")
    ORDER BY label FOR UPDATE`,
};
const VERSIONS_FOR_UPDATE = { name: 'wwatp_versions_lock', text: 'SELECT label, node FROM wwatp_nodes WHERE label = ANY($1::text[]) FOR UPDATE' };

// One statement stores and journals the batch and queues the NOTIFY (PostgreSQL delivers
// it at COMMIT: other servers never hear of a rollback). It starts by moving the counter
// in wwatp_meta, which locks that row until COMMIT: batches therefore take turns across
// all servers, and because an UPDATE that had to wait re-reads the row as committed, the
// numbers it hands out follow on from the previous batch's, gapless, in commit order.
// Alone in an implicit transaction, that is one round trip for a batch of upserts.
const writeStatement = (notify: boolean): string => `WITH counted AS (
    UPDATE wwatp_meta SET latest = latest + $7 WHERE id = 1 RETURNING latest - $7 AS b, pruned_through AS p
  ), put AS (
    INSERT INTO wwatp_nodes (label, node, seq)
    SELECT r.label, r.node, counted.b + r.ord FROM counted, unnest($1::text[], $2::bytea[], $3::bigint[]) AS r (label, node, ord)
    ON CONFLICT (label) DO UPDATE SET node = EXCLUDED.node, seq = EXCLUDED.seq
  ), gone AS (
    DELETE FROM wwatp_nodes WHERE label = ANY($4::text[])
  ), logged AS (
    INSERT INTO wwatp_journal (seq, label, deleted)
    SELECT counted.b + r.ord, r.label, r.deleted FROM counted, unnest($5::text[], $6::boolean[]) WITH ORDINALITY AS r (label, deleted, ord)
  )
  SELECT counted.b AS base, counted.p AS pruned, set_config('synchronous_commit', $8, true) AS sync
    ${notify ? ", pg_notify($9, $10 || ':' || (counted.b + 1) || ':' || (counted.b + $7)) AS notified" : ''}
  FROM counted`;
const WRITE_NOTIFY = { name: 'wwatp_write_notify', text: writeStatement(true) };
const WRITE_QUIET = { name: 'wwatp_write', text: writeStatement(false) };

// Retention: drop journal entries up to $1 (a separate, rare transaction; GREATEST keeps
// two servers pruning at once from moving the mark backwards).
const PRUNE = `WITH dropped AS (DELETE FROM wwatp_journal WHERE seq <= $1)
  UPDATE wwatp_meta SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1`;

/** Drops journal history up to `through` (see journalRetention). */
export async function pruneJournal(db: Pick<pg.Pool, 'query'>, through: number): Promise<void> {
  await db.query(PRUNE, [through]);
}

export interface Written {
  from: number;
  to: number;
  /** Journal history dropped so far (wwatp_meta.pruned_through before this batch). */
  prunedThrough: number;
}

/** The labels a transaction names, so their versions can be read (and locked) up front. */
function transactionLabels(tx: Transaction): string[] {
  const labels = new Set<string>();
  const add = (entry: unknown): void => {
    const label = (entry as { label?: unknown } | null)?.label;
    try {
      labels.add(normalizeLabel(label));
    } catch {
      // checkTransaction reports the bad entry itself
    }
  };
  if (!Array.isArray(tx)) return [];
  for (const sub of tx as unknown[]) {
    if (sub === null || typeof sub !== 'object') continue;
    const { parent, children } = sub as { parent?: unknown; children?: unknown };
    add(parent);
    if (Array.isArray(children)) for (const child of children) add(child);
  }
  return [...labels];
}

/**
 * Stages one group-commit batch: ops run in order, each seeing what earlier ones staged,
 * reading (and locking) only what it must from the database (deletes and transactions,
 * which therefore run inside a transaction that took the write lock first). Nothing is
 * written until `write`, which sends the whole batch as one statement.
 */
export class WriteBatch {
  readonly #client: pg.PoolClient;
  readonly #maxContentBytes: number;
  /** Each touched label's final state in this batch; null once deleted. */
  readonly #staged = new Map<string, NodeState | null>();
  readonly #journal: Array<{ label: string; deleted: boolean }> = [];

  constructor(client: pg.PoolClient, maxContentBytes: number) {
    this.#client = client;
    this.#maxContentBytes = maxContentBytes;
  }

  get changes(): number {
    return this.#journal.length;
  }

  /** Runs one op. Its own bad input is its result; database errors fail the batch. */
  async run(op: WriteOp): Promise<OpResult> {
    try {
      switch (op.kind) {
        case 'upsert':
          for (const state of op.states) this.#put(state);
          return { ok: true, value: true, notices: op.states.map((state) => ({ label: state.labelRule, state })) };
        case 'delete': {
          const removed = await this.#delete(op.label);
          return { ok: true, value: removed.length > 0, notices: removed.map((label) => ({ label, state: undefined })) };
        }
        case 'transaction':
          return await this.#transaction(op.tx);
      }
    } catch (error) {
      if (error instanceof WwatpError) return { ok: false, error };
      throw error;
    }
  }

  /**
   * Writes everything staged, numbered on from the counter, with synchronous_commit set
   * for this transaction, and queues a NOTIFY "<tag>:<first>:<last>" on `channel` (none
   * without one). In an open transaction, COMMIT follows; alone, it commits itself.
   */
  async write(synchronousCommit: string, notify: { channel: string; tag: string } | undefined): Promise<Written> {
    const count = this.#journal.length;
    const lastOrdinal = new Map<string, number>();
    this.#journal.forEach(({ label }, i) => lastOrdinal.set(label, i + 1));
    const putLabels: string[] = [];
    const putRows: Buffer[] = [];
    const putOrdinals: number[] = [];
    const goneLabels: string[] = [];
    for (const [label, state] of this.#staged) {
      if (state === null) {
        goneLabels.push(label);
        continue;
      }
      putLabels.push(label);
      putRows.push(encodeRow(state));
      putOrdinals.push(lastOrdinal.get(label) as number);
    }
    const journalLabels = this.#journal.map((j) => j.label);
    const values: unknown[] = [putLabels, putRows, putOrdinals, goneLabels, journalLabels, this.#journal.map((j) => j.deleted), count, synchronousCommit];
    if (notify) values.push(notify.channel, notify.tag);
    const { rows } = await this.#client.query<{ base: string; pruned: string }>({ ...(notify ? WRITE_NOTIFY : WRITE_QUIET), values });
    const row = rows[0];
    if (!row) throw new WwatpError('STORAGE', 'the wwatp_meta row is missing');
    const base = Number(row.base);
    return { from: base + 1, to: base + count, prunedThrough: Number(row.pruned) };
  }

  #put(state: NodeState): void {
    this.#staged.set(state.labelRule, state);
    this.#journal.push({ label: state.labelRule, deleted: false });
  }

  /** Removes a label's subtree as it stands in this batch; the removed labels, parents first. */
  async #delete(label: string): Promise<string[]> {
    const { rows } = await this.#client.query<{ label: string }>({ ...SUBTREE_FOR_UPDATE, values: [label] });
    const present = new Set<string>();
    // A null stage means an earlier op in this batch already removed it.
    for (const row of rows) if (this.#staged.get(row.label) !== null) present.add(row.label);
    for (const [staged, state] of this.#staged) if (state !== null && isAtOrUnder(staged, label)) present.add(staged);
    // Sorting puts every label after its ancestors (a prefix sorts first).
    const removed = [...present].sort();
    for (const gone of removed) {
      this.#staged.set(gone, null);
      this.#journal.push({ label: gone, deleted: true });
    }
    return removed;
  }

  async #transaction(tx: Transaction): Promise<OpResult> {
    const unstaged = transactionLabels(tx).filter((label) => !this.#staged.has(label));
    const stored = new Map<string, Version>();
    if (unstaged.length > 0) {
      // FOR UPDATE: rows we validate cannot change under us before COMMIT, even from a
      // writer that does not take the write lock first.
      const { rows } = await this.#client.query<{ label: string; node: Buffer }>({ ...VERSIONS_FOR_UPDATE, values: [unstaged] });
      for (const row of rows) stored.set(row.label, decodeState(row.label, row.node).version);
    }
    const known = new Set(unstaged);
    const versionOf = (label: string): Version | undefined => {
      if (this.#staged.has(label)) return this.#staged.get(label)?.version;
      if (!known.has(label)) throw new WwatpError('INTERNAL', `transaction label "${label}" was not read before validation`);
      return stored.get(label);
    };
    const check = checkTransaction(tx, versionOf, this.#maxContentBytes);
    if (!check.ok) return { ok: true, value: false, notices: [] };
    const notices: Notice[] = [];
    for (const write of check.writes) {
      if (write.state) {
        this.#put(write.state);
        notices.push({ label: write.label, state: write.state });
      } else {
        for (const gone of await this.#delete(write.label)) notices.push({ label: gone, state: undefined });
      }
    }
    return { ok: true, value: true, notices };
  }
}
