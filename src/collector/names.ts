import { WwatpError } from '../tree/errors.js';

/**
 * Names that become directories, database files, tree path segments and record keys.
 * Checked once at the edge so nothing downstream has to quote or escape them.
 */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const RECORD_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/;
export const MAX_NAME_LENGTH = 64;
export const MAX_RECORD_ID_LENGTH = 256;
export const MAX_FILE_PATH_LENGTH = 1024;

/** The namespace holding the registry's own collections; clients may read, not write. */
export const SYSTEM_NAMESPACE = 'system';

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkName(kind: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH || !NAME.test(value)) {
    throw new WwatpError(
      'INVALID_LABEL',
      `${kind} ${show(value)} is not valid: use letters, digits, '_' and '-' (not first), at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  return value;
}

export function checkNamespace(value: unknown): string {
  return checkName('namespace', value);
}

export function checkCollectionName(value: unknown): string {
  return checkName('collection name', value);
}

/** Record ids may not start with '.', since `.files` is a reserved tree segment. */
export function checkRecordId(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_RECORD_ID_LENGTH || !RECORD_ID.test(value)) {
    throw new WwatpError(
      'INVALID_LABEL',
      `record id ${show(value)} is not valid: use letters, digits and _ . : @ - (not '.' or '-' first), at most ${MAX_RECORD_ID_LENGTH} characters`,
    );
  }
  return value;
}

/** A file path under a collection: '/'-separated, no empty, '.' or '..' segments, no whitespace. */
export function checkFilePath(value: unknown): string {
  const ok =
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_FILE_PATH_LENGTH &&
    !/[\s\0]/u.test(value) &&
    value.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
  if (!ok) {
    throw new WwatpError(
      'INVALID_LABEL',
      `file path ${show(value)} is not valid: '/'-separated segments, none empty, '.' or '..', no whitespace, at most ${MAX_FILE_PATH_LENGTH} characters`,
    );
  }
  return value;
}
