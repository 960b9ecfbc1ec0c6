import { nodeFromState, stateOf, TreeNode } from '../../tree/tree-node.js';
import type { NewNodeVersion, Transaction } from '../backend.js';

function snapshotEntry(entry: NewNodeVersion): NewNodeVersion {
  if (entry === null || typeof entry !== 'object') return entry;
  const node = entry.node instanceof TreeNode ? nodeFromState(stateOf(entry.node)) : entry.node;
  return { priorVersion: entry.priorVersion, label: entry.label, node };
}

/**
 * A copy of a transaction taken when it is called: the batch applies it a tick later,
 * and a caller changing its nodes or arrays meanwhile must not change what is written.
 * Nodes share their frozen states (no data is copied). Malformed parts are kept as they
 * are, for checkTransaction to refuse.
 */
export function snapshotTransaction(tx: Transaction): Transaction {
  if (!Array.isArray(tx)) return tx;
  return tx.map((sub) => {
    if (sub === null || typeof sub !== 'object' || !Array.isArray(sub.children)) return sub;
    return { parent: snapshotEntry(sub.parent), children: sub.children.map(snapshotEntry) };
  });
}
