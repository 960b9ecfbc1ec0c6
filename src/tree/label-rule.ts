import { WwatpError } from './errors.js';
import { ancestorsOf } from './labels.js';

/**
 * A label rule names a set of labels: an exact label, `*` for exactly one segment (or
 * part of one: `note*`), and `**` for any depth. `**` follows gitignore: leading or in
 * the middle it matches zero or more segments (`a/**\/b` matches `a/b`), trailing it
 * matches one or more (`a/**` is everything below `a`, not `a` itself).
 *
 * A rule may carry a query after `?` (`books/*?year>=2000`); the tree core keeps it
 * for backends that understand it (the collector) and rejects it elsewhere.
 */
export interface LabelRule {
  /** The rule as given, canonicalised (no leading or trailing slash, query removed). */
  readonly path: string;
  /** The query text after `?`, or undefined. */
  readonly query: string | undefined;
  /** True when the path has no wildcard. */
  readonly exact: boolean;
  /** The longest run of literal leading segments: every match lies at or below it. */
  readonly literalPrefix: string;
  /**
   * True for `<literalPrefix>/**` with a non-empty prefix: every label strictly below the
   * prefix matches, so a backend that reads just those may skip matches().
   */
  readonly allBelow?: boolean;
  matches(label: string): boolean;
}

const RULE_FORBIDDEN = /[\s\p{Cc}]/u;

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

function segmentPattern(segment: string): string {
  return segment.split('*').map(escapeRegex).join('[^/]*');
}

function compile(segments: string[]): RegExp {
  let pattern = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      if (last) pattern += i === 0 ? '[^/]+(?:/[^/]+)*' : '(?:/[^/]+)+';
      else pattern += i === 0 ? '(?:[^/]+/)*' : '/(?:[^/]+/)*';
      return;
    }
    const joiner = i === 0 || segments[i - 1] === '**' ? '' : '/';
    pattern += joiner + segmentPattern(segment);
  });
  return new RegExp(`^${pattern}$`, 'u');
}

export function parseLabelRule(rule: unknown): LabelRule {
  if (typeof rule !== 'string') throw new WwatpError('INVALID_RULE', `a label rule must be a string, got ${typeof rule}`);
  const q = rule.indexOf('?');
  const query = q < 0 ? undefined : rule.slice(q + 1);
  let path = q < 0 ? rule : rule.slice(0, q);
  if (RULE_FORBIDDEN.test(path)) throw new WwatpError('INVALID_RULE', `label rule ${JSON.stringify(rule)} contains whitespace or a control character`);
  if (path.startsWith('/')) path = path.slice(1);
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path === '') return { path, query, exact: true, literalPrefix: '', matches: (label) => label === '' };
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new WwatpError('INVALID_RULE', `label rule ${JSON.stringify(rule)} has an empty, "." or ".." segment`);
    }
    if (segment.includes('**') && segment !== '**') {
      throw new WwatpError('INVALID_RULE', `label rule ${JSON.stringify(rule)}: "**" must be a whole segment`);
    }
  }
  const firstWild = segments.findIndex((s) => s.includes('*'));
  if (firstWild < 0) return { path, query, exact: true, literalPrefix: path, matches: (label) => label === path };
  const regex = compile(segments);
  return {
    path,
    query,
    exact: false,
    literalPrefix: segments.slice(0, firstWild).join('/'),
    allBelow: firstWild > 0 && firstWild === segments.length - 1 && segments[firstWild] === '**',
    matches: (label) => regex.test(label),
  };
}

/** True when the rule matches the label itself or, with childNotify, one of its ancestors. */
export function ruleCovers(rule: LabelRule, label: string, childNotify: boolean): boolean {
  if (rule.matches(label)) return true;
  if (!childNotify) return false;
  for (const ancestor of ancestorsOf(label)) if (rule.matches(ancestor)) return true;
  return false;
}
