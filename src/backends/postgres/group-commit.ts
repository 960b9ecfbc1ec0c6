import type pg from 'pg';
import type { WwatpError } from '../../tree/errors.js';
import type { OwnBatch } from './change-feed.js';
import { isRetryable, isUnavailable } from './errors.js';
import { pruneJournal, WriteBatch, type Notice, type OpResult, type WriteOp } from './write-batch.js';

export interface GroupCommitOptions {
  pool: pg.Pool;
  maxContentBytes: number;
  journalRetention: number;
  /** synchronous_commit for write transactions ('on': durable when COMMIT returns). */
  synchronousCommit: string;
  /** The NOTIFY to queue with each batch, or undefined where nobody listens (polling). */
  notify(): { channel: string; tag: string } | undefined;
  /** Tells the change feed a batch of ours may commit (see ChangeFeed.beginOwn). */
  beginOwn(): OwnBatch;
  /** Fires local listeners for a committed op. */
  fire(notices: readonly Notice[]): void;
  /** Turns a pg error into a WwatpError (UNAVAILABLE or STORAGE). */
  wrap(doing: string, error: unknown): WwatpError;
}

interface Pending {
  readonly op: WriteOp;
  resolve(value: boolean): void;
  reject(error: unknown): void;
}

// Bounds one transaction's size; more waiting writers simply go in the next one.
const MAX_OPS_PER_BATCH = 1000;
const MAX_RETRIES = 5;

// READ COMMITTED, so each statement after the lock sees every batch committed before it.
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';
// The write lock (the wwatp_meta row), taken first by batches that must read before they
// write (deletes, transactions), so that what they read cannot change before COMMIT and
// transaction validation is atomic across servers. Should this process stall while
// holding it, the server ends the transaction after 30 s instead of blocking the others.
const LOCK = `SELECT set_config('idle_in_transaction_session_timeout', '30s', true) FROM wwatp_meta WHERE id = 1 FOR NO KEY UPDATE`;

/**
 * Group commit: writes that arrive while a batch is committing wait and then go
 * together in the next transaction, so N concurrent writers cost one WAL flush, not N.
 * Each caller's promise settles after COMMIT (and after its listeners fired). One batch
 * is in flight per backend; across servers, the wwatp_meta row lock orders the batches.
 */
export class GroupCommit {
  readonly #o: GroupCommitOptions;
  readonly #queue: Pending[] = [];
  #active: Promise<void> | undefined;

  constructor(options: GroupCommitOptions) {
    this.#o = options;
  }

  submit(op: WriteOp): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#active ??= this.#drain();
    });
  }

  /** Resolves when every write submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.#active) await this.#active;
  }

  async #drain(): Promise<void> {
    // Writers calling in the same tick join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0, MAX_OPS_PER_BATCH));
    this.#active = undefined;
  }

  async #commit(batch: Pending[]): Promise<void> {
    let outcome: Attempt;
    for (let attempt = 0; ; attempt++) {
      try {
        outcome = await this.#attempt(batch.map((p) => p.op));
        break;
      } catch (failure) {
        const { error, doing } = failure instanceof AttemptFailure ? failure : { error: failure, doing: 'writing' };
        if (isRetryable(error) && attempt < MAX_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        // An error the server answered with means nothing was committed. One caller's
        // write may have caused it (say, a label too long for the index): give each
        // caller its own transaction, so the others are not failed with it.
        if (batch.length > 1 && !isUnavailable(error)) {
          for (const p of batch) await this.#commit([p]);
          return;
        }
        for (const p of batch) p.reject(this.#o.wrap(doing, error));
        return;
      }
    }
    if (outcome.pruneThrough !== undefined) {
      // Housekeeping before answering, so a caller reads the journal as retention says;
      // a failure only leaves more history behind.
      await pruneJournal(this.#o.pool, outcome.pruneThrough).catch(() => undefined);
    }
    // Listeners fire in write order, before any caller hears back (as SimpleBackend does).
    for (const result of outcome.results) if (result.ok) this.#o.fire(result.notices);
    outcome.own?.settle(true);
    outcome.results.forEach((result, i) => {
      const p = batch[i] as Pending;
      if (result.ok) p.resolve(result.value);
      else p.reject(result.error);
    });
  }

  /** One try at the batch as a SQL transaction; throws an AttemptFailure. */
  async #attempt(ops: WriteOp[]): Promise<Attempt> {
    let client: pg.PoolClient;
    try {
      client = await this.#o.pool.connect();
    } catch (error) {
      throw new AttemptFailure(error, 'connecting to write');
    }
    // A checked-out client emits 'error' when its connection dies between queries;
    // unheard, that would crash the process. The failing query reports it to us anyway.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    // Upserts need nothing read first: their batch is one statement in an implicit
    // transaction, which takes the write lock itself (see write-batch.ts).
    const lockFirst = ops.some((op) => op.kind !== 'upsert');
    let own: OwnBatch | undefined;
    let doing = 'writing';
    try {
      if (lockFirst) {
        await client.query(BEGIN);
        await client.query(LOCK);
      }
      const writes = new WriteBatch(client, this.#o.maxContentBytes);
      const results: OpResult[] = [];
      for (const op of ops) results.push(await writes.run(op));
      let pruneThrough: number | undefined;
      if (writes.changes === 0) {
        if (lockFirst) await client.query('ROLLBACK');
      } else {
        own = this.#o.beginOwn();
        if (!lockFirst) doing = 'committing';
        const written = await writes.write(this.#o.synchronousCommit, this.#o.notify());
        own.range(written.from, written.to);
        if (lockFirst) {
          doing = 'committing';
          await client.query('COMMIT');
        }
        // Prune in steps of a tenth of the retention, not on every write.
        const retention = this.#o.journalRetention;
        const through = written.to - retention;
        if (through >= written.prunedThrough + Math.max(1, Math.floor(retention / 10))) pruneThrough = through;
      }
      client.removeListener('error', ignore);
      client.release();
      return { results, own, pruneThrough };
    } catch (error) {
      own?.settle(false);
      client.removeListener('error', ignore);
      // Destroys the connection rather than reuse one in an unknown state.
      client.release(error instanceof Error ? error : true);
      throw new AttemptFailure(error, doing);
    }
  }
}

interface Attempt {
  results: OpResult[];
  own: OwnBatch | undefined;
  pruneThrough: number | undefined;
}

/** A failed try: the pg error and what the batch was doing when it happened. */
class AttemptFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly doing: string,
  ) {
    super(doing);
  }
}
