/**
 * The read-only parts of the inspector: where the node is (breadcrumbs), its version and
 * references (authors, readers, query how-to, Q&A — links to those nodes), its child
 * names (links), and the whole node as JSON.
 */
import { nodeToJson } from '../../src/tree/codecs/json-node.js';
import { isValidLabel } from '../../src/tree/labels.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { h, type Child } from './dom.js';
import { labelToHash } from './location.js';

export function labelLink(label: string, text = label): HTMLAnchorElement {
  return h('a', { href: labelToHash(label), className: 'label-link', 'data-label': label }, text);
}

/** A reference field: a link when it names a label, plain text otherwise. */
export function reference(text: string): HTMLElement {
  const label = text.replace(/^\/+/, '');
  return isValidLabel(label) ? labelLink(label.replace(/\/+$/, ''), text) : h('span', {}, text);
}

export function breadcrumbs(label: string): HTMLElement {
  const segments = label.split('/');
  const items: Child[] = [h('li', {}, h('a', { href: '#', 'aria-label': 'top level' }, '⌂'))];
  segments.forEach((segment, i) => {
    const at = segments.slice(0, i + 1).join('/');
    items.push(h('li', {}, i === segments.length - 1 ? h('span', { 'aria-current': 'page' }, segment) : labelLink(at, segment)));
  });
  return h('nav', { className: 'crumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, ...items));
}

function row(term: string, ...value: Child[]): Child[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

/** Version and references, as a definition list. */
export function metaList(node: TreeNode): HTMLElement {
  const v = node.version;
  const rows: Child[] = [
    ...row('version', h('span', { className: 'version', 'data-version': v.versionNumber }, `${v.versionNumber}`), h('span', { className: 'muted' }, ` of ${v.maxVersionSequence}`)),
    ...row('policy', v.policy),
  ];
  if (v.authors !== undefined) rows.push(...row('authors', reference(v.authors)));
  if (v.readers !== undefined) rows.push(...row('readers', reference(v.readers)));
  if (v.authorialProof !== undefined) rows.push(...row('authorial proof', reference(v.authorialProof)));
  if (v.collisionDepth !== undefined) rows.push(...row('collision depth', String(v.collisionDepth)));
  if (node.queryHowTo !== undefined) rows.push(...row('how to query', reference(node.queryHowTo)));
  if (node.qaSequence !== undefined) rows.push(...row('Q&A', reference(node.qaSequence)));
  rows.push(...row('contents', `${node.contentSize} bytes in ${node.propertyInfos.length} ${node.propertyInfos.length === 1 ? 'property' : 'properties'}`));
  return h('dl', { className: 'meta' }, ...rows);
}

export function metaFingerprint(node: TreeNode): string {
  const v = node.version;
  return JSON.stringify([v, node.queryHowTo, node.qaSequence, node.contentSize]);
}

/**
 * The node's child names (relative names and links), then nodes found one level down
 * that it does not list (mounted branches, writers that did not update the parent).
 */
export function childList(label: string, node: TreeNode | undefined, found: readonly TreeNode[]): HTMLElement {
  const names = node?.childNames ?? [];
  const listed = new Set<string>();
  const items: Child[] = names.map((name) => {
    const isLink = name.includes('/');
    const target = isLink ? name.replace(/^\/+|\/+$/g, '') : label === '' ? name : `${label}/${name}`;
    listed.add(target);
    return h('li', { className: isLink ? 'link' : undefined }, labelLink(target, isLink ? `↪ ${target}` : name));
  });
  const extra = found.filter((n) => !listed.has(n.labelRule)).sort((a, b) => (a.labelRule < b.labelRule ? -1 : a.labelRule > b.labelRule ? 1 : 0));
  for (const n of extra) {
    const name = label === '' ? n.labelRule : n.labelRule.slice(label.length + 1);
    items.push(h('li', { className: label === '' ? undefined : 'unlisted', title: label === '' ? undefined : 'not in the child names' }, labelLink(n.labelRule, name)));
  }
  if (items.length === 0) return h('p', { className: 'muted empty' }, 'No children.');
  return h('ul', { className: 'children' }, ...items);
}

export function jsonDetails(node: TreeNode): HTMLElement {
  let text: string;
  try {
    text = JSON.stringify(nodeToJson(node), null, 2);
  } catch (error) {
    text = `cannot show as JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  return h('details', { className: 'raw' }, h('summary', {}, 'Node as JSON'), h('pre', {}, text));
}
