import { WwatpError } from '../tree/errors.js';
import { absoluteChildName, joinLabel, normalizeLabelOrRoot } from '../tree/labels.js';
import { stateOf, TreeNode, type NodeState } from '../tree/tree-node.js';
import { parseLabelRule, type LabelRule } from '../tree/label-rule.js';

/** Validates an upsert's input as a whole, so nothing is partly applied. */
export function checkedStates(nodes: readonly TreeNode[], maxContentBytes: number): NodeState[] {
  if (!Array.isArray(nodes)) throw new WwatpError('INVALID_NODE', 'upsertNode takes an array of TreeNode');
  const states: NodeState[] = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!(node instanceof TreeNode)) throw new WwatpError('INVALID_NODE', `upsertNode: item ${i} is not a TreeNode`);
    const state = stateOf(node);
    if (state.propertyData.length > maxContentBytes) {
      throw new WwatpError('TOO_LARGE', `node "${state.labelRule}" has ${state.propertyData.length} bytes of contents, over the limit of ${maxContentBytes}`);
    }
    states[i] = state;
  }
  return states;
}

/** The absolute labels a page node names, in order. */
export function pageLabels(page: NodeState): string[] {
  return page.childNames.map((name) => absoluteChildName(page.labelRule, name));
}

/** A label given relative to a node ('' is the node itself). */
export function relativeLabel(node: TreeNode, label: string): string {
  return joinLabel(node.labelRule, normalizeLabelOrRoot(label));
}

/** A rule given relative to a node. */
export function relativeRule(node: TreeNode, rule: string): string {
  if (typeof rule !== 'string') throw new WwatpError('INVALID_RULE', 'a label rule must be a string');
  const trimmed = rule.startsWith('/') ? rule.slice(1) : rule;
  return trimmed === '' ? node.labelRule : `${node.labelRule}/${trimmed}`;
}

export function unsupportedLayers(backend: string): WwatpError {
  return new WwatpError('UNSUPPORTED', `${backend} does not stage transaction layers; wrap it in a TransactionalBackend`);
}

/** A label rule for a backend that answers no `?query` part (only the collector does). */
export function parsePlainRule(rule: string): LabelRule {
  const parsed = parseLabelRule(rule);
  if (parsed.query !== undefined) throw new WwatpError('INVALID_RULE', `this backend does not answer queries ("?${parsed.query}")`);
  return parsed;
}
