/**
 * What the tree view shows under a label, fetched lazily: `label/*` finds every node one
 * level down (mounted branches and nodes no parent lists included), `getPageTree(label)`
 * resolves the parent's child names, links (absolute names) among them. Entries follow
 * the parent's childNames order; nodes it does not list come after, sorted.
 */
import type { Backend } from '../../src/backends/backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';

export type EntryKind = 'node' | 'placeholder' | 'link';

export interface ChildEntry {
  kind: EntryKind;
  /** The node's own label; for a link, its target. */
  label: string;
  node: TreeNode | undefined;
}

function isLink(name: string): boolean {
  return name.includes('/');
}

function target(link: string): string {
  return link.replace(/^\/+|\/+$/g, '');
}

/** Orders found nodes after the parent's child names; unnamed ones sorted by label. */
export function orderEntries(parentLabel: string, childNames: readonly string[], found: readonly TreeNode[], page: readonly TreeNode[]): ChildEntry[] {
  const byLabel = new Map<string, TreeNode>();
  for (const node of [...page, ...found]) byLabel.set(node.labelRule, node);
  const entries: ChildEntry[] = [];
  const seen = new Set<string>();
  for (const name of childNames) {
    if (isLink(name)) {
      const to = target(name);
      entries.push({ kind: 'link', label: to, node: byLabel.get(to) });
      continue;
    }
    const label = parentLabel === '' ? name : `${parentLabel}/${name}`;
    if (seen.has(label)) continue;
    seen.add(label);
    const node = byLabel.get(label);
    // A listed name without a node still leads somewhere: its own children may exist.
    entries.push({ kind: node ? 'node' : 'placeholder', label, node });
  }
  const rest = found.filter((n) => !seen.has(n.labelRule)).sort((a, b) => (a.labelRule < b.labelRule ? -1 : a.labelRule > b.labelRule ? 1 : 0));
  for (const node of rest) entries.push({ kind: 'node', label: node.labelRule, node });
  return entries;
}

/** The entries one level below `label` ('' for the top level). */
export async function loadChildren(backend: Backend, label: string, parent: TreeNode | undefined): Promise<ChildEntry[]> {
  if (label === '') return orderEntries('', [], await backend.queryNodes('*'), []);
  const wantsPage = parent !== undefined && parent.childNames.length > 0;
  const [found, page] = await Promise.all([backend.queryNodes(`${label}/*`), wantsPage ? backend.getPageTree(label) : Promise.resolve([])]);
  return orderEntries(label, parent?.childNames ?? [], found, page);
}

/** Whether a node is shown as a branch before anyone has looked below it. */
export function looksLikeBranch(entry: ChildEntry): boolean {
  return entry.kind === 'placeholder' || (entry.node !== undefined && entry.node.childNames.length > 0);
}

/**
 * The node at a label as the server holds it now. An exact-label query, not getNode:
 * the client's cache can lag the server right after a reconnect, and what the explorer
 * shows and edits must be what is stored.
 */
export async function readNode(backend: Backend, label: string): Promise<TreeNode | undefined> {
  return (await backend.queryNodes(label)).find((node) => node.labelRule === label);
}
