import { createHash } from 'node:crypto';
import { parentLabel } from '../../tree/labels.js';
import type { WwatpError } from '../../tree/errors.js';
import type { FileStamp } from './atomic.js';

/** The last version of a node file the backend wrote or read. */
export interface FileRecord {
  readonly stamp: FileStamp;
  /** SHA-256 of the text: how a re-read tells a real edit from our own write's echo. */
  readonly hash: string;
  /** Why the text could not be read as a node, when it could not. */
  readonly error?: WwatpError;
}

interface DirRecord {
  readonly files: Map<string, FileRecord>;
  readonly dirs: Set<string>;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * What the backend believes is on disk: each directory (by the label it holds children
 * of) with its node files and subdirectories. Kept apart from the node states, because a
 * file may hold a malformed edit while the node keeps its last good state. `onDir`
 * hears directories appear and disappear, so watchers follow them.
 */
export class DiskMirror {
  readonly #dirs = new Map<string, DirRecord>([['', { files: new Map(), dirs: new Set() }]]);
  readonly #onDir: (label: string, present: boolean) => void;

  constructor(onDir: (label: string, present: boolean) => void) {
    this.#onDir = onDir;
  }

  hasDir(label: string): boolean {
    return this.#dirs.has(label);
  }

  /** Records a directory (and any missing ancestors). */
  addDir(label: string): void {
    if (this.#dirs.has(label)) return;
    const parent = parentLabel(label);
    this.addDir(parent);
    (this.#dirs.get(parent) as DirRecord).dirs.add(label);
    this.#dirs.set(label, { files: new Map(), dirs: new Set() });
    this.#onDir(label, true);
  }

  /** Forgets a directory and everything below it; returns the node-file labels it held, parents first. */
  dropDir(label: string): string[] {
    const record = this.#dirs.get(label);
    if (!record || label === '') return [];
    this.#dirs.get(parentLabel(label))?.dirs.delete(label);
    const files: string[] = [];
    const visit = (dir: string, rec: DirRecord): void => {
      this.#dirs.delete(dir);
      this.#onDir(dir, false);
      files.push(...rec.files.keys());
      for (const sub of rec.dirs) {
        const child = this.#dirs.get(sub);
        if (child) visit(sub, child);
      }
    };
    visit(label, record);
    return files;
  }

  file(label: string): FileRecord | undefined {
    return this.#dirs.get(parentLabel(label))?.files.get(label);
  }

  setFile(label: string, record: FileRecord): void {
    const dir = parentLabel(label);
    this.addDir(dir);
    (this.#dirs.get(dir) as DirRecord).files.set(label, record);
  }

  removeFile(label: string): void {
    this.#dirs.get(parentLabel(label))?.files.delete(label);
  }

  /** Labels of the node files recorded directly in a directory. */
  filesIn(dir: string): string[] {
    return [...(this.#dirs.get(dir)?.files.keys() ?? [])];
  }

  /** Labels of the subdirectories recorded directly in a directory. */
  dirsIn(dir: string): string[] {
    return [...(this.#dirs.get(dir)?.dirs ?? [])];
  }
}
