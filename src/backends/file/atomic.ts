import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Crash-safe file writes: the new contents go to a temp file in the same directory
 * (same file system, so rename is atomic), are fsynced, then renamed over the target;
 * the directory is fsynced so the rename itself survives a crash. A reader — or a crash
 * at any moment — sees the old file or the new one, never a mix.
 *
 * Temp files start with `.wwatp-tmp-`: names starting with `.` are never node files.
 */
export const TEMP_PREFIX = '.wwatp-tmp-';

/** What identifies one version of a file without reading it. */
export interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export function stampOf(stat: FileStamp): FileStamp {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** What tells a directory from one deleted and made again: inode numbers are reused at once, birth times are not. */
export function dirIdentity(stat: { ino: number; birthtimeMs: number }): string {
  return `${stat.ino}@${stat.birthtimeMs}`;
}

/**
 * Writes a file atomically; fsyncs the directory too unless the caller batches that.
 * Returns the stamp of the written file as it was before the rename (the rename may
 * change ctime, which only costs a later re-read to confirm the contents).
 */
export async function writeFileAtomic(path: string, text: string, syncDirectory = true): Promise<FileStamp> {
  const dir = dirname(path);
  // Short, so a target name near the length limit still leaves room for the temp name.
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx');
  let stamp: FileStamp;
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    stamp = stampOf(await handle.stat());
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (syncDirectory) await fsyncDir(dir);
  return stamp;
}

/** Makes a directory's entries (renames, unlinks, new subdirectories) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic.
    if (!isCode(error, 'EINVAL', 'EPERM', 'EISDIR', 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** Removes a file; false when it was not there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

/** Removes a directory if it is empty; false when it holds something or is gone. */
export async function removeEmptyDir(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) return false;
    throw error;
  }
}

export function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}
