import { TreeNode } from '../../src/tree/tree-node.js';

/** A small node for SQLite tests: a description and one string property. */
export function textNode(label: string, description = `node ${label}`, versionNumber = 0): TreeNode {
  const node = new TreeNode({ labelRule: label, description, version: { versionNumber } });
  node.insertProperty('text', 'string', `text of ${label}`);
  return node;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A RegExp matching a literal string (for message patterns naming a path). */
export function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/**
 * The node the crash-test writer stores at a label: its contents are derived from the
 * label alone, so the checker can rebuild exactly what an acknowledged write held.
 */
export function crashNode(label: string): TreeNode {
  const node = new TreeNode({ labelRule: label, description: `acknowledged ${label}` });
  let seed = 0;
  for (const ch of label) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  node.insertProperty('payload', 'bytes', Uint8Array.from({ length: seed % 3000 }, (_, i) => (seed + i) & 0xff));
  return node;
}
