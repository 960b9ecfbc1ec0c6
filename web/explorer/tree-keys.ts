/**
 * Keyboard use of the tree, following the WAI-ARIA tree pattern: one tab stop (roving
 * tabindex), arrows move and open/close, Home/End jump, Enter or Space selects.
 */
export interface TreeKeyActions {
  /** Opens a closed branch; resolves when its children are shown. */
  expand(li: HTMLLIElement): Promise<void> | void;
  collapse(li: HTMLLIElement): void;
  activate(li: HTMLLIElement): void;
}

/** Tree items not inside a collapsed (hidden) group, in document order. */
export function visibleItems(tree: HTMLElement): HTMLLIElement[] {
  return Array.from(tree.querySelectorAll<HTMLLIElement>('li[role="treeitem"]')).filter((li) => li.parentElement?.closest('[hidden]') == null);
}

/** Makes `li` the tree's one tab stop, optionally moving focus there. */
export function setFocusItem(tree: HTMLElement, li: HTMLLIElement, focus: boolean): void {
  for (const other of Array.from(tree.querySelectorAll<HTMLLIElement>('li[tabindex="0"]'))) if (other !== li) other.tabIndex = -1;
  li.tabIndex = 0;
  if (focus) li.focus();
}

function parentItem(li: HTMLLIElement): HTMLLIElement | null {
  return li.parentElement?.closest<HTMLLIElement>('li[role="treeitem"]') ?? null;
}

export function attachTreeKeys(tree: HTMLElement, actions: TreeKeyActions): void {
  tree.addEventListener('keydown', (event) => {
    const li = (event.target as Element).closest<HTMLLIElement>('li[role="treeitem"]');
    if (!li || event.altKey || event.ctrlKey || event.metaKey) return;
    const items = visibleItems(tree);
    const at = items.indexOf(li);
    const move = (to: HTMLLIElement | null | undefined): void => {
      if (to) setFocusItem(tree, to, true);
    };
    const expanded = li.getAttribute('aria-expanded');
    switch (event.key) {
      case 'ArrowDown':
        move(items[at + 1]);
        break;
      case 'ArrowUp':
        move(items[at - 1]);
        break;
      case 'Home':
        move(items[0]);
        break;
      case 'End':
        move(items[items.length - 1]);
        break;
      case 'ArrowRight':
        if (expanded === 'false') void actions.expand(li);
        else if (expanded === 'true') move(items[at + 1] && parentItem(items[at + 1] as HTMLLIElement) === li ? items[at + 1] : undefined);
        break;
      case 'ArrowLeft':
        if (expanded === 'true') actions.collapse(li);
        else move(parentItem(li));
        break;
      case 'Enter':
      case ' ':
        actions.activate(li);
        break;
      default:
        return;
    }
    event.preventDefault();
  });
}
