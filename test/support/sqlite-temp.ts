import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/** A fresh directory under the system temp dir, removed when the test ends. */
export function tempDir(t: Test, name = 'wwatp-sqlite-'): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A database path in a fresh temp directory. */
export function tempDbPath(t: Test, file = 'tree.db'): string {
  return join(tempDir(t), file);
}
