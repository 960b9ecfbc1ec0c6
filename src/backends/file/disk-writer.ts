import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WwatpError } from '../../tree/errors.js';
import { ancestorsOf, parentLabel } from '../../tree/labels.js';
import { nodeFromState, type NodeState } from '../../tree/tree-node.js';
import { fsyncDir, isCode, readIfExists, removeEmptyDir, removeFile, writeFileAtomic } from './atomic.js';
import { hashText, type DiskMirror } from './mirror.js';
import { dirPath, nodePath } from './names.js';
import { nodeToText } from './node-file.js';

/** The final state of every label a write touches: a node, or null for removed. */
export type Diff = ReadonlyMap<string, NodeState | null>;

/**
 * Puts a diff on disk: node files written atomically, removed ones unlinked, emptied
 * directories pruned, every touched directory fsynced once at the end. When any step
 * fails, the steps already taken are undone (previous texts written back, created
 * directories removed) and a STORAGE error is thrown, so the disk and the in-memory
 * index (which the caller updates only on success) still agree. The mirror, too, is
 * updated only on success.
 */
export async function writeDiff(root: string, mirror: DiskMirror, diff: Diff): Promise<void> {
  const undo: Array<() => Promise<unknown>> = [];
  const commit: Array<() => void> = [];
  const toSync = new Set<string>();
  const ensured = new Set<string>();

  // Every directory on the way is made (or found) once per write, whatever the mirror
  // says: a person may have removed one a moment ago, before its event was handled.
  const ensureDir = async (label: string): Promise<void> => {
    const chain = [label, ...ancestorsOf(label)].reverse().filter((d) => d !== '' && !ensured.has(d));
    for (const dir of chain) {
      ensured.add(dir);
      const path = dirPath(root, dir);
      try {
        await mkdir(path);
        undo.push(() => removeEmptyDir(path));
        toSync.add(dirname(path));
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
      }
      if (!mirror.hasDir(dir)) commit.push(() => mirror.addDir(dir));
    }
  };

  const restore = (path: string, previous: string | undefined) => async (): Promise<unknown> => {
    if (previous === undefined) return removeFile(path);
    await mkdir(dirname(path), { recursive: true });
    return writeFileAtomic(path, previous);
  };

  try {
    const removed: string[] = [];
    for (const [label, state] of diff) {
      const path = nodePath(root, label);
      const known = mirror.file(label);
      if (state) {
        // Written even when the text matches what we last saw: a hand delete may be pending.
        const text = nodeToText(nodeFromState(state));
        const hash = hashText(text);
        await ensureDir(parentLabel(label));
        const previous = await readIfExists(path);
        const stamp = await writeFileAtomic(path, text, false);
        undo.push(restore(path, previous));
        toSync.add(dirname(path));
        commit.push(() => mirror.setFile(label, { stamp, hash }));
      } else {
        removed.push(label);
        if (!known) continue;
        const previous = await readIfExists(path);
        await removeFile(path);
        undo.push(restore(path, previous));
        toSync.add(dirname(path));
        commit.push(() => mirror.removeFile(label));
      }
    }
    for (const dir of prunable(removed, diff)) {
      if (!mirror.hasDir(dir) || !(await removeEmptyDir(dirPath(root, dir)))) continue;
      toSync.add(dirname(dirPath(root, dir)));
      commit.push(() => void mirror.dropDir(dir));
    }
    for (const dir of toSync) await fsyncDir(dir).catch((error: unknown) => (isCode(error, 'ENOENT') ? undefined : Promise.reject(error)));
  } catch (cause) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new WwatpError('STORAGE', `could not write the tree under ${root}: ${reason}`, { cause });
  }
  for (const step of commit) step();
}

/**
 * Directories that may be empty after removing `removed`, deepest first: each removed
 * label's own directory and the ancestors above the removed subtrees, unless the diff
 * puts a node below them. rmdir refuses non-empty directories, so only directories this
 * write emptied go (files a person left there keep theirs).
 */
function prunable(removed: readonly string[], diff: Diff): string[] {
  const kept = new Set<string>();
  for (const [label, state] of diff) if (state) for (const above of ancestorsOf(label)) kept.add(above);
  const gone = new Set(removed);
  const out = new Set<string>();
  for (const label of removed) {
    if (!kept.has(label)) out.add(label);
    if (gone.has(parentLabel(label))) continue;
    for (const above of ancestorsOf(label)) if (above !== '' && !kept.has(above)) out.add(above);
  }
  return [...out].sort((a, b) => b.split('/').length - a.split('/').length);
}
