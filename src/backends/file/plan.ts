import { isAtOrUnder } from '../../tree/labels.js';
import type { NodeState } from '../../tree/tree-node.js';
import type { SimpleBackend } from '../simple-backend.js';
import type { TransactionWrite } from '../transaction-rules.js';
import type { Diff } from './disk-writer.js';

/**
 * Works out what a write will leave behind — the final state of every label it
 * touches — without changing the in-memory tree, so the disk can be written first and
 * the memory updated only once the disk has it. Puts and subtree removals are replayed
 * in order over the current tree, as SimpleBackend applies them.
 */
export class Plan {
  readonly #tree: SimpleBackend;
  readonly #diff = new Map<string, NodeState | null>();

  constructor(tree: SimpleBackend) {
    this.#tree = tree;
  }

  get diff(): Diff {
    return this.#diff;
  }

  put(state: NodeState): void {
    this.#diff.set(state.labelRule, state);
  }

  async remove(label: string): Promise<void> {
    const current = await this.#tree.getNode(label);
    const below = await this.#tree.queryNodes(`${label}/**`);
    if (current && this.#diff.get(label) !== null) this.#diff.set(label, null);
    for (const node of below) if (this.#diff.get(node.labelRule) !== null) this.#diff.set(node.labelRule, null);
    for (const [l, state] of this.#diff) if (state && isAtOrUnder(l, label)) this.#diff.set(l, null);
  }

  static async ofWrites(tree: SimpleBackend, writes: readonly TransactionWrite[]): Promise<Plan> {
    const plan = new Plan(tree);
    for (const write of writes) {
      if (write.state) plan.put(write.state);
      else await plan.remove(write.label);
    }
    return plan;
  }
}
