import { WwatpError } from './errors.js';

/**
 * Labels are `/`-joined paths of UTF-8 segments. Canonical labels have no leading or
 * trailing slash; one of each is accepted at the API and stripped, so `/a/b/` is `a/b`.
 * The empty label names the root (it holds no node, but listeners and queries use it).
 */

// Whitespace and control characters make labels ambiguous in URLs, YAML keys and logs.
// `*` and `?` are reserved for label rules (wildcards and collection queries).
const FORBIDDEN = /[\s\p{Cc}\p{Surrogate}*?]/u;

function stripSlashes(label: string): string {
  let start = 0;
  let end = label.length;
  if (label.charCodeAt(0) === 47) start = 1;
  if (end > start && label.charCodeAt(end - 1) === 47) end -= 1;
  return start === 0 && end === label.length ? label : label.slice(start, end);
}

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'an empty segment';
  if (segment === '.' || segment === '..') return `a "${segment}" segment`;
  return undefined;
}

/** Returns the canonical form of a node label, or throws INVALID_LABEL. */
export function normalizeLabel(label: unknown): string {
  if (typeof label !== 'string') throw new WwatpError('INVALID_LABEL', `a label must be a string, got ${typeof label}`);
  const canonical = stripSlashes(label);
  if (canonical === '') throw new WwatpError('INVALID_LABEL', 'a node label must not be empty');
  checkCanonical(canonical, label);
  return canonical;
}

/** Like normalizeLabel but accepts the empty root label. */
export function normalizeLabelOrRoot(label: unknown): string {
  if (typeof label !== 'string') throw new WwatpError('INVALID_LABEL', `a label must be a string, got ${typeof label}`);
  const canonical = stripSlashes(label);
  if (canonical !== '') checkCanonical(canonical, label);
  return canonical;
}

/**
 * Every label on the wire passes here (several times per request), so printable ASCII
 * is checked by a scan that allocates nothing; anything else takes the full check.
 */
function checkCanonical(canonical: string, original: string): void {
  let start = 0;
  for (let i = 0; i <= canonical.length; i++) {
    const c = i === canonical.length ? 47 : canonical.charCodeAt(i);
    if (c === 47) {
      const n = i - start;
      if (n === 0 || (n <= 2 && canonical.charCodeAt(start) === 46 && (n === 1 || canonical.charCodeAt(start + 1) === 46))) break;
      start = i + 1;
      if (i === canonical.length) return;
    } else if (c <= 32 || c >= 127 || c === 42 || c === 63) break;
  }
  checkCanonicalSlowly(canonical, original);
}

function checkCanonicalSlowly(canonical: string, original: string): void {
  const bad = FORBIDDEN.exec(canonical);
  if (bad) {
    const what = bad[0] === '*' || bad[0] === '?' ? `the reserved character "${bad[0]}"` : 'whitespace or a control character';
    throw new WwatpError('INVALID_LABEL', `label ${JSON.stringify(original)} contains ${what}`);
  }
  for (const segment of canonical.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) throw new WwatpError('INVALID_LABEL', `label ${JSON.stringify(original)} has ${problem}`);
  }
}

export function isValidLabel(label: unknown): boolean {
  try {
    normalizeLabel(label);
    return true;
  } catch {
    return false;
  }
}

/** The last segment of a label. */
export function labelName(label: string): string {
  const slash = label.lastIndexOf('/');
  return slash < 0 ? label : label.slice(slash + 1);
}

/** The label of the parent, or '' for a top-level label. */
export function parentLabel(label: string): string {
  const slash = label.lastIndexOf('/');
  return slash < 0 ? '' : label.slice(0, slash);
}

/** Joins two canonical labels; either may be the root ''. */
export function joinLabel(parent: string, child: string): string {
  if (parent === '') return child;
  if (child === '') return parent;
  return `${parent}/${child}`;
}

/** A child name holding a `/` is a link: an absolute label, not a relative name. */
export function isLink(childName: string): boolean {
  return childName.includes('/');
}

/** Resolves a child name against its parent: relative names nest, links stand alone. */
export function absoluteChildName(parent: string, childName: string): string {
  return isLink(childName) ? normalizeLabel(childName) : joinLabel(parent, childName);
}

/** True when `label` is `ancestor` or lies below it, on segment boundaries only. */
export function isAtOrUnder(label: string, ancestor: string): boolean {
  if (ancestor === '') return true;
  if (!label.startsWith(ancestor)) return false;
  return label.length === ancestor.length || label.charCodeAt(ancestor.length) === 47;
}

/** True when `label` lies strictly below `ancestor`. */
export function isStrictlyUnder(label: string, ancestor: string): boolean {
  return label !== ancestor && isAtOrUnder(label, ancestor);
}

/** Removes `prefix` from a label that lies at or below it ('' when equal). */
export function stripPrefix(label: string, prefix: string): string {
  if (prefix === '') return label;
  return label.length === prefix.length ? '' : label.slice(prefix.length + 1);
}

/** Every proper ancestor of a label, nearest first, ending with the root ''. */
export function* ancestorsOf(label: string): Generator<string> {
  let end = label.lastIndexOf('/');
  while (end > 0) {
    yield label.slice(0, end);
    end = label.lastIndexOf('/', end - 1);
  }
  yield '';
}
