import pg from 'pg';
import type { TreeNode } from '../../tree/tree-node.js';
import { journalSince, type JournalRow } from './journal-reader.js';
import { decodeRow } from './row-codec.js';

export interface ChangeFeedOptions {
  pool: pg.Pool;
  /** Client settings for the dedicated LISTEN connection. */
  client: pg.ClientConfig;
  channel: string;
  /** Tells this instance's NOTIFYs ("<instanceId>:<first seq>:<last seq>") from other servers'. */
  instanceId: string;
  /** 'poll' reads the journal every pollIntervalMs instead of waiting for NOTIFY. */
  mode: 'listen' | 'poll';
  pollIntervalMs: number;
  /** Fires this backend's listeners for a change another server made. */
  deliver(sequence: number, label: string, node: TreeNode | undefined): void;
}

/** A batch this instance is writing: its range once known, then whether it committed. */
export interface OwnBatch {
  range(from: number, to: number): void;
  /** True once the writer fired listeners itself; false when the outcome is unknown or a failure. */
  settle(fired: boolean): void;
}

interface OwnRange {
  readonly to: number;
  /** True once the writer fired listeners itself; false when its COMMIT went unanswered. */
  readonly fired: Promise<boolean>;
}

const PAGE = 500;
const MAX_BACKOFF_MS = 1000;


/**
 * Delivers changes committed by other servers on the same database to this backend's
 * listeners. A NOTIFY only wakes it: it then reads the journal after the last sequence it
 * delivered, so nothing is lost when notifications are missed while the LISTEN connection
 * is down (it reconnects by itself and catches up) or when they are unavailable (polling).
 * Because sequences follow commit order (see schema.ts), "after the last delivered" is
 * exact. Batches this instance wrote are skipped: the writer fires them after COMMIT.
 */
export class ChangeFeed {
  readonly #o: ChangeFeedOptions;
  #lastSeen: number;
  readonly #own = new Map<number, OwnRange>();
  #pendingOwn: Promise<void> | undefined;
  #tail: Promise<void> = Promise.resolve();
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #backoffMs = 50;
  #closed = false;
  #mode: 'listen' | 'poll';

  constructor(options: ChangeFeedOptions, latest: number) {
    this.#o = options;
    this.#lastSeen = latest;
    this.#mode = options.mode;
  }

  /** The newest sequence delivered (or written by this instance). */
  get lastSeen(): number {
    return this.#lastSeen;
  }

  /** How changes arrive now: LISTEN falls back to polling where NOTIFY is unsupported. */
  get mode(): 'listen' | 'poll' {
    return this.#mode;
  }

  async start(): Promise<void> {
    if (this.#mode === 'listen') {
      try {
        await this.#listen();
        return;
      } catch (error) {
        if (!isUnsupported(error)) throw error;
        this.#mode = 'poll';
      }
    }
    this.#schedule(this.#o.pollIntervalMs, true);
  }

  /**
   * Called by the writer before the statement that may commit a batch of its own: NOTIFY
   * can reach the LISTEN connection before the writer has heard back, so rows the feed
   * cannot place wait until the writer knows its range.
   */
  beginOwn(): OwnBatch {
    let known: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => (known = resolve));
    this.#pendingOwn = pending;
    let settleFired: (fired: boolean) => void = () => undefined;
    const fired = new Promise<boolean>((resolve) => (settleFired = resolve));
    let range: { from: number; to: number } | undefined;
    const placed = (): void => {
      if (this.#pendingOwn === pending) this.#pendingOwn = undefined;
      known();
    };
    return {
      range: (from, to) => {
        range = { from, to };
        this.#own.set(from, { to, fired });
        placed();
      },
      settle: (done) => {
        if (!done) {
          // An unanswered COMMIT may or may not have happened: forget the range, so if
          // the rows exist the journal read delivers them like anyone else's.
          if (range) this.#own.delete(range.from);
          this.#kick();
        } else if (range && this.#lastSeen === range.from - 1) {
          this.#advance(range.to);
        }
        placed();
        settleFired(done);
      },
    };
  }

  /** Delivers everything committed before the call; rejects when the database is unreachable. */
  catchUp(): Promise<void> {
    return this.#enqueue(() => this.#readJournal());
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#tail;
  }

  /** Runs feed work one task at a time, in order. */
  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client(this.#o.client);
    client.on('notification', (message) => this.#onNotify(message.payload ?? ''));
    const lost = (): void => this.#lost(client);
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      // LISTEN takes no parameters; the channel was checked to be a plain identifier.
      await client.query(`LISTEN ${pg.escapeIdentifier(this.#o.channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#backoffMs = 50;
    // Anything committed while we were not listening.
    this.#kick();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    this.#schedule(0, false);
  }

  /** Reconnects the LISTEN client (or polls) after `delayMs`, backing off while it fails. */
  #schedule(delayMs: number, polling: boolean): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      if (polling) {
        this.#enqueue(() => this.#readJournal())
          .catch(() => undefined)
          .finally(() => this.#schedule(this.#o.pollIntervalMs, true));
        return;
      }
      this.#listen().catch(() => {
        this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
        this.#schedule(this.#backoffMs, false);
      });
    }, delayMs);
  }

  #onNotify(payload: string): void {
    const [origin, fromText, toText] = payload.split(':');
    const from = Number(fromText);
    const to = Number(toText);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      this.#kick();
      return;
    }
    if (to <= this.#lastSeen) return;
    // Our own batch right after what we have seen: nothing to read.
    if (origin === this.#o.instanceId && from === this.#lastSeen + 1 && this.#own.get(from)?.to === to) return;
    this.#kick();
  }

  /** A background catch-up; on failure it retries until it succeeds or the feed closes. */
  #kick(): void {
    this.catchUp().catch(() => {
      if (!this.#closed && this.#retryTimer === undefined) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#kick();
        }, 200);
      }
    });
  }

  async #readJournal(): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const rows = await journalSince(this.#o.pool, this.#lastSeen, PAGE);
      for (const row of rows) await this.#handle(row);
      if (rows.length < PAGE) return;
    }
  }

  async #handle(row: JournalRow): Promise<void> {
    // The writer may have moved past its own batch while this page was being read.
    if (row.seq <= this.#lastSeen) return;
    let own = this.#ownRange(row.seq);
    if (!own && this.#pendingOwn) {
      await this.#pendingOwn;
      if (row.seq <= this.#lastSeen) return;
      own = this.#ownRange(row.seq);
    }
    if (!(own && (await own.fired))) this.#deliver(row);
    if (row.seq > this.#lastSeen) this.#advance(row.seq);
  }

  /** Moves past `seq`, forgetting this instance's batches that lie wholly behind it. */
  #advance(seq: number): void {
    this.#lastSeen = seq;
    for (const [from, range] of this.#own) if (range.to <= seq) this.#own.delete(from);
  }

  #deliver(row: JournalRow): void {
    let node: TreeNode | undefined;
    try {
      node = row.deleted || row.node === null ? undefined : decodeRow(row.label, row.node);
    } catch (error) {
      // One damaged row must not stall delivery of everything after it.
      console.error(`wwatp: cannot deliver the change to "${row.label}"`, error);
      return;
    }
    this.#o.deliver(row.seq, row.label, node);
  }

  #ownRange(seq: number): OwnRange | undefined {
    for (const [from, range] of this.#own) if (seq >= from && seq <= range.to) return range;
    return undefined;
  }
}

/** LISTEN is missing on some Postgres-compatible engines: feature_not_supported, syntax_error. */
function isUnsupported(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '42601';
}
