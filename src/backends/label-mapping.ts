import { WwatpError } from '../tree/errors.js';
import { isLink, isStrictlyUnder, joinLabel, normalizeLabel, stripPrefix } from '../tree/labels.js';
import { nodeFromState, stateOf, type NodeState, type TreeNode } from '../tree/tree-node.js';

/**
 * Moves nodes between a tree and a subtree of it: labels and links (absolute child
 * names) move together; relative child names need no change. Composite mounts strip a
 * prefix going in and add it coming out; Redirected views do the opposite.
 */

/** The node as seen from above: its label and links placed under `prefix`. */
export function addPrefix(node: TreeNode, prefix: string): TreeNode {
  if (prefix === '') return node;
  const state = stateOf(node);
  const childNames = state.childNames.map((name) => (isLink(name) ? joinLabel(prefix, normalizeLabel(name)) : name));
  return withLabels(state, joinLabel(prefix, state.labelRule), childNames);
}

/**
 * The node as seen from inside `prefix`. A link leaving the prefix cannot be expressed
 * there: 'throw' refuses it (writing into a mount), 'keep' leaves it as it is (reading).
 */
export function removePrefix(node: TreeNode, prefix: string, outside: 'throw' | 'keep'): TreeNode {
  if (prefix === '') return node;
  const state = stateOf(node);
  const childNames = state.childNames.map((name) => {
    if (!isLink(name)) return name;
    const target = normalizeLabel(name);
    if (!isStrictlyUnder(target, prefix)) {
      if (outside === 'keep') return name;
      throw new WwatpError('INVALID_LABEL', `node "${state.labelRule}" links to "${name}", outside "${prefix}" where it is stored`);
    }
    const inner = stripPrefix(target, prefix);
    // A top-level target needs a leading slash to stay a link rather than a relative name.
    return inner.includes('/') ? inner : `/${inner}`;
  });
  return withLabels(state, stripPrefix(state.labelRule, prefix), childNames);
}

function withLabels(state: NodeState, labelRule: string, childNames: string[]): TreeNode {
  const same = labelRule === state.labelRule && childNames.every((n, i) => n === state.childNames[i]);
  if (same) return nodeFromState(state);
  return nodeFromState(Object.freeze({ ...state, labelRule, childNames: Object.freeze(childNames) }));
}
