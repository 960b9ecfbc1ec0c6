import { WwatpError } from '../../tree/errors.js';

/**
 * Pruning for label-rule walks over the collector's tree, and the shape a search rule
 * must have. Rules here are canonical paths (no leading slash, no query).
 */

function segmentMatches(pattern: string, segment: string): boolean {
  if (!pattern.includes('*')) return pattern === segment;
  const parts = pattern.split('*');
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!segment.startsWith(first) || segment.length < first.length + last.length || !segment.endsWith(last)) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = segment.indexOf(part, at);
    if (found < 0 || found + part.length > segment.length - last.length) return false;
    at = found + part.length;
  }
  return true;
}

/** True when `label` or something below it could match the rule (an over-approximation). */
export function couldReach(rulePath: string, label: string): boolean {
  if (rulePath === '') return label === '';
  const rule = rulePath.split('/');
  const segments = label === '' ? [] : label.split('/');
  for (let i = 0; i < segments.length; i++) {
    const pattern = rule[i];
    if (pattern === undefined) return false;
    if (pattern === '**') return true;
    if (!segmentMatches(pattern, segments[i] as string)) return false;
  }
  return true;
}

/** True when some child of `label` could match the rule or lead to a match. */
export function couldReachChildren(rulePath: string, label: string): boolean {
  if (!couldReach(rulePath, label)) return false;
  const rule = rulePath.split('/');
  const depth = label === '' ? 0 : label.split('/').length;
  if (rule.slice(0, depth + 1).includes('**')) return true;
  return rule.length > depth;
}

/** The one child name a rule allows below `label`, when the rule names it literally. */
export function literalChild(rulePath: string, label: string): string | undefined {
  const rule = rulePath.split('/');
  const depth = label === '' ? 0 : label.split('/').length;
  if (rule.slice(0, depth + 1).some((s) => s.includes('*'))) return undefined;
  return rule[depth];
}

/** Where a search rule looks: `<ns>/<collection>/*`, `<ns>/*\/*` or `*\/*\/*` (also `*\/<collection>/*`). */
export interface SearchTarget {
  namespace: string | undefined;
  collection: string | undefined;
}

export function searchTarget(rulePath: string): SearchTarget {
  const segments = rulePath.split('/');
  const [ns, collection, last] = segments;
  const literalOrStar = (s: string | undefined): boolean => s !== undefined && (s === '*' || !s.includes('*'));
  if (segments.length !== 3 || last !== '*' || !literalOrStar(ns) || !literalOrStar(collection)) {
    throw new WwatpError(
      'INVALID_RULE',
      `a search goes on a rule of the form <namespace>/<collection>/*?query (either name may be *), not "${rulePath}"`,
    );
  }
  return { namespace: ns === '*' ? undefined : ns, collection: collection === '*' ? undefined : collection };
}
