/**
 * Wires the explorer together: one backend (the browser client library), one root
 * listener feeding the tree, the inspector, the tree-held CSS and the status bar, and
 * the URL hash as the selected label.
 */
import type { Backend } from '../../src/backends/backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { required } from './dom.js';
import { showError } from './errors.js';
import { Inspector } from './inspector.js';
import { hashToLabel, labelToHash } from './location.js';
import { attachSearch } from './search.js';
import type { StatusBar } from './status.js';
import { STYLE_LABEL, TreeStyle } from './tree-style.js';
import { TreeView } from './tree-view.js';

export const LISTENER_NAME = 'explorer';

export class ExplorerApp {
  readonly #backend: Backend;
  readonly #status: StatusBar;
  readonly #tree: TreeView;
  readonly #inspector: Inspector;
  readonly #style: TreeStyle;
  readonly #problem = required<HTMLElement>('#app-error');

  constructor(backend: Backend, status: StatusBar) {
    this.#backend = backend;
    this.#status = status;
    this.#style = new TreeStyle(required<HTMLStyleElement>('#tree-style'));
    this.#tree = new TreeView(required<HTMLUListElement>('#tree'), {
      backend,
      onActivate: (label) => this.navigate(label),
      onError: (error) => showError(this.#problem, error),
    });
    this.#inspector = new Inspector(required<HTMLElement>('#inspector'), {
      backend,
      navigate: (label) => this.navigate(label),
      onChildrenFound: (label) => this.#tree.markBranch(label),
    });
    attachSearch(required<HTMLFormElement>('#search'), backend);
  }

  async start(): Promise<void> {
    // Listen first, so nothing that changes while the page loads is missed.
    this.#backend.registerNodeListener(LISTENER_NAME, '', true, (_backend, label, node) => this.#changed(label, node));
    window.addEventListener('hashchange', () => void this.#route());
    await Promise.all([this.#tree.load(), this.#style.load(this.#backend)]);
    await this.#route();
  }

  /** Goes to a label: the hash changes, and the hashchange handler shows it. */
  navigate(label: string): void {
    const hash = labelToHash(label);
    if (location.hash === hash) void this.#route();
    else location.hash = hash;
  }

  /** After a reconnect: anything may have changed while we were away. */
  async resync(): Promise<void> {
    try {
      await Promise.all([this.#tree.refresh(), this.#style.load(this.#backend), this.#inspector.show(this.#inspector.label)]);
      showError(this.#problem, undefined);
    } catch (error) {
      showError(this.#problem, error);
    }
  }

  async #route(): Promise<void> {
    const label = hashToLabel(location.hash);
    document.title = label === '' ? 'wwatp explorer' : `${label} — wwatp explorer`;
    this.#tree.select(label);
    await Promise.all([this.#inspector.show(label), label === '' ? undefined : this.#tree.reveal(label).catch((error: unknown) => showError(this.#problem, error))]);
  }

  #changed(label: string, node: TreeNode | undefined): void {
    this.#tree.applyChange(label, node);
    this.#inspector.applyChange(label, node);
    if (label === STYLE_LABEL) this.#style.apply(node);
    this.#status.noteChange(label, node === undefined);
  }
}
