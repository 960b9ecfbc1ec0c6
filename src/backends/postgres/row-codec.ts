import { WwatpError } from '../../tree/errors.js';
import { decodePage, encodePage } from '../../tree/codecs/page-encoding.js';
import { nodeFromState, stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';

/**
 * A node row's `node` column is the node as a one-record page in the wire's page encoding
 * (src/tree/codecs/page-encoding.ts): compact, versioned by docs/ENCODING.md, and the
 * same bytes a client would receive.
 */
export function encodeRow(state: NodeState): Buffer {
  const bytes = encodePage([nodeFromState(state)]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a stored row; damage is STORAGE (the database, not the caller, is at fault). */
export function decodeRow(label: string, bytes: Uint8Array): TreeNode {
  let nodes: TreeNode[];
  try {
    // Whatever a writer accepted reads back, whatever this server's own limit.
    nodes = decodePage(bytes, { maxContentBytes: Number.MAX_SAFE_INTEGER });
  } catch (cause) {
    throw new WwatpError('STORAGE', `the stored row of node "${label}" is damaged: ${String(cause)}`, { cause });
  }
  const node = nodes[0];
  if (nodes.length !== 1 || node === undefined || node.labelRule !== label) {
    throw new WwatpError('STORAGE', `the stored row of node "${label}" does not hold that node`);
  }
  return node;
}

export function decodeState(label: string, bytes: Uint8Array): NodeState {
  return stateOf(decodeRow(label, bytes));
}
