/**
 * The DOM of one tree row: a node (or placeholder) with its group for children, a link,
 * or the "show more" row that keeps a branch with thousands of children quick to open.
 */
import { h } from './dom.js';
import type { ChildEntry } from './tree-model.js';

/** Rows rendered per branch before a "show more" row. */
export const PAGE_ROWS = 500;

export function lastSegment(label: string): string {
  return label.slice(label.lastIndexOf('/') + 1);
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function descOf(entry: ChildEntry): HTMLElement {
  return h('span', { className: 'desc' }, entry.node ? firstLine(entry.node.description) : '');
}

export function linkRow(entry: ChildEntry, level: number): HTMLLIElement {
  const row = h('div', { className: 'row' }, h('span', { className: 'twisty', 'aria-hidden': 'true' }, '↪'), h('span', { className: 'name' }, entry.label), descOf(entry));
  return h('li', { role: 'treeitem', 'aria-level': level, 'data-link': entry.label, tabindex: -1, className: 'link', title: `link to ${entry.label}` }, row);
}

export function nodeRow(entry: ChildEntry, level: number): { li: HTMLLIElement; row: HTMLElement; group: HTMLUListElement } {
  const row = h('div', { className: 'row' }, h('span', { className: 'twisty', 'aria-hidden': 'true' }), h('span', { className: 'name' }, lastSegment(entry.label)), descOf(entry));
  const group = h('ul', { role: 'group', hidden: true });
  const li = h('li', { role: 'treeitem', 'aria-level': level, 'data-label': entry.label, tabindex: -1, className: entry.kind }, row, group);
  return { li, row, group };
}

export function moreRow(hidden: number, onMore: () => void): HTMLLIElement {
  const shown = Math.min(hidden, PAGE_ROWS);
  return h('li', { role: 'none', className: 'more' }, h('button', { type: 'button', onclick: onMore }, `Show ${shown} more (${hidden} not shown)`));
}
