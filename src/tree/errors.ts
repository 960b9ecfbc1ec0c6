/**
 * Errors are values with codes. The same codes travel on the wire, become the CLI's
 * exit status and reach the browser, so callers branch on `code`, never on messages.
 */
export const ERROR_CODES = [
  'INVALID_LABEL',
  'INVALID_RULE',
  'INVALID_NODE',
  'INVALID_PROPERTY',
  'TYPE_MISMATCH',
  'VERSION_CONFLICT',
  'TOO_LARGE',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'MALFORMED',
  'MOUNT_CONFLICT',
  'CROSS_MOUNT',
  'UNSUPPORTED',
  'PROTOCOL',
  'STORAGE',
  'UNAVAILABLE',
  'CLOSED',
  'INTERNAL',
  // Appended, never inserted: the CLI's exit status is 10 + the index.
  'INVALID_FILTER',
] as const;

export type WwatpErrorCode = (typeof ERROR_CODES)[number];

export class WwatpError extends Error {
  readonly code: WwatpErrorCode;

  constructor(code: WwatpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WwatpError';
    this.code = code;
  }

  static is(value: unknown, code?: WwatpErrorCode): value is WwatpError {
    return value instanceof WwatpError && (code === undefined || value.code === code);
  }
}

export function isWwatpErrorCode(value: unknown): value is WwatpErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
