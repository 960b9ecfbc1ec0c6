import pg from 'pg';
import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';

export interface PostgresBackendOptions {
  /** A libpq-style URL: postgres://user:password@host:port/database */
  connectionString: string;
  /** Largest contents a node may carry (default 16 MiB). */
  maxContentBytes?: number;
  /** Journal entries kept for clients resuming with getJournal (default 100,000). */
  journalRetention?: number;
  /** The NOTIFY channel servers sharing the database use (default "wwatp_changes"). */
  channel?: string;
  /**
   * How other servers' changes reach this one's listeners: 'listen' (LISTEN/NOTIFY, the
   * default; falls back to 'poll' on engines without it) or 'poll' (read the journal).
   */
  changeFeed?: 'listen' | 'poll';
  /** Journal polling interval in 'poll' mode (default 250 ms). */
  pollIntervalMs?: number;
  /** Connections in the pool for reads and writes (default 10). */
  poolSize?: number;
  /** How long to wait for a connection before failing UNAVAILABLE (default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * synchronous_commit for write transactions, whatever the server's default: 'on' (the
   * default: a write is acknowledged once its WAL is flushed, and on synchronous standbys
   * if configured), 'remote_apply', 'remote_write', 'local', or 'off' (faster; a crash
   * may lose the last acknowledged writes).
   */
  synchronousCommit?: SynchronousCommit;
}

export const SYNCHRONOUS_COMMIT = ['on', 'remote_apply', 'remote_write', 'local', 'off'] as const;
export type SynchronousCommit = (typeof SYNCHRONOUS_COMMIT)[number];

export type ResolvedOptions = Required<PostgresBackendOptions>;

export const DEFAULT_JOURNAL_RETENTION = 100_000;
export const DEFAULT_CHANNEL = 'wwatp_changes';

// A plain identifier: LISTEN cannot take a parameter, so the name must be safe as is.
const CHANNEL = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function integer(value: number | undefined, fallback: number, what: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new WwatpError('STORAGE', `${what} must be an integer of at least ${min}, got ${String(value)}`);
  return value;
}

export function checkOptions(options: PostgresBackendOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || typeof options.connectionString !== 'string' || options.connectionString === '') {
    throw new WwatpError('STORAGE', 'PostgresBackend needs { connectionString }');
  }
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw new WwatpError('STORAGE', `channel must be a plain identifier (letters, digits, _), got ${JSON.stringify(channel)}`);
  }
  const changeFeed = options.changeFeed ?? 'listen';
  if (changeFeed !== 'listen' && changeFeed !== 'poll') throw new WwatpError('STORAGE', `changeFeed must be 'listen' or 'poll', got ${String(changeFeed)}`);
  const synchronousCommit = options.synchronousCommit ?? 'on';
  if (!SYNCHRONOUS_COMMIT.includes(synchronousCommit)) {
    throw new WwatpError('STORAGE', `synchronousCommit must be one of ${SYNCHRONOUS_COMMIT.join(', ')}, got ${String(synchronousCommit)}`);
  }
  return {
    connectionString: options.connectionString,
    maxContentBytes: integer(options.maxContentBytes, DEFAULT_MAX_CONTENT_BYTES, 'maxContentBytes', 0),
    journalRetention: integer(options.journalRetention, DEFAULT_JOURNAL_RETENTION, 'journalRetention', 1),
    channel,
    changeFeed,
    pollIntervalMs: integer(options.pollIntervalMs, 250, 'pollIntervalMs', 1),
    poolSize: integer(options.poolSize, 10, 'poolSize', 1),
    connectTimeoutMs: integer(options.connectTimeoutMs, 5000, 'connectTimeoutMs', 1),
    synchronousCommit,
  };
}

/** host:port/database of a connection string, for messages (never the password). */
export function serverName(connectionString: string): string {
  const probe = new pg.Client({ connectionString }); // parses only; never connects
  return `${probe.host}:${probe.port}/${probe.database ?? ''}`;
}
