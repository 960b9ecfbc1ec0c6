import type pg from 'pg';
import type { WwatpError } from '../../tree/errors.js';
import { isRetryable } from './errors.js';
import { WriteBatch, type Notice, type OpResult, type WriteOp } from './write-batch.js';

export interface GroupCommitOptions {
  pool: pg.Pool;
  maxContentBytes: number;
  journalRetention: number;
  channel: string;
  notifyPayload(from: number, to: number): string;
  /** Registers a batch as this instance's own before COMMIT (see ChangeFeed.expectOwn). */
  expectOwn(from: number, to: number): (fired: boolean) => void;
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

const LOCK_COUNTER = 'SELECT latest, pruned_through FROM wwatp_meta WHERE id = 1 FOR UPDATE';

/**
 * Group commit: writes that arrive while a batch is committing wait and then go
 * together in the next transaction, so N concurrent writers cost one fsync, not N. Each
 * caller's promise settles after COMMIT (and after its listeners fired). One batch is in
 * flight per backend; across servers, the counter row lock orders the batches.
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
        for (const p of batch) p.reject(this.#o.wrap(doing, error));
        return;
      }
    }
    // Listeners fire in write order, before any caller hears back (as SimpleBackend does).
    for (const result of outcome.results) if (result.ok) this.#o.fire(result.notices);
    outcome.settleOwn?.(true);
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
    let settleOwn: ((fired: boolean) => void) | undefined;
    let doing = 'writing';
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ latest: string; pruned_through: string }>(LOCK_COUNTER);
      const meta = rows[0];
      if (!meta) throw new Error('the wwatp_meta row is missing');
      const writes = new WriteBatch(client, this.#o.maxContentBytes);
      const results: OpResult[] = [];
      for (const op of ops) results.push(await writes.run(op));
      if (writes.changes === 0) {
        await client.query('ROLLBACK');
      } else {
        const o = this.#o;
        const { from, to } = await writes.write(Number(meta.latest), Number(meta.pruned_through), o.journalRetention, o.channel, o.notifyPayload);
        settleOwn = o.expectOwn(from, to);
        doing = 'committing';
        await client.query('COMMIT');
      }
      client.removeListener('error', ignore);
      client.release();
      return { results, settleOwn };
    } catch (error) {
      settleOwn?.(false);
      client.removeListener('error', ignore);
      // Destroys the connection rather than reuse one in an unknown state.
      client.release(error instanceof Error ? error : true);
      throw new AttemptFailure(error, doing);
    }
  }
}

interface Attempt {
  results: OpResult[];
  settleOwn: ((fired: boolean) => void) | undefined;
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
