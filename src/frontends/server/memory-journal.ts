import type { Backend } from '../../backends/backend.js';
import type { JournalAnswer, JournalEntry, JournaledBackend } from '../../backends/journal.js';
import { isJournaled } from '../../backends/journal.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { DurableJournal } from './durable-journal.js';
import { JournalListeners } from './journal-listeners.js';

/** Where a server reads changes from and learns of new ones. */
export interface JournalSource {
  /**
   * Which history the sequence numbers belong to. A memory journal starts a new history
   * (and numbering) whenever the server starts; a durable backend keeps one.
   */
  readonly epoch: string;
  latestSequence(): Promise<number>;
  getJournal(since: number, limit?: number): Promise<JournalAnswer>;
  /** Called with each new entry, in order; returns a function that stops it. */
  onEntry(listener: (entry: JournalEntry) => void): () => void;
  /** Runs a notifyListeners call: listeners fire, but it is not a change to journal. */
  notifyOnly(fire: () => void): void;
  close(): void;
}

const LISTENER = '\u0000wwatp-journal';

/**
 * A bounded in-memory journal for a backend that keeps none (memory trees, composites):
 * every change the backend reports gets the next sequence number; the oldest entries
 * fall away past `capacity`, and a client asking for them is told to resync.
 */
export class MemoryJournal implements JournalSource {
  readonly epoch = `memory:${globalThis.crypto.randomUUID()}`;
  readonly #entries: JournalEntry[] = [];
  readonly #listeners = new JournalListeners();
  #next = 1;

  constructor(
    readonly backend: Backend,
    readonly capacity = 100_000,
  ) {
    backend.registerNodeListener(LISTENER, '', true, (_b, label, node) => this.#append(label, node));
  }

  #append(label: string, node: TreeNode | undefined): void {
    if (this.#listeners.notifying) return;
    const entry: JournalEntry = { sequence: this.#next++, label, node };
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
    this.#listeners.emit(entry);
  }

  async latestSequence(): Promise<number> {
    return this.#next - 1;
  }

  async getJournal(since: number, limit = 10_000): Promise<JournalAnswer> {
    const latest = this.#next - 1;
    const oldest = this.#entries[0]?.sequence ?? this.#next;
    // Before the oldest kept, or past the newest (a client of an earlier life of this
    // journal, which restarted at 1): either way its history is not ours to continue.
    if (since < oldest - 1 || since > latest) return { kind: 'resync', oldest, latest };
    const start = this.#entries.findIndex((e) => e.sequence > since);
    const entries = start < 0 ? [] : this.#entries.slice(start, start + limit);
    return { kind: 'entries', entries, latest };
  }

  onEntry(listener: (entry: JournalEntry) => void): () => void {
    return this.#listeners.add(listener);
  }

  notifyOnly(fire: () => void): void {
    this.#listeners.notifyOnly(fire);
  }

  close(): void {
    this.backend.deregisterNodeListener(LISTENER, '');
    this.#listeners.clear();
  }
}

/**
 * The journal a durable backend keeps itself (SQLite, PostgreSQL) seen as a source: its
 * sequence numbers survive restarts, so clients resume across them.
 */
export class BackendJournal implements JournalSource {
  readonly epoch = 'durable';
  readonly #backend: JournaledBackend;
  readonly #listeners = new JournalListeners();
  #delivered: number | undefined;
  #dirty = false;
  #pumping = false;
  #closed = false;
  readonly #untap: () => void;

  constructor(backend: JournaledBackend) {
    this.#backend = backend;
    if (backend.onJournal) this.#untap = backend.onJournal((entries) => this.#take(entries));
    else {
      backend.registerNodeListener(LISTENER, '', true, () => this.#pump());
      this.#untap = () => backend.deregisterNodeListener(LISTENER, '');
    }
    void backend.latestSequence().then((seq) => {
      this.#delivered ??= seq;
    });
  }

  /**
   * Entries the backend handed over at COMMIT: passed on as they are, with no read-back
   * on the way to the writer's answer. Anything else goes through a read of the journal:
   * a read under way (it reads these too), or a gap (another process wrote in between).
   */
  #take(entries: readonly JournalEntry[]): void {
    if (this.#closed) return;
    if (this.#pumping || this.#delivered === undefined) return this.#pump();
    for (const entry of entries) {
      if (entry.sequence <= this.#delivered) continue; // a read just now delivered it
      if (entry.sequence !== this.#delivered + 1) return this.#pump();
      this.#delivered = entry.sequence;
      this.#listeners.emit(entry);
    }
  }

  // Listener callbacks carry no sequence number, so each change prompts a read of the
  // journal (for a backend without onJournal, or to fill a gap); `dirty` makes sure a
  // change arriving mid-read is not left behind.
  #pump(): void {
    this.#dirty = true;
    if (this.#pumping) return;
    this.#pumping = true;
    void (async () => {
      try {
        while (this.#dirty && !this.#closed) {
          this.#dirty = false;
          this.#delivered ??= 0;
          for (;;) {
            const answer = await this.#backend.getJournal(this.#delivered, 1000);
            if (answer.kind === 'resync') {
              this.#delivered = answer.latest;
              break;
            }
            if (answer.entries.length === 0) break;
            for (const entry of answer.entries) {
              this.#delivered = entry.sequence;
              this.#listeners.emit(entry);
            }
            // Caught up with the answer's own latest: no second read just to learn that.
            if (this.#delivered >= answer.latest) break;
          }
        }
      } catch (error) {
        console.error('wwatp: reading the journal failed', error);
      } finally {
        this.#pumping = false;
      }
    })();
  }

  latestSequence(): Promise<number> {
    return this.#backend.latestSequence();
  }

  getJournal(since: number, limit?: number): Promise<JournalAnswer> {
    return this.#backend.getJournal(since, limit);
  }

  onEntry(listener: (entry: JournalEntry) => void): () => void {
    return this.#listeners.add(listener);
  }

  notifyOnly(fire: () => void): void {
    fire(); // The durable journal records only real writes, so nothing to suppress.
  }

  close(): void {
    this.#closed = true;
    this.#untap();
    this.#listeners.clear();
  }
}

export function journalFor(backend: Backend, capacity?: number): JournalSource {
  return isJournaled(backend) ? new BackendJournal(backend) : new MemoryJournal(backend, capacity);
}

export interface OpenJournalOptions {
  /** Entries kept for clients to resume from (memory or durable journal). */
  readonly capacity?: number;
  /**
   * A journal file for a backend that keeps no journal of its own (a composite): the
   * DurableJournal there instead of a MemoryJournal, so clients resume across restarts.
   * Give it only when every part of the backend is durable.
   */
  readonly path?: string;
  /** Journaled backends inside it whose changes made while no server ran force a new epoch (DurableJournal). */
  readonly watermarks?: readonly JournaledBackend[];
}

/**
 * The journal a server reads: the backend's own when it keeps one; else the durable
 * journal at `path` when given; else a memory journal.
 */
export async function openJournal(backend: Backend, options: OpenJournalOptions = {}): Promise<JournalSource> {
  if (isJournaled(backend)) return new BackendJournal(backend);
  if (options.path !== undefined) {
    return DurableJournal.open({
      backend, path: options.path,
      ...(options.capacity !== undefined ? { capacity: options.capacity } : {}),
      ...(options.watermarks ? { watermarks: options.watermarks } : {}),
    });
  }
  return new MemoryJournal(backend, options.capacity);
}
