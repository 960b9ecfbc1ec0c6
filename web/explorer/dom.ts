/**
 * A tiny element builder: enough to keep the explorer free of a framework while every
 * piece of text still goes through textContent (never innerHTML), so tree contents can
 * never inject markup into the page.
 */
export type Child = Node | string | false | null | undefined;

export type Attrs = Record<string, string | number | boolean | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'className') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Looks up an element the page must have; a missing one is a broken index.html. */
export function required<T extends Element>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`explorer: missing element ${selector}`);
  return el;
}

const FLASH_MS = 1600;
const flashTimers = new WeakMap<Element, number>();

/**
 * Marks an element as just changed: the `flash` class runs a CSS animation and is
 * removed by a timer (not animationend, which never fires under reduced motion).
 */
export function flash(el: Element): void {
  const previous = flashTimers.get(el);
  if (previous !== undefined) window.clearTimeout(previous);
  el.classList.remove('flash');
  // Reading layout restarts the animation when the element was already flashing.
  void (el as HTMLElement).offsetWidth;
  el.classList.add('flash');
  flashTimers.set(el, window.setTimeout(() => el.classList.remove('flash'), FLASH_MS));
}
