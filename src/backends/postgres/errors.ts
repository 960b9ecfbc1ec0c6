import { WwatpError } from '../../tree/errors.js';

/**
 * Maps what `pg` throws to wwatp codes, so callers branch on UNAVAILABLE (retry later)
 * versus STORAGE (a real database error) and never see driver internals.
 */

// SQLSTATEs meaning the server is going away, starting up or out of connection slots.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300', '58030']);

function sqlState(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; severity?: unknown };
  // Only DatabaseError (from the server) has a severity; socket errors carry errno codes.
  return typeof e.code === 'string' && typeof e.severity === 'string' ? e.code : undefined;
}

/** A serialization failure or deadlock: the whole transaction may simply be run again. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

/** True when the error says the server is unreachable or the connection broke. */
export function isUnavailable(error: unknown): boolean {
  if (WwatpError.is(error)) return error.code === 'UNAVAILABLE';
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || UNAVAILABLE_STATES.has(state);
  if (!(error instanceof Error)) return false;
  // Socket errors (ECONNREFUSED, ECONNRESET, ...) and pg's own connection messages
  // ("Connection terminated unexpectedly", connect timeouts, "not queryable").
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return /connect|terminated|timeout|not queryable|socket/i.test(error.message);
}

export function postgresError(where: string, doing: string, error: unknown): WwatpError {
  if (WwatpError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isUnavailable(error)) {
    return new WwatpError('UNAVAILABLE', `PostgreSQL at ${where} is unavailable (${doing}): ${message}`, { cause: error });
  }
  const state = sqlState(error);
  return new WwatpError('STORAGE', `PostgreSQL at ${where}: ${doing} failed: ${message}${state ? ` (${state})` : ''}`, { cause: error });
}
