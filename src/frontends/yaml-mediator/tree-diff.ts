import type { Backend } from '../../backends/backend.js';
import { ancestorsOf } from '../../tree/labels.js';
import { nodeFromState, nodeStatesEqual, stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';

export type NodeMap = ReadonlyMap<string, NodeState>;

export function nodeMap(nodes: readonly TreeNode[]): Map<string, NodeState> {
  return new Map(nodes.map((node) => [node.labelRule, stateOf(node)]));
}

export interface TreeEdit {
  /** Labels to delete, none below another (a delete takes the subtree). */
  readonly deletes: string[];
  /** Nodes to upsert, parents first. */
  readonly upserts: NodeState[];
}

/**
 * What turns `base` into `next` when applied to a tree: the nodes `next` adds or
 * changes, and deletes for the nodes it drops. A delete takes the subtree, so nodes of
 * `next` lying below a deleted label are upserted again afterwards (a person may remove
 * a node's own fields yet keep its children). With `base` the document as last synced,
 * changes the tree made meanwhile to other nodes are left alone.
 */
export function treeEdit(base: NodeMap, next: NodeMap): TreeEdit {
  const dropped = new Set<string>();
  for (const label of base.keys()) if (!next.has(label)) dropped.add(label);
  const deletes = [...dropped].filter((label) => ![...ancestorsOf(label)].some((above) => dropped.has(above)));
  const wiped = new Set(deletes);
  const upserts: NodeState[] = [];
  for (const [label, state] of next) {
    const before = base.get(label);
    const underDelete = [...ancestorsOf(label)].some((above) => wiped.has(above));
    if (underDelete || !before || !nodeStatesEqual(before, state)) upserts.push(state);
  }
  return { deletes, upserts };
}

/** Applies an edit: the deletes, then one upsert of every added or changed node. */
export async function applyEdit(tree: Backend, edit: TreeEdit): Promise<void> {
  for (const label of edit.deletes) await tree.deleteNode(label);
  if (edit.upserts.length > 0) await tree.upsertNode(edit.upserts.map(nodeFromState));
}
