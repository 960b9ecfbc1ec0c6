import { ERROR_CODES, WwatpError, type WwatpErrorCode } from '../../tree/errors.js';

/** 0 success · 1 unexpected failure · 2 bad command line · 10 + n the n-th WwatpError code. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(code: WwatpErrorCode): number {
  return 10 + ERROR_CODES.indexOf(code);
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof WwatpError) return exitCodeFor(error.code);
  return EXIT_FAILURE;
}

/** A mistake on the command line: printed with the command's help, exit 2. */
export class UsageError extends Error {}

export function exitCodeTable(): string {
  return ERROR_CODES.map((code) => `  ${String(exitCodeFor(code)).padStart(3)}  ${code}`).join('\n');
}
