/** The nodes both servers hold and the writes both clients make: built the same way for each. */
import { TreeNode } from '../../src/tree/tree-node.js';

export const MiB = 1024 * 1024;
/** Bytes in a small node's payload property (plus a 4-byte length prefix in its contents). */
export const SMALL_PAYLOAD = 96;

export function smallLabel(i: number): string {
  return `bench/n${i}`;
}

/** A small node: a description and one 96-byte property, its first bytes varying with `i`. */
export function smallNode(label: string, i: number): TreeNode {
  const node = new TreeNode({ labelRule: label, description: 'bench node' });
  const bytes = new Uint8Array(SMALL_PAYLOAD);
  new DataView(bytes.buffer).setUint32(0, i);
  node.insertProperty('payload', 'bytes', bytes);
  return node;
}

/** The sequence number a small node carries (see smallNode). */
export function smallNodeIndex(node: TreeNode): number {
  // contents = 4-byte length prefix, then the payload
  const data = node.propertyData;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4);
}

/** One node whose contents are `bytes` long (a single bytes property: 4-byte prefix + payload). */
export function bulkNode(label: string, bytes: number): TreeNode {
  const payload = new Uint8Array(bytes - 4);
  for (let i = 0; i < payload.length; i += 4096) payload[i] = (i >>> 12) & 0xff;
  const node = new TreeNode({ labelRule: label, description: 'bulk' });
  node.insertProperty('payload', 'bytes', payload);
  return node;
}

export { picks } from '../picks.js';
