import { lstat } from 'node:fs/promises';
import type { WwatpError } from '../../tree/errors.js';
import { sameStamp, type FileStamp } from './atomic.js';

export type ErrorHandler = (error: WwatpError, path: string) => void;

/**
 * Reports files that cannot be read as nodes. A file caught mid-save (a program that
 * saves in place truncates, then writes; a slow writer writes in pieces) looks broken
 * for a moment, so a bad read is reported only if the file still has the same stamp
 * `settleMs` later; if it has changed meanwhile, the new contents arrive with their own
 * event and are judged on their own.
 */
export class ErrorReports {
  readonly #handler: ErrorHandler;
  readonly #settleMs: number;
  readonly #waiting = new Map<string, { error: WwatpError; stamp: FileStamp }>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(handler: ErrorHandler, settleMs: number) {
    this.#handler = handler;
    this.#settleMs = settleMs;
  }

  /** Reports at once (names, watch failures, files read at open). */
  now(error: WwatpError, path: string): void {
    if (!this.#closed) this.#handler(error, path);
  }

  /** Reports once the file has kept this stamp for `settleMs`. */
  ifSettled(error: WwatpError, path: string, stamp: FileStamp): void {
    if (this.#closed) return;
    this.#waiting.set(path, { error, stamp });
    this.#timer ??= setTimeout(() => void this.#confirm(), this.#settleMs).unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#waiting.clear();
  }

  async #confirm(): Promise<void> {
    this.#timer = undefined;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const [path, { error, stamp }] of waiting) {
      try {
        if (sameStamp(await lstat(path), stamp)) this.now(error, path);
      } catch {
        // Gone: its removal is an event of its own.
      }
    }
  }
}
