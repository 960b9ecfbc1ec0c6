import { encodeWireNode, encodeWireNodeList } from '../../tree/codecs/cbor-node-writer.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { CBOR_NULL } from '../../tree/codecs/cbor-cursor.js';
import { encodePayload } from './payloads.js';


/** The CBOR of `{ ...fields, [key]: <value> }` up to where the value goes (`key` is the map's last). */
function headBefore(fields: Record<string, unknown>, key: string): Uint8Array {
  const head = encodePayload({ ...fields, [key]: null });
  // encodePayload wrote a null for the value: the map's last byte.
  if (head[head.length - 1] !== CBOR_NULL) throw new Error(`encodeWithLast: the map did not end with the null for ${key}`);
  return head.subarray(0, head.length - 1);
}

/** `{ ...fields, [key]: value }` as CBOR, where `value` is already CBOR (`valueBytes`). */
export function encodeWithLast(fields: Record<string, unknown>, key: string, valueBytes: Uint8Array): Uint8Array {
  const head = headBefore(fields, key);
  const out = new Uint8Array(head.length + valueBytes.length);
  out.set(head);
  out.set(valueBytes, head.length);
  return out;
}

/**
 * `{ ...fields, nodes }` as CBOR, the nodes written straight from their states after the
 * map's head (encodeWireNodeList): the bytes encodePayload gives for
 * `{ ...fields, nodes: wireNodes(nodes) }`, at a fraction of the cost for many nodes (a
 * subtree answer, a page, the whole tree, a large upsert), and with no copy of the whole.
 */
export function encodeNodesMap(nodes: readonly TreeNode[], fields: Record<string, unknown> = {}): Uint8Array {
  return encodeWireNodeList(nodes, headBefore(fields, 'nodes'));
}

/** `{ ...fields, node }` as CBOR, the node written straight from its state after the map's head. */
export function encodeNodeMap(node: TreeNode, fields: Record<string, unknown> = {}): Uint8Array {
  return encodeWireNode(node, headBefore(fields, 'node'));
}
