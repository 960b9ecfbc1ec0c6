/**
 * CSS kept in the tree (the seed's css-watcher idea): the string property `css` of the
 * node `explorer/style` is injected after the explorer's own stylesheet, and replaced
 * whenever that node changes, so a tool (or a person) restyles every open explorer.
 */
import type { Backend } from '../../src/backends/backend.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { readNode } from './tree-model.js';

export const STYLE_LABEL = 'explorer/style';
export const STYLE_PROPERTY = 'css';

/** The CSS a node holds, or '' when it has none (or it is not text). */
export function cssOf(node: TreeNode | undefined): string {
  try {
    const css = node?.getProperty(STYLE_PROPERTY);
    return typeof css === 'string' ? css : '';
  } catch {
    return ''; // contents that do not decode carry no usable CSS
  }
}

export class TreeStyle {
  readonly #style: HTMLStyleElement;

  constructor(style: HTMLStyleElement) {
    this.#style = style;
  }

  async load(backend: Backend): Promise<void> {
    this.apply(await readNode(backend, STYLE_LABEL));
  }

  apply(node: TreeNode | undefined): void {
    const css = cssOf(node);
    if (this.#style.textContent !== css) this.#style.textContent = css;
    document.body.dataset['treeStyle'] = css === '' ? 'none' : `v${node?.version.versionNumber ?? 0}`;
  }
}
