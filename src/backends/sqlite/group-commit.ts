import type Database from 'better-sqlite3';
import { isBusy, storageError } from './errors.js';

/** What a job did inside the transaction: its caller's answer, and what to do once durable. */
export interface JobOutcome<T> {
  readonly value: T;
  /** Runs after COMMIT, before the caller's promise resolves (listener notifications). */
  readonly after?: () => void;
}

export interface CommitHooks {
  /** Runs first in each transaction, holding the write lock (catch up with other processes' commits). */
  began?(): void;
  /** Runs inside the transaction after the last job, before COMMIT. */
  beforeCommit(): void;
  /** Saves in-memory state that writes advance (the sequence counter)... */
  mark(): number;
  /** ...and puts it back when those writes are rolled back. */
  restore(mark: number): void;
}

interface Job {
  readonly run: () => JobOutcome<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** When the job was queued: a job waiting longer than busyTimeoutMs for the lock fails. */
  readonly since: number;
}

type Result = { ok: true; outcome: JobOutcome<unknown> } | { ok: false; error: unknown };

const RETRY_MIN_MS = 5;
const RETRY_MAX_MS = 50;

/**
 * Group commit: writes queued while a batch is pending run together in one SQLite
 * transaction on the next turn of the event loop (at the end of this one for a lone
 * writer), so N concurrent writers share one
 * COMMIT (one fsync) instead of paying one each. Each job runs under its own SAVEPOINT:
 * a job that throws is rolled back alone and only its caller sees the error. Promises
 * settle only after the shared COMMIT; if BEGIN or COMMIT fails, every job of that batch
 * fails and the next batch starts afresh. While another process holds the write lock the
 * batch is retried off the event loop, so reads keep being served meanwhile.
 */
export class GroupCommit {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  readonly #hooks: CommitHooks;
  #queue: Job[] = [];
  #scheduled = false;
  #retryDelay = RETRY_MIN_MS;
  readonly #idleWaiters: Array<() => void> = [];
  #commits = 0;
  #writes = 0;
  /** Writes in the last batch that gathered over a whole turn: picks how the next gathers (see #schedule). */
  #lastGathered = 0;
  #earlyThisTurn = false;
  // Prepared once: compiling BEGIN/SAVEPOINT/... on every batch is measurable per write.
  readonly #sql: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;

  constructor(db: Database.Database, path: string, busyTimeoutMs: number, hooks: CommitHooks) {
    this.#db = db;
    const prepare = (sql: string): Database.Statement => db.prepare(sql);
    this.#sql = {
      begin: prepare('BEGIN IMMEDIATE'),
      commit: prepare('COMMIT'),
      rollback: prepare('ROLLBACK'),
      savepoint: prepare('SAVEPOINT wwatp_job'),
      release: prepare('RELEASE wwatp_job'),
      rollbackTo: prepare('ROLLBACK TO wwatp_job'),
    };
    this.#path = path;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#hooks = hooks;
  }

  /** Commits and write calls committed so far (writes / commits is the batching factor). */
  stats(): { commits: number; writes: number } {
    return { commits: this.#commits, writes: this.#writes };
  }

  /** Queues a job; `run` executes inside the next batch's transaction. */
  submit<T>(run: () => JobOutcome<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (value: unknown) => void, reject, since: Date.now() });
      this.#schedule(0);
    });
  }

  /** Resolves once nothing is queued or committing (failed batches included). */
  idle(): Promise<void> {
    if (!this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (delayMs > 0) setTimeout(() => this.#flush(false), delayMs);
    // A lone writer commits at the end of this turn: its answer is then ready when the
    // server's transport sends, and leaves with the ACK instead of a turn later in a
    // packet of its own (measured over QUIC: 3 datagrams per sequential write became 2).
    // "Lone" means the last batch that gathered over a whole turn had one write, and no
    // early commit happened this turn yet: a second write in the same turn gathers over
    // the turn (setImmediate) again, so concurrent writers keep sharing commits, and a
    // loop of awaited writes in this process still yields to I/O at every other write.
    else if (this.#lastGathered <= 1 && !this.#earlyThisTurn) {
      this.#earlyThisTurn = true;
      setImmediate(() => (this.#earlyThisTurn = false));
      queueMicrotask(() => this.#flush(false));
    } else setImmediate(() => this.#flush(true));
  }

  #flush(gathered: boolean): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    if (jobs.length > 0) this.#commit(jobs);
    if (gathered) this.#lastGathered = jobs.length;
    // Jobs queued meanwhile (by listeners, or a lock retry) have scheduled the next flush.
    if (!this.#scheduled) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #commit(jobs: Job[]): void {
    try {
      this.#sql.begin.run();
    } catch (error) {
      if (isBusy(error)) this.#waitForLock(jobs, error);
      else for (const job of jobs) job.reject(storageError(this.#path, 'starting a write', error));
      return;
    }
    this.#retryDelay = RETRY_MIN_MS;
    // The mark a rollback returns to: taken again once began() caught up with other
    // processes, so a rolled-back batch keeps what was learned from them.
    let start = this.#hooks.mark();
    let results: Result[];
    try {
      this.#hooks.began?.();
      start = this.#hooks.mark();
      results = jobs.map((job) => this.#runJob(job));
      this.#hooks.beforeCommit();
      this.#sql.commit.run();
    } catch (error) {
      this.#abort(start);
      for (const job of jobs) job.reject(storageError(this.#path, 'committing a write', error));
      return;
    }
    this.#commits++;
    jobs.forEach((job, i) => {
      const result = results[i] as Result;
      if (!result.ok) {
        job.reject(storageError(this.#path, 'writing', result.error));
        return;
      }
      this.#writes++;
      try {
        result.outcome.after?.();
      } catch (error) {
        // The write is durable whatever happens here; never leave its caller hanging.
        console.error('wwatp: after-commit work failed', error);
      }
      job.resolve(result.outcome.value);
    });
  }

  /** Runs one job under a savepoint; throws only when the whole transaction is lost. */
  #runJob(job: Job): Result {
    const mark = this.#hooks.mark();
    this.#sql.savepoint.run();
    try {
      const outcome = job.run();
      this.#sql.release.run();
      return { ok: true, outcome };
    } catch (error) {
      this.#hooks.restore(mark);
      // Disk full, I/O errors and the like roll the whole transaction back in SQLite.
      if (!this.#db.inTransaction) throw error;
      this.#sql.rollbackTo.run();
      this.#sql.release.run();
      return { ok: false, error };
    }
  }

  #abort(mark: number): void {
    this.#hooks.restore(mark);
    try {
      if (this.#db.inTransaction) this.#sql.rollback.run();
    } catch {
      // SQLite rolls back by itself when ROLLBACK cannot run; the batch is failed anyway.
    }
  }

  /** Requeues a batch that could not get the write lock; jobs past their deadline fail. */
  #waitForLock(jobs: Job[], error: unknown): void {
    const now = Date.now();
    const waiting: Job[] = [];
    for (const job of jobs) {
      if (now - job.since >= this.#busyTimeoutMs) {
        job.reject(storageError(this.#path, `waited ${this.#busyTimeoutMs} ms for the write lock`, error));
      } else waiting.push(job);
    }
    this.#queue = [...waiting, ...this.#queue];
    if (this.#queue.length === 0) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(RETRY_MAX_MS, this.#retryDelay * 2);
    this.#schedule(delay);
  }
}
