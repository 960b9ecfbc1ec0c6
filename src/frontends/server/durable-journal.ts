import Database from 'better-sqlite3';
import type { Backend } from '../../backends/backend.js';
import type { JournalAnswer, JournalEntry, JournaledBackend } from '../../backends/journal.js';
import { isBusy, storageError } from '../../backends/sqlite/errors.js';
import { WwatpError } from '../../tree/errors.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { JournalListeners } from './journal-listeners.js';
import type { JournalSource } from './memory-journal.js';

/** Marks a journal file as ours ('wwjl'), so we never take over some other program's database. */
const APPLICATION_ID = 0x77776a6c;
const SCHEMA_VERSION = 1;
const LISTENER = '\u0000wwatp-durable-journal';

export interface DurableJournalOptions {
  /** The backend whose changes are journaled (one that keeps no journal of its own). */
  readonly backend: Backend;
  /** The journal file (created if absent). */
  readonly path: string;
  /** Rows kept; older ones are pruned in batches and a client asking for them resyncs (default 100,000). */
  readonly capacity?: number;
  /**
   * Journaled backends inside `backend` (a composite's SQLite root, say). Their latest
   * sequence is recorded at a clean close; if it has moved when the journal opens again,
   * something changed them while no journal listened, so a new epoch starts.
   */
  readonly watermarks?: readonly JournaledBackend[];
}

interface Row {
  readonly seq: number;
  readonly label: string;
  readonly deleted: number;
}

/**
 * A journal kept in its own SQLite file for a backend that keeps none (the default
 * composite: SQLite tree at the root, the Collector at /collector). It listens to the
 * backend like MemoryJournal, numbers each change and records (sequence, label,
 * deleted) rows; answers carry each label's current node, fetched from the backend.
 *
 * Rows of one event-loop turn are written in one transaction (group commit). A push goes
 * out before its row is durable, so the journal file says whether it was closed cleanly:
 * a clean reopen keeps the epoch and numbering (clients resume); after a crash, or when a
 * watermarked backend changed meanwhile, a new epoch starts and clients resync.
 */
export class DurableJournal implements JournalSource {
  readonly path: string;
  readonly backend: Backend;
  readonly capacity: number;
  readonly #fresh: boolean;
  #restarted = false;
  #epoch: string;
  readonly #db: Database.Database;
  readonly #sql: {
    insert: Database.Statement<[number, string, number]>;
    since: Database.Statement<[number], Row>;
    prune: Database.Statement<[number]>;
    setMeta: Database.Statement<[string, string | number]>;
  };
  readonly #listeners = new JournalListeners();
  /** Unique per journal, so two on one backend (a failed start beside a running server) do not replace each other. */
  readonly #listenerName = `${LISTENER}:${globalThis.crypto.randomUUID()}`;
  readonly #watermarks: readonly JournaledBackend[];
  readonly #marks: number[];
  #pending: Row[] = [];
  #scheduled = false;
  #next: number;
  /** Rows in the file (kept in memory so pruning needs no count(*)). */
  #rows: number;
  /** The oldest sequence a client may resume from being below (history before it is gone). */
  #oldest: number;
  #closed = false;
  #commits = 0;
  /** A watermark read is under way. */
  #refreshing = false;
  /** A batch failed to write: the file is not marked clean at close. */
  #broken = false;
  /** Entries appended while a getJournal is reading nodes, so its answer can include them. */
  #reading = 0;
  #tail: JournalEntry[] = [];

  private constructor(options: DurableJournalOptions, db: Database.Database, state: { epoch: string; next: number; rows: number; oldest: number; fresh: boolean }, marks: number[]) {
    this.path = options.path;
    this.backend = options.backend;
    this.capacity = options.capacity ?? 100_000;
    this.#db = db;
    this.#epoch = state.epoch;
    this.#next = state.next;
    this.#rows = state.rows;
    this.#oldest = state.oldest;
    this.#fresh = state.fresh;
    this.#watermarks = options.watermarks ?? [];
    this.#marks = marks;
    this.#sql = {
      insert: db.prepare('INSERT INTO journal (seq, label, deleted) VALUES (?, ?, ?)'),
      since: db.prepare('SELECT seq, label, deleted FROM journal WHERE seq > ? ORDER BY seq'),
      prune: db.prepare('DELETE FROM journal WHERE seq < ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  /**
   * Opens (or creates) the journal at `path` and starts listening to the backend. A file
   * that is damaged, not a journal, read-only or in use by another server is a
   * WwatpError STORAGE naming the path.
   */
  static async open(options: DurableJournalOptions): Promise<DurableJournal> {
    const capacity = options.capacity ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new WwatpError('STORAGE', `journal capacity must be a positive integer, got ${String(capacity)}`);
    const marks = await Promise.all((options.watermarks ?? []).map((b) => b.latestSequence()));
    const { path } = options;
    let db: Database.Database | undefined;
    let journal: DurableJournal;
    try {
      db = new Database(path, { timeout: 200 });
      // One server owns a journal: the exclusive lock (taken by the first write below,
      // held until close) makes a second server on the same file fail at start.
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new WwatpError('STORAGE', `journal file ${path} could not switch to WAL mode (journal_mode is ${String(mode)})`);
      // FULL for the clean-marker write below: it must be on disk before any push goes out.
      db.pragma('synchronous = FULL');
      db.exec('BEGIN IMMEDIATE');
      const appId = db.pragma('application_id', { simple: true });
      const version = Number(db.pragma('user_version', { simple: true }));
      if (appId !== 0 && appId !== APPLICATION_ID) {
        throw new WwatpError('STORAGE', `journal file ${path} belongs to another program (application_id ${String(appId)}); refusing to use it`);
      }
      if (version === 0) {
        if (db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() !== 0) {
          throw new WwatpError('STORAGE', `journal file ${path} has tables but is not a wwatp journal; refusing to use it`);
        }
        db.exec(`
          CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
          CREATE TABLE journal (seq INTEGER PRIMARY KEY, label TEXT NOT NULL, deleted INTEGER NOT NULL);
        `);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      } else if (version !== SCHEMA_VERSION) {
        throw new WwatpError('STORAGE', `journal file ${path} has schema version ${version}, which this wwatp does not know`);
      }
      const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: unknown }>).map((r) => [r.key, r.value]));
      const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      const maxSeq = Number(db.prepare('SELECT coalesce(max(seq), 0) FROM journal').pluck().get());
      const base = Number(meta.get('base') ?? 0);
      const latest = Math.max(maxSeq, base);
      const stored = typeof meta.get('watermarks') === 'string' ? (JSON.parse(meta.get('watermarks') as string) as unknown) : undefined;
      const marksMoved = marks.length > 0 && (!Array.isArray(stored) || stored.length !== marks.length || stored.some((m, i) => m !== marks[i]));
      const epoch = meta.get('epoch');
      const fresh = typeof epoch !== 'string' || meta.get('clean') !== 1 || marksMoved;
      let state;
      if (fresh) {
        // A new history: numbering carries on (never reused), but nothing before it is
        // kept, since rows pushed but never written may be missing from it.
        db.exec('DELETE FROM journal');
        setMeta.run('base', latest);
        state = { epoch: `journal:${globalThis.crypto.randomUUID()}`, next: latest + 1, rows: 0, oldest: latest + 1, fresh };
        setMeta.run('epoch', state.epoch);
      } else {
        const rows = Number(db.prepare('SELECT count(*) FROM journal').pluck().get());
        const minSeq = db.prepare('SELECT min(seq) FROM journal').pluck().get() as number | null;
        state = { epoch, next: latest + 1, rows, oldest: minSeq ?? latest + 1, fresh };
      }
      setMeta.run('clean', 0);
      db.exec('COMMIT');
      // Batches need not be on disk at COMMIT: after a crash the journal starts a new epoch anyway.
      db.pragma('synchronous = NORMAL');
      journal = new DurableJournal({ ...options, capacity }, db, state, marks);
      journal.#listen();
    } catch (error) {
      try {
        db?.close();
      } catch {
        // The original error is the one to report.
      }
      if (WwatpError.is(error)) throw error;
      if (isBusy(error)) {
        throw new WwatpError('STORAGE', `journal file ${path} is in use by another server (locked): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      throw storageError(path, 'opening the journal', error);
    }
    // A watermarked backend changed between reading its mark and listening (another server
    // writing the same PostgreSQL database, say): that change may have gone unheard.
    const after = await Promise.all((options.watermarks ?? []).map((b) => b.latestSequence())).catch((error: unknown) => {
      journal.close();
      throw error;
    });
    if (after.some((m, i) => m !== marks[i]) && !journal.startedNewEpoch) journal.#startEpoch();
    return journal;
  }

  /** Starts a new epoch now (before any client has seen this journal): numbering carries on, history is dropped. */
  #startEpoch(): void {
    this.#flush();
    const base = this.#next - 1;
    const epoch = `journal:${globalThis.crypto.randomUUID()}`;
    this.#db.transaction(() => {
      this.#db.exec('DELETE FROM journal');
      this.#sql.setMeta.run('base', base);
      this.#sql.setMeta.run('epoch', epoch);
    })();
    this.#epoch = epoch;
    this.#rows = 0;
    this.#oldest = base + 1;
    this.#restarted = true;
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** True when this open started a new epoch (a new file, an unclean stop, or changes made while closed). */
  get startedNewEpoch(): boolean {
    return this.#fresh || this.#restarted;
  }

  #listen(): void {
    this.backend.registerNodeListener(this.#listenerName, '', true, (_b, label, node) => this.#append(label, node));
  }

  #append(label: string, node: TreeNode | undefined): void {
    if (this.#listeners.notifying || this.#closed) return;
    const entry: JournalEntry = { sequence: this.#next++, label, node };
    this.#pending.push({ seq: entry.sequence, label, deleted: node === undefined ? 1 : 0 });
    if (this.#reading > 0) this.#tail.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    this.#refreshMarks();
    this.#listeners.emit(entry);
  }

  /** Watermarks follow the writes, so a clean close records where the backends were. */
  #refreshMarks(): void {
    if (this.#watermarks.length === 0 || this.#refreshing) return;
    this.#refreshing = true;
    void Promise.all(this.#watermarks.map((b) => b.latestSequence()))
      .then((marks) => marks.forEach((m, i) => (this.#marks[i] = m)), () => undefined)
      .finally(() => (this.#refreshing = false));
  }

  /** Writes the pending rows in one transaction (and prunes past capacity). */
  #flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const rows = this.#pending;
    this.#pending = [];
    // Pruned in batches of a tenth of the capacity, not row by row.
    const slack = Math.max(1, Math.ceil(this.capacity / 10));
    const prune = this.#rows + rows.length > this.capacity + slack ? this.#next - this.capacity : undefined;
    try {
      this.#db.transaction(() => {
        for (const r of rows) this.#sql.insert.run(r.seq, r.label, r.deleted);
        if (prune !== undefined) this.#sql.prune.run(prune);
      })();
      this.#rows += rows.length;
      this.#commits++;
      if (prune !== undefined) {
        this.#rows = Math.min(this.#rows, this.#next - prune);
        this.#oldest = Math.max(this.#oldest, prune);
      }
    } catch (error) {
      // These changes are lost to the file: history before them cannot be answered, and
      // the file will not be marked clean, so the next start is a new epoch.
      console.error(`wwatp: writing the journal ${this.path} failed; clients will resync`, error);
      this.#oldest = this.#next;
      this.#broken = true;
    }
  }

  async latestSequence(): Promise<number> {
    return this.#next - 1;
  }

  /** Rows in the file, the oldest kept sequence, and the transactions that wrote rows (rows per commit is the batching factor). */
  stats(): { rows: number; oldest: number; commits: number } {
    return { rows: this.#rows, oldest: this.#oldest, commits: this.#commits };
  }

  /**
   * Entries after `since`, oldest first, at most `limit`: each label once, at its latest
   * sequence, with its current node (undefined: deleted). Resync when `since` is older
   * than what is kept or newer than the latest.
   */
  async getJournal(since: number, limit = 10_000): Promise<JournalAnswer> {
    if (this.#closed) throw new WwatpError('CLOSED', `journal ${this.path} is closed`);
    this.#flush();
    const latest = this.#next - 1;
    if (since < this.#oldest - 1 || since > latest) return { kind: 'resync', oldest: this.#oldest, latest };
    const rows = dedupe(this.#sql.since.all(since)).slice(0, limit);
    this.#reading++;
    try {
      const entries: JournalEntry[] = await Promise.all(
        rows.map(async (row) => ({ sequence: row.seq, label: row.label, node: row.deleted ? undefined : await this.backend.getNode(row.label) })),
      );
      // Changes made while the nodes were read: included now, synchronously, so a
      // subscriber that starts listening right after this answer misses none.
      const tail = this.#tail.filter((e) => e.sequence > latest);
      if (tail.length === 0 || entries.length >= limit) return { kind: 'entries', entries, latest };
      const later = new Set(tail.map((e) => e.label));
      const merged = [...entries.filter((e) => !later.has(e.label)), ...dedupe(tail)];
      return { kind: 'entries', entries: merged.slice(0, limit), latest: this.#next - 1 };
    } finally {
      if (--this.#reading === 0) this.#tail = [];
    }
  }

  onEntry(listener: (entry: JournalEntry) => void): () => void {
    return this.#listeners.add(listener);
  }

  notifyOnly(fire: () => void): void {
    this.#listeners.notifyOnly(fire);
  }

  /** Writes what is pending, marks the file cleanly closed (with the watermarks) and closes it. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.backend.deregisterNodeListener(this.#listenerName, '');
    this.#listeners.clear();
    this.#flush();
    this.#closed = true;
    try {
      if (!this.#broken && !this.#refreshing && !this.#marks.includes(-1)) {
        this.#db.pragma('synchronous = FULL');
        this.#db.transaction(() => {
          this.#sql.setMeta.run('watermarks', JSON.stringify(this.#marks));
          this.#sql.setMeta.run('clean', 1);
        })();
      }
    } catch (error) {
      console.error(`wwatp: marking the journal ${this.path} closed failed; clients will resync after the next start`, error);
    } finally {
      this.#db.close();
    }
  }

}

/** Keeps each label's last row only, in sequence order. */
function dedupe<R extends { label: string }>(rows: readonly R[]): R[] {
  const seen = new Set<string>();
  const out: R[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i] as R;
    if (seen.has(row.label)) continue;
    seen.add(row.label);
    out.push(row);
  }
  return out.reverse();
}
