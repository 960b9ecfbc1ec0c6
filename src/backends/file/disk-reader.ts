import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WwatpError } from '../../tree/errors.js';
import { joinLabel, normalizeLabel } from '../../tree/labels.js';
import type { NodeState } from '../../tree/tree-node.js';
import { dirIdentity, isCode, readIfExists, sameStamp, stampOf, type FileStamp } from './atomic.js';
import { hashText, type DiskMirror } from './mirror.js';
import { decodeSegment, dirPath, NODE_SUFFIX } from './names.js';
import { textToState } from './node-file.js';

/** A node file found changed on disk: its new state, or undefined when the file is gone. */
export interface DiskChange {
  readonly label: string;
  readonly state: NodeState | undefined;
}

export interface ReadContext {
  readonly root: string;
  readonly mirror: DiskMirror;
  readonly maxContentBytes: number;
  /**
   * Reports a file that cannot be read as a node; the node keeps its last good state.
   * `stamp` is given for bad contents (as opposed to bad names), which may be a save in progress.
   */
  report(error: WwatpError, path: string, stamp?: FileStamp): void;
  /** Hears each directory's identity as it is listed, so a watcher on a replaced directory is renewed. */
  seenDir?(dir: string, identity: string): void;
}

interface Listing {
  readonly files: Map<string, string>;
  readonly dirs: Set<string>;
}

const EMPTY: Listing = { files: new Map(), dirs: new Set() };

function asWwatpError(error: unknown): WwatpError {
  if (error instanceof WwatpError) return error;
  return new WwatpError('STORAGE', error instanceof Error ? error.message : String(error), { cause: error });
}

/** A directory's node files and subdirectories by label, sorted by name; undefined when it is gone. */
async function listDir(ctx: ReadContext, dir: string): Promise<Listing | undefined> {
  const path = dirPath(ctx.root, dir);
  let entries;
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return undefined;
    ctx.seenDir?.(dir, dirIdentity(info));
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
  const listing: Listing = { files: new Map(), dirs: new Set() };
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    // Hidden names are never ours (see names.ts): temp files, editor swap files, .git.
    if (entry.name.startsWith('.')) continue;
    const isNode = entry.isFile() && entry.name.endsWith(NODE_SUFFIX);
    if (!isNode && !entry.isDirectory()) continue;
    const name = isNode ? entry.name.slice(0, -NODE_SUFFIX.length) : entry.name;
    const segment = decodeSegment(name);
    let label: string | undefined;
    try {
      if (segment === undefined) throw new WwatpError('INVALID_LABEL', `"${name}" is not a percent-encoded label segment (see docs/FILES-AND-YAML.md)`);
      label = normalizeLabel(joinLabel(dir, segment));
    } catch (error) {
      ctx.report(asWwatpError(error), join(path, entry.name));
      continue;
    }
    if (isNode) listing.files.set(label, entry.name);
    else listing.dirs.add(label);
  }
  return listing;
}

/** Re-reads a node file if its stamp moved; reports it when it no longer parses. */
async function readChanged(ctx: ReadContext, label: string, path: string, out: DiskChange[]): Promise<boolean> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
  const known = ctx.mirror.file(label);
  if (known && sameStamp(known.stamp, stat)) return true;
  // Stat before reading: an edit racing the read leaves a stale stamp, so it is seen next time.
  const text = await readIfExists(path);
  if (text === undefined) return false;
  const hash = hashText(text);
  const stamp = stampOf(stat);
  if (known?.hash === hash) {
    ctx.mirror.setFile(label, { ...known, stamp });
    // Still the same bad text: the stamp a pending report waits on has moved with it.
    if (known.error) ctx.report(known.error, path, stamp);
    return true;
  }
  try {
    const state = textToState(text, label);
    if (state.propertyData.length > ctx.maxContentBytes) {
      throw new WwatpError('TOO_LARGE', `node "${label}" has ${state.propertyData.length} bytes of contents, over the limit of ${ctx.maxContentBytes}`);
    }
    ctx.mirror.setFile(label, { stamp, hash });
    out.push({ label, state });
  } catch (cause) {
    const error = asWwatpError(cause);
    ctx.mirror.setFile(label, { stamp, hash, error });
    ctx.report(error, path, stamp);
  }
  return true;
}

/**
 * Brings the mirror of one directory up to date with the disk, appending the node
 * changes found to `out` (parents before children). New subdirectories are recorded
 * (which starts watching them) before they are listed, so nothing written into them
 * meanwhile is missed; `recursive` re-checks known subdirectories too.
 */
export async function syncDir(ctx: ReadContext, dir: string, recursive: boolean, out: DiskChange[]): Promise<void> {
  const listing = (await listDir(ctx, dir)) ?? (dir === '' ? EMPTY : undefined);
  if (!listing) {
    for (const label of ctx.mirror.dropDir(dir)) out.push({ label, state: undefined });
    return;
  }
  const present = new Set<string>();
  for (const [label, name] of listing.files) {
    if (await readChanged(ctx, label, join(dirPath(ctx.root, dir), name), out)) present.add(label);
  }
  for (const label of ctx.mirror.filesIn(dir)) {
    if (present.has(label)) continue;
    ctx.mirror.removeFile(label);
    out.push({ label, state: undefined });
  }
  for (const label of ctx.mirror.dirsIn(dir)) {
    if (!listing.dirs.has(label)) for (const gone of ctx.mirror.dropDir(label)) out.push({ label: gone, state: undefined });
  }
  for (const label of listing.dirs) {
    const fresh = !ctx.mirror.hasDir(label);
    if (fresh) ctx.mirror.addDir(label);
    if (fresh || recursive) await syncDir(ctx, label, true, out);
  }
}
