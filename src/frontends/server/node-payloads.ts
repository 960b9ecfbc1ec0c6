import type { TreeNode } from '../../tree/tree-node.js';
import { encodeNodesMap } from '../../transport/wwatp/node-payloads.js';

/** A reply payload already encoded: sent as it is. */
export class EncodedPayload {
  constructor(readonly bytes: Uint8Array) {}
}

/** `{ ...fields, nodes }` for a reply, encoded at once (see encodeNodesMap). */
export function encodeNodesPayload(nodes: readonly TreeNode[], fields: Record<string, unknown> = {}): EncodedPayload {
  return new EncodedPayload(encodeNodesMap(nodes, fields));
}
