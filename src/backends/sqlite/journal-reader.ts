import { WwatpError } from '../../tree/errors.js';
import { nodeFromState } from '../../tree/tree-node.js';
import type { JournalAnswer, JournalEntry } from '../journal.js';
import { decodeNode } from './node-codec.js';
import type { SqliteStore } from './store.js';

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WwatpError('MALFORMED', `getJournal: ${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Changes after `since`, each with its label's current node (undefined once deleted).
 * The journal keeps the newest entries only; when `since` lies before them, or after the
 * newest (a client of some other history), the answer is resync: reload the full tree
 * and continue from `latest`.
 */
export function readJournal(store: SqliteStore, since: number, limit?: number): JournalAnswer {
  checkCount(since, 'since');
  if (limit !== undefined) checkCount(limit, 'limit');
  const latest = store.latest;
  const oldest = store.oldestSequence() ?? latest + 1;
  if (since > latest || since < oldest - 1) return { kind: 'resync', oldest, latest };
  const entries: JournalEntry[] = store.journalSince(since, limit).map((row) => ({
    sequence: row.seq,
    label: row.label,
    node: row.node === null ? undefined : nodeFromState(decodeNode(row.label, row.node)),
  }));
  return { kind: 'entries', entries, latest };
}
