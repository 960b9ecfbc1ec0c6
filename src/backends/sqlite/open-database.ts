import Database from 'better-sqlite3';
import { WwatpError } from '../../tree/errors.js';
import { storageError } from './errors.js';
import { APPLICATION_ID, migrate } from './schema.js';

export type SynchronousMode = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

const SYNCHRONOUS_MODES: readonly SynchronousMode[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/**
 * How long one statement may block the event loop waiting for a lock. Longer waits for
 * the write lock happen between attempts, off the loop (see GroupCommit).
 */
export const LOCK_POLL_MS = 25;

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly synchronous: SynchronousMode;
  /** How long opening (and migrating) may wait for another connection's lock. */
  readonly busyTimeoutMs: number;
}

export function checkSynchronous(mode: unknown): SynchronousMode {
  const upper = typeof mode === 'string' ? mode.toUpperCase() : mode;
  if (!SYNCHRONOUS_MODES.includes(upper as SynchronousMode)) {
    throw new WwatpError('STORAGE', `synchronous must be one of ${SYNCHRONOUS_MODES.join(', ')}, got ${String(mode)}`);
  }
  return upper as SynchronousMode;
}

/**
 * Opens (creating if needed) a database in WAL mode and brings its schema up to date.
 * WAL lets reads proceed while another process writes, and with synchronous=FULL a
 * COMMIT returns only after the WAL is on disk: an acknowledged write survives a power
 * cut. Every failure is a WwatpError naming the path; nothing is left open.
 */
export function openDatabase(options: OpenDatabaseOptions): Database.Database {
  const { path } = options;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && !(path === ':memory:' && mode === 'memory')) {
      throw new WwatpError('STORAGE', `SQLite database ${path} could not switch to WAL mode (journal_mode is ${String(mode)})`);
    }
    db.pragma(`synchronous = ${options.synchronous}`);
    migrate(db, path);
    // SQLite quietly opens a file it may not write as read-only; find out now, not on the
    // first write. Rewriting the application id is a real (tiny) write.
    db.exec('BEGIN IMMEDIATE');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec('COMMIT');
    db.pragma(`busy_timeout = ${Math.min(options.busyTimeoutMs, LOCK_POLL_MS)}`);
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // Closing a half-opened handle can fail too; the original error is the one to report.
    }
    throw storageError(path, 'opening', error);
  }
}
