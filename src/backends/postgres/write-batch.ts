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
const SUBTREE_FOR_UPDATE = `SELECT label FROM wwatp_nodes
  WHERE label = $1::text COLLATE "C"
     OR (label >= ($1::text || '/') COLLATE "C" AND label < ($1::text || '0') COLLATE "C")
  ORDER BY label FOR UPDATE`;
const VERSIONS_FOR_UPDATE = `SELECT label, node FROM wwatp_nodes WHERE label = ANY($1::text[]) FOR UPDATE`;

// One statement writes the batch, journals it, prunes old history, moves the counter and
// queues the NOTIFY (delivered at COMMIT, so other servers never hear of a rollback).
const WRITE = `WITH put AS (
    INSERT INTO wwatp_nodes (label, node, seq)
    SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[])
    ON CONFLICT (label) DO UPDATE SET node = EXCLUDED.node, seq = EXCLUDED.seq
  ), gone AS (
    DELETE FROM wwatp_nodes WHERE label = ANY($4::text[])
  ), logged AS (
    INSERT INTO wwatp_journal (seq, label, deleted)
    SELECT * FROM unnest($5::bigint[], $6::text[], $7::boolean[])
  ), pruned AS (
    DELETE FROM wwatp_journal WHERE seq > $9 AND seq <= $10
  ), counted AS (
    UPDATE wwatp_meta SET latest = $8, pruned_through = $10 WHERE id = 1
  )
  SELECT pg_notify($11, $12)`;

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
 * Stages one group-commit batch inside an open SQL transaction: ops run in order, each
 * seeing what earlier ones staged, reading (and locking) only what it must from the
 * database. Nothing is written until `write`, which sends the whole batch as one
 * statement. Journal sequence numbers follow on from the locked counter.
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
   * Writes everything staged, with sequence numbers `latest + 1...`, and queues the NOTIFY.
   * Returns the sequence range used.
   */
  async write(latest: number, prunedThrough: number, retention: number, channel: string, payload: (from: number, to: number) => string): Promise<{ from: number; to: number }> {
    const from = latest + 1;
    const to = latest + this.#journal.length;
    const lastSeq = new Map<string, number>();
    this.#journal.forEach(({ label }, i) => lastSeq.set(label, from + i));
    const putLabels: string[] = [];
    const putRows: Buffer[] = [];
    const putSeqs: number[] = [];
    const goneLabels: string[] = [];
    for (const [label, state] of this.#staged) {
      if (state === null) {
        goneLabels.push(label);
        continue;
      }
      putLabels.push(label);
      putRows.push(encodeRow(state));
      putSeqs.push(lastSeq.get(label) as number);
    }
    const pruneThrough = Math.max(prunedThrough, to - retention);
    await this.#client.query(WRITE, [
      putLabels,
      putRows,
      putSeqs,
      goneLabels,
      this.#journal.map((_, i) => from + i),
      this.#journal.map((j) => j.label),
      this.#journal.map((j) => j.deleted),
      to,
      prunedThrough,
      pruneThrough,
      channel,
      payload(from, to),
    ]);
    return { from, to };
  }

  #put(state: NodeState): void {
    this.#staged.set(state.labelRule, state);
    this.#journal.push({ label: state.labelRule, deleted: false });
  }

  /** Removes a label's subtree as it stands in this batch; the removed labels, parents first. */
  async #delete(label: string): Promise<string[]> {
    const { rows } = await this.#client.query<{ label: string }>(SUBTREE_FOR_UPDATE, [label]);
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
      // writer that does not take the counter lock first.
      const { rows } = await this.#client.query<{ label: string; node: Buffer }>(VERSIONS_FOR_UPDATE, [unstaged]);
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
