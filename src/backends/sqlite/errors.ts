import { WwatpError } from '../../tree/errors.js';

/** The SQLite result code an error carries (`SQLITE_BUSY`, `SQLITE_NOTADB`, ...), if any. */
export function sqliteCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** True for lock contention: another connection holds a lock we need. */
export function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Turns whatever a database call threw into a WwatpError naming the file, so callers see
 * one code (STORAGE, or UNAVAILABLE for a lock that may be released) and a path to fix.
 * WwatpErrors pass through unchanged: they already say what went wrong.
 */
export function storageError(path: string, doing: string, error: unknown): WwatpError {
  if (error instanceof WwatpError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = sqliteCode(error);
  if (isBusy(error)) {
    return new WwatpError('UNAVAILABLE', `SQLite database ${path} is locked by another connection (${doing}): ${message}`, { cause: error });
  }
  const hint = code === undefined ? '' : `; ${hintFor(code)}`;
  return new WwatpError('STORAGE', `SQLite database ${path}: ${doing} failed: ${message}${code ? ` (${code}${hint})` : ''}`, { cause: error });
}

function hintFor(code: string): string {
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return 'check that the file and its directory exist and are writable';
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return 'the file is damaged or is not a database';
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  return 'see the SQLite documentation for this code';
}
