import type Database from 'better-sqlite3';
import { parentLabel } from '../../tree/labels.js';
import type { LabelRule } from '../../tree/label-rule.js';
import type { NodeState } from '../../tree/tree-node.js';
import type { Version } from '../../tree/versions.js';
import { decodeNode, encodeNode } from './node-codec.js';
import { RowReader, type NodeRow } from './row-reader.js';

export interface JournalRow {
  seq: number;
  label: string;
  /** The node's current row, null when it is gone. */
  node: Buffer | null;
}

/**
 * The tables behind a SqliteBackend, as prepared statements. Reads run on their own;
 * writes must run inside a transaction the caller opened (GroupCommit does), and every
 * write takes the next journal sequence number.
 *
 * Subtrees are label ranges: everything strictly below `a` lies in [`a/`, `a0`) because
 * '0' is the byte after '/', and SQLite compares TEXT bytewise (UTF-8) by default. No
 * LIKE, so '_' and '%' in labels mean nothing special; no label is ever put in SQL text.
 */
export class SqliteStore {
  #latest: number;
  readonly #newest: Database.Statement<[], number | null>;
  readonly #dataVersion: Database.Statement<[], number>;
  /** data_version when we last caught up: it moves only for other connections' commits. */
  #seenVersion: number;
  readonly #retention: number;
  readonly #getNode: Database.Statement<[string], Buffer>;
  readonly #getSeq: Database.Statement<[string], number>;
  readonly #put: Database.Statement<[string, string, number, Buffer]>;
  readonly #addJournal: Database.Statement<[number, string, number]>;
  readonly #rangeLabels: Database.Statement<[string, string], string>;
  readonly #deleteOne: Database.Statement<[string]>;
  readonly #deleteRange: Database.Statement<[string, string]>;
  readonly #children: RowReader<[string]>;
  readonly #range: RowReader<[string, string]>;
  readonly #all: RowReader<[]>;
  readonly #trim: Database.Statement<[number]>;
  readonly #oldest: Database.Statement<[], number | null>;
  readonly #journal: Database.Statement<[number, number], JournalRow>;

  constructor(db: Database.Database, retention: number) {
    this.#retention = retention;
    this.#getNode = db.prepare<[string], Buffer>('SELECT node FROM nodes WHERE label = ?').pluck();
    this.#getSeq = db.prepare<[string], number>('SELECT seq FROM nodes WHERE label = ?').pluck();
    this.#put = db.prepare(
      'INSERT INTO nodes (label, parent, seq, node) VALUES (?, ?, ?, ?) ON CONFLICT (label) DO UPDATE SET seq = excluded.seq, node = excluded.node',
    );
    this.#addJournal = db.prepare('INSERT INTO journal (seq, label, deleted) VALUES (?, ?, ?)');
    this.#rangeLabels = db.prepare<[string, string], string>('SELECT label FROM nodes WHERE label >= ? AND label < ? ORDER BY label').pluck();
    this.#deleteOne = db.prepare('DELETE FROM nodes WHERE label = ?');
    this.#deleteRange = db.prepare('DELETE FROM nodes WHERE label >= ? AND label < ?');
    this.#children = new RowReader(db, 'WHERE parent = ?');
    this.#range = new RowReader(db, 'WHERE label >= ? AND label < ?');
    this.#all = new RowReader(db, '');
    this.#trim = db.prepare('DELETE FROM journal WHERE seq <= ?');
    this.#oldest = db.prepare<[], number | null>('SELECT min(seq) FROM journal').pluck();
    this.#journal = db.prepare(
      'SELECT j.seq AS seq, j.label AS label, n.node AS node FROM journal j LEFT JOIN nodes n ON n.label = j.label WHERE j.seq > ? ORDER BY j.seq LIMIT ?',
    );
    // Both tables, so a journal trimmed to nothing by hand cannot make sequences repeat.
    this.#newest = db.prepare<[], number | null>('SELECT max(coalesce((SELECT max(seq) FROM journal), 0), coalesce((SELECT max(seq) FROM nodes), 0))').pluck();
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#seenVersion = this.#dataVersion.get() ?? 0;
    this.#latest = this.#newest.get() ?? 0;
  }

  /**
   * Inside a write transaction: when another process committed since we last looked
   * (SQLite's data_version moved), take up numbering after its newest sequence, so
   * numbers are never taken twice and the journal shows the other writes as a gap.
   */
  catchUp(): void {
    const version = this.#dataVersion.get() ?? 0;
    if (version === this.#seenVersion) return;
    this.#latest = Math.max(this.#latest, this.#newest.get() ?? 0);
    this.#seenVersion = version;
  }

  /** The newest sequence number taken (committed, or taken inside the open transaction). */
  get latest(): number {
    return this.#latest;
  }

  /** Puts the counter back after a rollback, so sequence numbers stay gap-free. */
  set latest(sequence: number) {
    this.#latest = sequence;
  }

  state(label: string): NodeState | undefined {
    const row = this.#getNode.get(label);
    return row === undefined ? undefined : decodeNode(label, row);
  }

  version(label: string): Version | undefined {
    return this.state(label)?.version;
  }

  sequenceOf(label: string): number | undefined {
    return this.#getSeq.get(label);
  }

  /** Stores a node (inside a transaction), journaling the change. */
  put(state: NodeState): void {
    const seq = ++this.#latest;
    this.#put.run(state.labelRule, parentLabel(state.labelRule), seq, encodeNode(state));
    this.#addJournal.run(seq, state.labelRule, 0);
  }

  /** Removes a label's subtree (inside a transaction); returns the removed labels, parents first. */
  deleteSubtree(label: string): string[] {
    const [lo, hi] = below(label);
    const removed = this.#getSeq.get(label) === undefined ? [] : [label];
    removed.push(...this.#rangeLabels.all(lo, hi));
    if (removed.length === 0) return removed;
    this.#deleteOne.run(label);
    this.#deleteRange.run(lo, hi);
    for (const gone of removed) this.#addJournal.run(++this.#latest, gone, 1);
    return removed;
  }

  /** Keeps the newest `retention` journal entries (inside the transaction that wrote them). */
  trimJournal(): void {
    const cut = this.#latest - this.#retention;
    if (cut > 0) this.#trim.run(cut);
  }

  /**
   * States whose labels match a rule, in label order. SQL narrows to the rule's literal
   * prefix (one level through the parent index when the rule is one segment deeper,
   * else the prefix's label range); the rule then decides in JS, before any decoding.
   */
  match(rule: LabelRule): NodeState[] {
    if (rule.exact) {
      const state = rule.path === '' ? undefined : this.state(rule.path);
      return state ? [state] : [];
    }
    const prefix = rule.literalPrefix;
    const depth = rule.path.includes('**') ? Infinity : segments(rule.path) - segments(prefix);
    const rows = depth === 1 ? this.#children.all(prefix) : this.rowsBelow(prefix);
    const out: NodeState[] = [];
    // `a/**` is every row below `a`: a regular expression per row cost a tenth of a subtree read.
    const all = depth === Infinity && rule.allBelow === true;
    for (const row of rows) if (all || rule.matches(row.label)) out.push(decodeNode(row.label, row.node, row.shared));
    return out;
  }

  /** Every node, parents before children (a label sorts before every label it prefixes). */
  all(): NodeState[] {
    return this.#all.all().map((row) => decodeNode(row.label, row.node, row.shared));
  }

  /** Rows strictly below a label ('' for every row), in label order. */
  rowsBelow(label: string): NodeRow[] {
    if (label === '') return this.#all.all();
    const [lo, hi] = below(label);
    return this.#range.all(lo, hi);
  }

  /** The oldest journal entry still kept, or undefined when the journal is empty. */
  oldestSequence(): number | undefined {
    return this.#oldest.get() ?? undefined;
  }

  /** Journal entries after `since`, oldest first, with each label's current row. */
  journalSince(since: number, limit: number | undefined): JournalRow[] {
    return this.#journal.all(since, limit ?? -1);
  }
}

/** The half-open label range holding everything strictly below `label`. */
function below(label: string): [string, string] {
  return [`${label}/`, `${label}0`];
}

function segments(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}
