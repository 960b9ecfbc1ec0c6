import { parseLabelRule } from '../tree/label-rule.js';

// What a label rule still asks for below a label: the rule paths that, matched inside
// the subtree at `at` (a mount), select exactly the labels strictly below `at` that the
// whole rule matches. A composite uses this to ask a mount only as deep as the rule can
// reach. With a mount at `collector`: `*` asks it for nothing (only `collector` itself
// can match), `*/acme` asks for `acme`, `**` for `**`, `**/note0` for `**/note0`.
//
// `at` is a canonical, non-empty label; `path` is a parsed rule's path (no query).
// Returns [] when nothing below `at` can match. Several residuals can come back (a `**`
// may stop before or after a segment); ones another residual covers are left out.
export function residualRules(path: string, at: string): string[] {
  const segments = path === '' ? [] : path.split('/');
  const n = segments.length;
  const isGlobstar = (i: number): boolean => segments[i] === '**';
  // States are positions in the rule. A `**` that is not last may match zero segments,
  // so a state on it also stands on the next one. (A trailing `**` matches one or more
  // segments; inside a mount that is every node, so it needs no special case here.)
  const close = (states: Set<number>): Set<number> => {
    for (const i of [...states]) for (let j = i; j < n - 1 && isGlobstar(j); j++) states.add(j + 1);
    return states;
  };
  let states = close(new Set([0]));
  for (const segment of at.split('/')) {
    const next = new Set<number>();
    for (const i of states) {
      if (i >= n) continue;
      if (isGlobstar(i)) next.add(i);
      else if (segmentMatches(segments[i] as string, segment)) next.add(i + 1);
    }
    states = close(next);
    if (states.size === 0) return [];
  }
  const kept = [...states]
    .filter((i) => i < n)
    // A state reached only by letting the `**` before it match nothing is covered by
    // the state on that `**` (a leading `**` inside the mount matches zero segments too).
    .filter((i) => !(i > 0 && isGlobstar(i - 1) && states.has(i - 1)))
    .sort((a, b) => a - b)
    .map((i) => segments.slice(i).join('/'));
  const unique = [...new Set(kept)];
  return unique.includes('**') ? ['**'] : unique;
}

function segmentMatches(pattern: string, segment: string): boolean {
  return pattern.includes('*') ? parseLabelRule(pattern).matches(segment) : pattern === segment;
}
