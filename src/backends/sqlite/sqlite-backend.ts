import type Database from 'better-sqlite3';
import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import { normalizeLabel } from '../../tree/labels.js';
import { nodeFromState, type NodeState, type TreeNode } from '../../tree/tree-node.js';
import type { NodeListener, Transaction } from '../backend.js';
import { checkedStates, pageLabels, relativeLabel, relativeRule, unsupportedLayers, parsePlainRule } from '../backend-helpers.js';
import type { JournalAnswer, JournalEntry, JournaledBackend } from '../journal.js';
import { ListenerRegistry } from '../listener-registry.js';
import { checkTransaction } from '../transaction-rules.js';
import { storageError } from './errors.js';
import { GroupCommit, type JobOutcome } from './group-commit.js';
import { readJournal } from './journal-reader.js';
import { checkSynchronous, openDatabase, type SynchronousMode } from './open-database.js';
import { SqliteStore } from './store.js';
import { snapshotTransaction } from './transaction-snapshot.js';

export interface SqliteBackendOptions {
  /** The database file (created if missing; its directory must exist). */
  path: string;
  /** Largest contents a node may carry (default 16 MiB). */
  maxContentBytes?: number;
  /** Journal entries kept for clients resuming with getJournal (default 100,000). */
  journalRetention?: number;
  /** SQLite's synchronous pragma (default FULL: an acknowledged write survives a power cut). */
  synchronous?: SynchronousMode;
  /** How long a write may wait for another process's lock before failing UNAVAILABLE (default 5000). */
  busyTimeoutMs?: number;
}

export const DEFAULT_JOURNAL_RETENTION = 100_000;

/** A label a write changed, and its new state (undefined: deleted). */
interface Change {
  readonly label: string;
  readonly state: NodeState | undefined;
}
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

function integerOption(value: number | undefined, fallback: number, what: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new WwatpError('STORAGE', `${what} must be an integer of at least ${min}, got ${String(value)}`);
  return value;
}

/**
 * The tree in a SQLite file (better-sqlite3, WAL). Reads are synchronous prepared
 * statements on the one connection, so they see every write whose promise resolved;
 * writes go through group commit, and each change takes a journal sequence number that
 * survives restarts. Semantics are SimpleBackend's, which the conformance suite checks.
 */
export class SqliteBackend implements JournaledBackend {
  readonly #path: string;
  readonly #maxContentBytes: number;
  readonly #db: Database.Database;
  readonly #store: SqliteStore;
  readonly #commit: GroupCommit;
  readonly #listeners = new ListenerRegistry();
  readonly #journalTaps = new Set<(entries: readonly JournalEntry[]) => void>();
  #closed: Promise<void> | undefined;

  constructor(options: SqliteBackendOptions) {
    if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path === '') {
      throw new WwatpError('STORAGE', 'SqliteBackend needs { path } naming the database file');
    }
    this.#path = options.path;
    this.#maxContentBytes = integerOption(options.maxContentBytes, DEFAULT_MAX_CONTENT_BYTES, 'maxContentBytes', 0);
    const retention = integerOption(options.journalRetention, DEFAULT_JOURNAL_RETENTION, 'journalRetention', 1);
    const busyTimeoutMs = integerOption(options.busyTimeoutMs, DEFAULT_BUSY_TIMEOUT_MS, 'busyTimeoutMs', 0);
    const synchronous = checkSynchronous(options.synchronous ?? 'FULL');
    this.#db = openDatabase({ path: this.#path, synchronous, busyTimeoutMs });
    try {
      this.#store = new SqliteStore(this.#db, retention);
    } catch (error) {
      this.#db.close();
      throw storageError(this.#path, 'opening', error);
    }
    const store = this.#store;
    this.#commit = new GroupCommit(this.#db, this.#path, busyTimeoutMs, {
      began: () => store.catchUp(),
      beforeCommit: () => store.trimJournal(),
      mark: () => store.latest,
      restore: (mark) => {
        store.latest = mark;
      },
    });
  }

  /** Opens a backend; rejects (rather than throws) when the file cannot be used. */
  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    return new SqliteBackend(options);
  }

  get path(): string {
    return this.#path;
  }

  /** Commits made and write calls committed: writes / commits shows how well writes batch. */
  stats(): { commits: number; writes: number } {
    return this.#commit.stats();
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    const canonical = normalizeLabel(label);
    const state = this.#read('reading a node', (store) => store.state(canonical));
    return state && nodeFromState(state);
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.#live();
    const states = checkedStates(nodes, this.#maxContentBytes);
    if (states.length === 0) return true;
    return this.#write(() => {
      const first = this.#store.latest + 1;
      for (const state of states) this.#store.put(state);
      return this.#changed(true, first, states.map((state) => ({ label: state.labelRule, state })));
    });
  }

  async deleteNode(label: string): Promise<boolean> {
    this.#live();
    const canonical = normalizeLabel(label);
    return this.#write(() => {
      const first = this.#store.latest + 1;
      const removed = this.#store.deleteSubtree(canonical);
      return this.#changed(removed.length > 0, first, removed.map((label) => ({ label, state: undefined })));
    });
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    const canonical = normalizeLabel(label);
    return this.#read('reading a page', (store) => {
      const page = store.state(canonical);
      if (!page) return [];
      const out: TreeNode[] = [];
      for (const child of pageLabels(page)) {
        const state = store.state(child);
        if (state) out.push(nodeFromState(state));
      }
      return out;
    });
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    const parsed = parsePlainRule(rule);
    return this.#read('querying', (store) => store.match(parsed).map(nodeFromState));
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(_node: TreeNode): Promise<void> {
    throw unsupportedLayers('SqliteBackend');
  }

  async closeTransactionLayers(): Promise<boolean> {
    this.#live();
    return true; // No layer can be open (as in SimpleBackend), so there is nothing to apply.
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    this.#live();
    // Checked now so malformed input is refused before joining a batch; checked again in
    // the batch, against the state the writes queued ahead of it leave.
    this.#read('checking a transaction', (store) => checkTransaction(tx, (label) => store.version(label), this.#maxContentBytes));
    const frozen = snapshotTransaction(tx);
    return this.#write(() => {
      const check = checkTransaction(frozen, (label) => this.#store.version(label), this.#maxContentBytes);
      if (!check.ok) return { value: false };
      const first = this.#store.latest + 1;
      const notices: Change[] = [];
      for (const write of check.writes) {
        if (write.state) {
          this.#store.put(write.state);
          notices.push({ label: write.label, state: write.state });
        } else {
          for (const gone of this.#store.deleteSubtree(write.label)) notices.push({ label: gone, state: undefined });
        }
      }
      return this.#changed(true, first, notices);
    });
  }

  async getFullTree(): Promise<TreeNode[]> {
    return this.#read('reading the tree', (store) => store.all().map(nodeFromState));
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#live();
    this.#listeners.register(name, rule, childNotify, callback);
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
  }

  onJournal(listener: (entries: readonly JournalEntry[]) => void): () => void {
    this.#journalTaps.add(listener);
    return () => void this.#journalTaps.delete(listener);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#live();
    const canonical = normalizeLabel(label);
    this.#listeners.notify(this, canonical, () => node?.clone());
  }

  async processNotifications(): Promise<void> {
    this.#live();
    // Listeners fire right after each COMMIT; waiting for the queue covers writes that
    // were called but not yet awaited.
    await this.#commit.idle();
  }

  async latestSequence(): Promise<number> {
    return this.#read('reading the journal', (store) => store.latest);
  }

  async getJournal(since: number, limit?: number): Promise<JournalAnswer> {
    return this.#read('reading the journal', (store) => readJournal(store, since, limit));
  }

  /** The journal sequence of a node's last change, or undefined when there is no node. */
  async sequenceOf(label: string): Promise<number | undefined> {
    const canonical = normalizeLabel(label);
    return this.#read('reading a node', (store) => store.sequenceOf(canonical));
  }

  /** Commits what is queued, then releases the file. Safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#commit.idle();
      try {
        this.#db.close();
      } catch (error) {
        throw storageError(this.#path, 'closing', error);
      }
    })();
    return this.#closed;
  }

  #live(): void {
    if (this.#closed) throw new WwatpError('CLOSED', `SqliteBackend ${this.#path} is closed`);
  }

  #read<T>(doing: string, read: (store: SqliteStore) => T): T {
    this.#live();
    try {
      return read(this.#store);
    } catch (error) {
      throw storageError(this.#path, doing, error);
    }
  }

  #write<T>(run: () => JobOutcome<T>): Promise<T> {
    return this.#commit.submit(run);
  }

  /**
   * A write job's outcome: `changes` took the sequence numbers from `first` on, one
   * each, in order (the store numbers them so). Once committed, journal taps hear of
   * them before listeners do, so a push to a client can name its sequence.
   */
  #changed<T>(value: T, first: number, changes: readonly Change[]): JobOutcome<T> {
    return {
      value,
      after: () => {
        if (this.#journalTaps.size > 0 && changes.length > 0) {
          const entries = changes.map((c, i): JournalEntry => ({ sequence: first + i, label: c.label, node: c.state && nodeFromState(c.state) }));
          for (const tap of this.#journalTaps) {
            try {
              tap(entries);
            } catch (error) {
              console.error('wwatp: a journal tap failed', error); // listeners still hear of the write
            }
          }
        }
        for (const c of changes) this.#notify(c.label, c.state);
      },
    };
  }

  #notify(label: string, state: NodeState | undefined): void {
    this.#listeners.notify(this, label, () => state && nodeFromState(state));
  }
}
