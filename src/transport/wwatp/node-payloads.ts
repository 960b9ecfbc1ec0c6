import { encodeWireNodeList } from '../../tree/codecs/cbor-node-writer.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { encodePayload } from './payloads.js';

const CBOR_NULL = 0xf6;

/**
 * `{ ...fields, [key]: value }` as CBOR, where `value` is already CBOR (`valueBytes`):
 * encodePayload writes the map with a null last, and the bytes go where the null stood.
 */
export function encodeWithLast(fields: Record<string, unknown>, key: string, valueBytes: Uint8Array): Uint8Array {
  const head = encodePayload({ ...fields, [key]: null });
  // `key` is the map's last key, so its null is the last byte.
  if (head[head.length - 1] !== CBOR_NULL) throw new Error(`encodeWithLast: the map did not end with the null for ${key}`);
  const out = new Uint8Array(head.length - 1 + valueBytes.length);
  out.set(head.subarray(0, head.length - 1));
  out.set(valueBytes, head.length - 1);
  return out;
}

/**
 * `{ ...fields, nodes }` as CBOR, the nodes written straight from their states
 * (encodeWireNodeList) where encodePayload wrote a null for them: the bytes encodePayload
 * gives for `{ ...fields, nodes: wireNodes(nodes) }`, at a fraction of the cost for many
 * nodes (a subtree answer, a page, the whole tree, a large upsert).
 */
export function encodeNodesMap(nodes: readonly TreeNode[], fields: Record<string, unknown> = {}): Uint8Array {
  return encodeWithLast(fields, 'nodes', encodeWireNodeList(nodes));
}
