import { join } from 'node:path';
import { WwatpError } from '../../tree/errors.js';

/**
 * Label segments ↔ file names. Node `a/b` is the file `<root>/a/b.node.yaml` and its
 * children live in the directory `<root>/a/b/`. Segments are percent-encoded where a
 * file name could not hold them or would mean something else, so every label has one
 * file name and every file name at most one label (decode refuses non-canonical names):
 *
 * - `%` itself, path separators and characters Windows refuses (`/ \ : < > " | ? *`),
 *   whitespace and control characters;
 * - a leading `.` (so `.`, `..` and hidden names never occur: a name starting with `.`
 *   is never ours, which keeps editor swap files and our temp files out of the tree)
 *   and a trailing `.` (Windows drops it);
 * - the dot of a segment ending in `.node.yaml`, so a directory never shares its name
 *   with a node file;
 * - the first letter of a Windows device name (`CON`, `nul.txt`, `COM1`, ...).
 */
export const NODE_SUFFIX = '.node.yaml';

/** Longest file name most file systems accept, in bytes (NAME_MAX on Linux). */
const NAME_MAX = 255;

const ALWAYS = /[%/\\:<>"|?*\s\p{Cc}]/gu;
const DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

function hex(char: string): string {
  return Array.from(new TextEncoder().encode(char), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

export function encodeSegment(segment: string): string {
  let out = segment.replace(ALWAYS, hex);
  if (out.startsWith('.')) out = `%2E${out.slice(1)}`;
  if (out.endsWith('.')) out = `${out.slice(0, -1)}%2E`;
  if (out.toLowerCase().endsWith(NODE_SUFFIX)) out = `${out.slice(0, -NODE_SUFFIX.length)}%2E${out.slice(1 - NODE_SUFFIX.length)}`;
  if (DEVICE.test(out)) out = hex(out.charAt(0)) + out.slice(1);
  return out;
}

/** The segment a file-name component stands for, or undefined when it is not one we write. */
export function decodeSegment(name: string): string | undefined {
  let segment: string;
  try {
    segment = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return segment !== '' && !segment.includes('/') && encodeSegment(segment) === name ? segment : undefined;
}

/** Throws INVALID_LABEL when a segment's file name would be too long to create. */
export function checkStorable(label: string): void {
  for (const segment of label.split('/')) {
    const bytes = Buffer.byteLength(encodeSegment(segment) + NODE_SUFFIX);
    if (bytes > NAME_MAX) {
      throw new WwatpError('INVALID_LABEL', `label "${label}": segment "${segment.slice(0, 40)}…" needs a ${bytes}-byte file name, over the ${NAME_MAX}-byte limit`);
    }
  }
}

/** The directory that holds the children of `label` ('' is the root directory). */
export function dirPath(root: string, label: string): string {
  return label === '' ? root : join(root, ...label.split('/').map(encodeSegment));
}

/** The file that holds the node at `label`. */
export function nodePath(root: string, label: string): string {
  const segments = label.split('/');
  const last = segments.pop() as string;
  return join(root, ...segments.map(encodeSegment), encodeSegment(last) + NODE_SUFFIX);
}
