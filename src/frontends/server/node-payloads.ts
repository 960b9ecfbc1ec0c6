import { encodeWireNodeList } from '../../tree/codecs/cbor-node-writer.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { encodePayload } from '../../transport/wwatp/payloads.js';

/** A reply payload already encoded: sent as it is. */
export class EncodedPayload {
  constructor(readonly bytes: Uint8Array) {}
}

const CBOR_NULL = 0xf6;

/**
 * `{ ...fields, nodes }` as CBOR for a reply, the nodes written straight from their
 * states (encodeWireNodeList) where encodePayload wrote a null for them: the value
 * encodePayload gives for `{ ...fields, nodes: wireNodes(nodes) }`, at a fraction of the
 * cost for large answers (a subtree, a page, the whole tree).
 */
export function encodeNodesPayload(nodes: readonly TreeNode[], fields: Record<string, unknown> = {}): EncodedPayload {
  const head = encodePayload({ ...fields, nodes: null });
  // `nodes` is the map's last key, so its null is the last byte.
  if (head[head.length - 1] !== CBOR_NULL) throw new Error('encodeNodesPayload: the map did not end with the null for nodes');
  const list = encodeWireNodeList(nodes);
  const out = new Uint8Array(head.length - 1 + list.length);
  out.set(head.subarray(0, head.length - 1));
  out.set(list, head.length - 1);
  return new EncodedPayload(out);
}
