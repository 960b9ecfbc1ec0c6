import { CborWriter, encodeWireNode, encodeWireNodeList } from '../../tree/codecs/cbor-node-writer.js';
import type { TreeNode } from '../../tree/tree-node.js';
import { CBOR_NULL } from '../../tree/codecs/cbor-cursor.js';
import { allocTransient } from '../../tree/byte-pool.js';
import { encodePayload } from './payloads.js';


/**
 * The CBOR of `{ ...fields, [key]: <value> }` up to where the value goes (`key` is the
 * map's last). Fields of text and whole numbers (a reply's `latest`, a push's name,
 * rule and label) are written by hand, as cbor-x would write them; anything else goes
 * through cbor-x. A call into cbor-x cost more than the rest of a small push.
 */
function headBefore(fields: Record<string, unknown>, key: string): Uint8Array {
  return plainHead(fields, key) ?? encoderHead(fields, key);
}

function plainHead(fields: Record<string, unknown>, key: string): Uint8Array | undefined {
  const w = new CborWriter(256, true);
  let pairs = 1;
  for (const name in fields) if (Object.hasOwn(fields, name)) pairs++;
  if (pairs >= 0x10000) return undefined;
  w.map16(pairs);
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    if (name === key) return undefined;
    const value = fields[name];
    w.text(name);
    if (typeof value === 'string') w.text(value);
    // cbor-x writes whole numbers from 2^32 up as floats: those go through it.
    else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff) w.uint(value);
    else return undefined;
  }
  w.text(key);
  return w.bytes();
}

function encoderHead(fields: Record<string, unknown>, key: string): Uint8Array {
  const head = encodePayload({ ...fields, [key]: null });
  // encodePayload wrote a null for the value: the map's last byte.
  if (head[head.length - 1] !== CBOR_NULL) throw new Error(`encodeWithLast: the map did not end with the null for ${key}`);
  return head.subarray(0, head.length - 1);
}

/** `{ ...fields, [key]: value }` as CBOR, where `value` is already CBOR (`valueBytes`). */
export function encodeWithLast(fields: Record<string, unknown>, key: string, valueBytes: Uint8Array): Uint8Array {
  const head = headBefore(fields, key);
  const out = allocTransient(head.length + valueBytes.length);
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
  return encodeWireNodeList(nodes, headBefore(fields, 'nodes'), true);
}

/** `{ ...fields, node }` as CBOR, the node written straight from its state after the map's head. */
export function encodeNodeMap(node: TreeNode, fields: Record<string, unknown> = {}): Uint8Array {
  return encodeWireNode(node, headBefore(fields, 'node'), true);
}
