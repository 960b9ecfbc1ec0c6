/**
 * The lazy tree: the top level comes from `*`, a branch's children are fetched when it is
 * first opened, and live changes are patched in place (flashing the row that changed,
 * or the nearest shown ancestor when the change is inside a closed branch).
 */
import type { Backend } from '../../src/backends/backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { flash } from './dom.js';
import { attachTreeKeys, setFocusItem, visibleItems } from './tree-keys.js';
import { loadChildren, looksLikeBranch, type ChildEntry, type EntryKind } from './tree-model.js';
import { PAGE_ROWS, firstLine, linkRow, moreRow, nodeRow } from './tree-rows.js';

type ItemState = 'collapsed' | 'loading' | 'expanded' | 'leaf';

interface Item {
  label: string;
  kind: EntryKind;
  node: TreeNode | undefined;
  li: HTMLLIElement;
  row: HTMLElement;
  group: HTMLUListElement;
  state: ItemState;
  loaded: boolean;
  /** The children being fetched, so bursts of changes share one fetch. */
  filling: Promise<void> | undefined;
  /** A change arrived while the children were loading: load again. */
  stale: boolean;
  /** The children as last fetched, and how many of them are rendered. */
  entries: ChildEntry[];
  limit: number;
}

export interface TreeViewOptions {
  backend: Backend;
  /** A row was chosen (click, Enter): the app navigates there. */
  onActivate(label: string): void;
  onError(error: unknown): void;
}

function parentOf(label: string): string {
  const slash = label.lastIndexOf('/');
  return slash < 0 ? '' : label.slice(0, slash);
}

export class TreeView {
  readonly #tree: HTMLUListElement;
  readonly #options: TreeViewOptions;
  readonly #items = new Map<string, Item>();
  readonly #root: Item;
  /** Labels that changed while their parent was being fetched: flashed once they are shown. */
  readonly #pendingFlash = new Set<string>();
  #selected = '';

  constructor(tree: HTMLUListElement, options: TreeViewOptions) {
    this.#tree = tree;
    this.#options = options;
    // The top level behaves as the children of an invisible root item.
    this.#root = { label: '', kind: 'placeholder', node: undefined, li: document.createElement('li'), row: document.createElement('div'), group: tree, state: 'collapsed', loaded: false, filling: undefined, stale: false, entries: [], limit: PAGE_ROWS };
    tree.addEventListener('click', (event) => this.#onClick(event));
    tree.addEventListener('dblclick', (event) => {
      const li = (event.target as Element).closest<HTMLLIElement>('li[role="treeitem"]');
      if (li?.dataset['label'] !== undefined && !(event.target as Element).closest('.twisty')) void this.toggle(li.dataset['label']);
    });
    attachTreeKeys(tree, {
      expand: (li) => (li.dataset['label'] === undefined ? undefined : this.expand(li.dataset['label'])),
      collapse: (li) => li.dataset['label'] !== undefined && this.collapse(li.dataset['label']),
      activate: (li) => this.#activate(li),
    });
  }

  /** Loads the top level. */
  async load(): Promise<void> {
    await this.#fill(this.#root);
    this.#root.state = 'expanded';
  }

  #onClick(event: MouseEvent): void {
    const target = event.target as Element;
    const li = target.closest<HTMLLIElement>('li[role="treeitem"]');
    if (!li) return;
    setFocusItem(this.#tree, li, false);
    if (target.closest('.twisty') && li.dataset['label'] !== undefined) void this.toggle(li.dataset['label']);
    else this.#activate(li);
  }

  #activate(li: HTMLLIElement): void {
    const label = li.dataset['label'] ?? li.dataset['link'];
    if (label !== undefined) this.#options.onActivate(label);
  }

  #makeItem(entry: ChildEntry, level: number): Item | HTMLLIElement {
    if (entry.kind === 'link') return linkRow(entry, level);
    const { li, row, group } = nodeRow(entry, level);
    const item: Item = { label: entry.label, kind: entry.kind, node: entry.node, li, row, group, state: 'leaf', loaded: false, filling: undefined, stale: false, entries: [], limit: PAGE_ROWS };
    this.#setState(item, looksLikeBranch(entry) ? 'collapsed' : 'leaf');
    if (entry.label === this.#selected) li.setAttribute('aria-selected', 'true');
    this.#items.set(entry.label, item);
    return item;
  }

  #setState(item: Item, state: ItemState): void {
    item.state = state;
    if (item === this.#root) return;
    if (state === 'leaf') item.li.removeAttribute('aria-expanded');
    else item.li.setAttribute('aria-expanded', String(state === 'expanded'));
    item.li.setAttribute('aria-busy', String(state === 'loading'));
    item.group.hidden = state !== 'expanded';
  }

  /**
   * Fetches and renders an item's children. Rows already shown are kept (with their open
   * branches), so a refresh after a live change costs one fetch, not one per open branch.
   */
  #fill(item: Item): Promise<void> {
    if (item.filling) {
      item.stale = true;
      return item.filling;
    }
    const run = async (): Promise<void> => {
      do {
        item.stale = false;
        this.#render(item, await loadChildren(this.#options.backend, item.label, item.node));
      } while (item.stale);
      item.loaded = true;
      this.#ensureTabStop();
      for (const label of this.#pendingFlash) {
        if (parentOf(label) !== item.label) continue;
        this.#pendingFlash.delete(label);
        this.#flashShown(label);
      }
    };
    item.filling = run().finally(() => (item.filling = undefined));
    return item.filling;
  }

  #render(item: Item, entries: ChildEntry[]): void {
    item.entries = entries;
    const level = item === this.#root ? 1 : Number(item.li.getAttribute('aria-level')) + 1;
    const kept = new Set<string>();
    // The selected row is always rendered, however far down the list it is.
    const shown = entries.filter((e, i) => i < item.limit || e.label === this.#selected);
    const rows = shown.map((entry) => {
      const existing = entry.kind === 'link' ? undefined : this.#items.get(entry.label);
      if (existing && existing.li.parentElement === item.group) {
        kept.add(entry.label);
        if (entry.node) this.#refresh(existing, entry.node);
        return existing.li;
      }
      const made = this.#makeItem(entry, level);
      return made instanceof HTMLLIElement ? made : made.li;
    });
    for (const li of Array.from(item.group.querySelectorAll<HTMLLIElement>(':scope > li[data-label]'))) {
      const label = li.dataset['label'] as string;
      if (!kept.has(label)) this.#forget(label);
    }
    const hidden = entries.length - shown.length;
    if (hidden > 0) {
      rows.push(
        moreRow(hidden, () => {
          item.limit += PAGE_ROWS;
          this.#render(item, item.entries);
        }),
      );
    }
    item.group.replaceChildren(...rows);
  }

  /** Drops a label and everything below it from the index of shown rows. */
  #forget(label: string): void {
    const under = `${label}/`;
    this.#items.delete(label);
    for (const key of [...this.#items.keys()]) if (key.startsWith(under)) this.#items.delete(key);
    for (const key of this.#pendingFlash) if (key === label || key.startsWith(under)) this.#pendingFlash.delete(key);
  }

  #refresh(item: Item, node: TreeNode): void {
    item.node = node;
    item.kind = 'node';
    item.li.classList.replace('placeholder', 'node');
    const desc = item.row.querySelector('.desc');
    if (desc) desc.textContent = firstLine(node.description);
  }

  #ensureTabStop(): void {
    if (this.#tree.querySelector('li[tabindex="0"]')) return;
    const first = this.#items.get(this.#selected)?.li ?? visibleItems(this.#tree)[0];
    if (first) setFocusItem(this.#tree, first, false);
  }

  async expand(label: string): Promise<void> {
    const item = this.#items.get(label);
    if (!item || item.state === 'expanded' || item.state === 'loading') return;
    if (item.loaded) return this.#setState(item, item.group.childElementCount > 0 ? 'expanded' : 'leaf');
    this.#setState(item, 'loading');
    try {
      await this.#fill(item);
      this.#setState(item, item.group.childElementCount > 0 ? 'expanded' : 'leaf');
    } catch (error) {
      this.#setState(item, 'collapsed');
      this.#options.onError(error);
    }
  }

  collapse(label: string): void {
    const item = this.#items.get(label);
    if (item?.state === 'expanded') this.#setState(item, 'collapsed');
  }

  async toggle(label: string): Promise<void> {
    if (this.#items.get(label)?.state === 'expanded') this.collapse(label);
    else await this.expand(label);
  }

  /** Opens every ancestor of `label` and selects it (for deep links and link rows). */
  async reveal(label: string): Promise<void> {
    const segments = label.split('/');
    for (let i = 1; i < segments.length; i++) await this.expand(segments.slice(0, i).join('/'));
    this.select(label);
  }

  /** Marks the selected row; '' clears the selection. */
  select(label: string): void {
    this.#items.get(this.#selected)?.li.removeAttribute('aria-selected');
    this.#selected = label;
    const item = this.#items.get(label);
    if (!item) return;
    item.li.setAttribute('aria-selected', 'true');
    setFocusItem(this.#tree, item.li, false);
    item.row.scrollIntoView({ block: 'nearest' });
  }

  /** The inspector found children below a label that looked like a leaf. */
  markBranch(label: string): void {
    const item = this.#items.get(label);
    if (item?.state !== 'leaf') return;
    item.loaded = false; // what was fetched before is out of date: fetch again when opened
    this.#setState(item, 'collapsed');
  }

  /** A change seen by the root listener: patch the tree and flash what changed. */
  applyChange(label: string, node: TreeNode | undefined): void {
    const item = this.#items.get(label);
    if (item && node) this.#update(item, node);
    else if (item) this.#remove(item);
    else if (node) this.#insert(label);
  }

  #update(item: Item, node: TreeNode): void {
    const namesChanged = item.node?.childNames.join('\n') !== node.childNames.join('\n');
    this.#refresh(item, node);
    if (namesChanged && item.loaded) void this.#refill(item);
    else if (!item.loaded && item.state === 'leaf' && node.childNames.length > 0) this.#setState(item, 'collapsed');
    this.#flashShown(item.label);
  }

  #remove(item: Item): void {
    this.#forget(item.label);
    item.li.remove();
    this.#flashShown(parentOf(item.label));
  }

  /** Flashes the row of `label`, or of its nearest ancestor when it is inside a closed branch. */
  #flashShown(label: string): void {
    for (let at = label; at !== ''; at = parentOf(at)) {
      const item = this.#items.get(at);
      if (item && item.li.parentElement?.closest('[hidden]') == null) {
        flash(item.row);
        return;
      }
    }
  }

  #insert(label: string): void {
    // Find the nearest ancestor on show; only its own children are filled in directly.
    let at = parentOf(label);
    while (at !== '' && !this.#items.has(at)) at = parentOf(at);
    const ancestor = at === '' ? this.#root : (this.#items.get(at) as Item);
    if (parentOf(label) === at && (ancestor.loaded || ancestor.filling)) {
      // Shown (and flashed) when the parent's children are next rendered.
      this.#pendingFlash.add(label);
      void this.#refill(ancestor);
      return;
    }
    if (ancestor !== this.#root) {
      if (ancestor.state === 'leaf') this.#setState(ancestor, 'collapsed');
      this.#flashShown(ancestor.label);
    }
  }

  /** Fetches everything shown again (after a reconnect, when changes may have been missed). */
  async refresh(): Promise<void> {
    const loaded = [this.#root, ...[...this.#items.values()].filter((i) => i.loaded)];
    for (const item of loaded) if (item === this.#root || this.#items.get(item.label) === item) await this.#refill(item);
  }

  /** Reloads a loaded item's children (open branches below stay open). */
  async #refill(item: Item): Promise<void> {
    try {
      await this.#fill(item);
      if (item !== this.#root && item.state !== 'loading') {
        this.#setState(item, item.group.childElementCount === 0 ? 'leaf' : item.state === 'expanded' ? 'expanded' : 'collapsed');
      }
    } catch (error) {
      this.#options.onError(error);
    }
  }
}
