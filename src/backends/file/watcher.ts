import { statSync, watch, type FSWatcher } from 'node:fs';
import { WwatpError } from '../../tree/errors.js';
import { parentLabel } from '../../tree/labels.js';
import { dirIdentity, isCode } from './atomic.js';
import { dirPath } from './names.js';

export interface WatcherOptions {
  /** Quiet time after disk events before one re-scan handles them all. */
  readonly coalesceMs: number;
  /** Interval of the full re-scan used when the OS cannot watch (see below). */
  readonly pollMs: number;
  readonly report: (error: WwatpError, path: string) => void;
}

/**
 * Notices changes under the root. Node 20 has no recursive fs.watch on Linux, so every
 * directory of the tree gets its own non-recursive watcher (inotify, FSEvents or
 * ReadDirectoryChangesW), added and removed as the backend sees directories come and
 * go. Events are only hints: they mark a directory dirty, and once events pause the
 * backend re-lists the dirty directories and compares stamps and contents, so lost,
 * merged or mislabelled events (editors that write by rename, `git checkout`) cannot
 * leave the index wrong once any event arrives for the directory.
 *
 * When the OS refuses a watcher (the inotify watch limit, a file system without
 * notifications) it falls back to polling: a full re-scan every `pollMs`. Polling can
 * also be chosen up front, for network file systems where edits made on another
 * machine raise no local events.
 */
export class DirWatcher {
  readonly #root: string;
  readonly #options: WatcherOptions;
  readonly #onFlush: (dirs: ReadonlySet<string>, full: boolean) => void;
  readonly #watchers = new Map<string, FSWatcher>();
  /** The directory each watcher was set on: one deleted and made again needs a new watcher. */
  readonly #identities = new Map<string, string>();
  #dirty = new Set<string>();
  #full = false;
  #timer: NodeJS.Timeout | undefined;
  #firstEvent: number | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(root: string, options: WatcherOptions, onFlush: (dirs: ReadonlySet<string>, full: boolean) => void) {
    this.#root = root;
    this.#options = options;
    this.#onFlush = onFlush;
  }

  get polling(): boolean {
    return this.#poll !== undefined;
  }

  watch(dir: string): void {
    if (this.#closed || this.#poll || this.#watchers.has(dir)) return;
    const path = dirPath(this.#root, dir);
    let watcher: FSWatcher;
    try {
      watcher = watch(path, { persistent: false }, () => this.#mark(dir));
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) this.#mark(parentLabel(dir));
      else this.#fallBack(error, path);
      return;
    }
    // A watcher dies with its directory; the parent's re-scan notices the removal.
    watcher.on('error', () => {
      this.unwatch(dir);
      this.#mark(dir === '' ? '' : parentLabel(dir));
    });
    this.#watchers.set(dir, watcher);
    try {
      this.#identities.set(dir, dirIdentity(statSync(path)));
    } catch {
      this.#mark(dir); // gone again already: the re-scan sorts it out
    }
  }

  unwatch(dir: string): void {
    const watcher = this.#watchers.get(dir);
    if (!watcher) return;
    this.#watchers.delete(dir);
    this.#identities.delete(dir);
    watcher.close();
  }

  /** Renews the watcher of a directory that was replaced (deleted and made again) since it was set. */
  renew(dir: string, identity: string): void {
    if (!this.#watchers.has(dir) || this.#identities.get(dir) === identity) return;
    this.unwatch(dir);
    this.watch(dir);
  }

  /** Hands the dirty directories to the backend now instead of after the delay. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firstEvent = undefined;
    if (this.#dirty.size === 0 && !this.#full) return;
    const dirs = this.#dirty;
    const full = this.#full;
    this.#dirty = new Set();
    this.#full = false;
    this.#onFlush(dirs, full);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#poll) clearInterval(this.#poll);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  /**
   * Waits for `coalesceMs` without events (a file saved in place is truncated, then
   * written: reading in between would see it empty), but never longer than eight times
   * that after the first event, so a busy directory is still re-scanned.
   */
  #mark(dir: string): void {
    if (this.#closed) return;
    this.#dirty.add(dir);
    const now = Date.now();
    this.#firstEvent ??= now;
    if (this.#timer) clearTimeout(this.#timer);
    const wait = Math.min(this.#options.coalesceMs, this.#firstEvent + 8 * this.#options.coalesceMs - now);
    this.#timer = setTimeout(() => this.flush(), Math.max(0, wait)).unref();
  }

  /** Polls instead of watching (also right for network file systems, whose remote edits raise no events). */
  poll(): void {
    if (this.#closed || this.#poll) return;
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#poll = setInterval(() => {
      this.#full = true;
      this.flush();
    }, this.#options.pollMs).unref();
  }

  #fallBack(error: unknown, path: string): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#options.report(new WwatpError('UNAVAILABLE', `cannot watch ${path} (${reason}); polling every ${this.#options.pollMs} ms instead`, { cause: error }), path);
    this.poll();
  }
}
