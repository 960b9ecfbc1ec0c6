import { parentLabel } from '../tree/labels.js';
import type { LabelRule } from '../tree/label-rule.js';

/**
 * The structure of a set of labels: for each label (and each ancestor of one, even
 * when no node sits there) the labels directly below it. Lets subtree walks, deletes
 * and wildcard queries visit only the part of the tree they concern.
 */
export class LabelIndex {
  readonly #children = new Map<string, Set<string>>();

  /** Records a label and links it up to the root. */
  add(label: string): void {
    let child = label;
    while (child !== '') {
      const parent = parentLabel(child);
      const set = this.#children.get(parent);
      if (set) {
        set.add(child);
        return;
      }
      this.#children.set(parent, new Set([child]));
      child = parent;
    }
  }

  /**
   * Forgets a label and everything below it (`subtree`, as walk(label) listed it),
   * pruning ancestors that are left with no children and hold no node.
   */
  removeSubtree(label: string, subtree: readonly string[], isNode: (label: string) => boolean): void {
    for (const below of subtree) this.#children.delete(below);
    let child = label;
    while (child !== '') {
      const parent = parentLabel(child);
      const set = this.#children.get(parent);
      if (!set) return;
      set.delete(child);
      if (set.size > 0 || isNode(parent) || parent === '') {
        if (set.size === 0) this.#children.delete(parent);
        return;
      }
      this.#children.delete(parent);
      child = parent;
    }
  }

  /** Labels directly below `label`, in insertion order. */
  childrenOf(label: string): Iterable<string> {
    return this.#children.get(label) ?? [];
  }

  /**
   * Pre-order walk of `label` and everything below it (iterative, so deep trees do not
   * overflow the stack). `maxDepth` limits how many levels below `label` are visited.
   */
  *walk(label: string, maxDepth = Infinity): Generator<string> {
    const stack: Array<{ it: Iterator<string>; depth: number }> = [];
    yield label;
    if (maxDepth > 0) stack.push({ it: this.childrenOf(label)[Symbol.iterator](), depth: 1 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { it: Iterator<string>; depth: number };
      const next = top.it.next();
      if (next.done) {
        stack.pop();
        continue;
      }
      yield next.value;
      if (top.depth < maxDepth) stack.push({ it: this.childrenOf(next.value)[Symbol.iterator](), depth: top.depth + 1 });
    }
  }

  /** Labels matching a rule, visiting only the subtree under its literal prefix. */
  *match(rule: LabelRule): Generator<string> {
    const depthBelowPrefix = rule.path.includes('**')
      ? Infinity
      : rule.path.split('/').length - (rule.literalPrefix === '' ? 0 : rule.literalPrefix.split('/').length);
    for (const label of this.walk(rule.literalPrefix, depthBelowPrefix)) {
      if (label !== '' && rule.matches(label)) yield label;
    }
  }
}
