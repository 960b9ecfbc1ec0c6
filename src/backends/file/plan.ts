import { isAtOrUnder, normalizeLabel } from '../../tree/labels.js';
import type { NodeState } from '../../tree/tree-node.js';
import type { Version } from '../../tree/versions.js';
import type { Transaction } from '../backend.js';
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

/**
 * The current version of every label a transaction names, looked up ahead so that
 * checkTransaction (which asks synchronously) can run against the in-memory tree.
 * Entries that are not well formed are skipped here; checkTransaction reports them.
 */
export async function currentVersions(tree: SimpleBackend, tx: Transaction): Promise<Map<string, Version | undefined>> {
  const versions = new Map<string, Version | undefined>();
  if (!Array.isArray(tx)) return versions;
  for (const sub of tx as unknown[]) {
    const { parent, children } = (sub ?? {}) as { parent?: { label?: unknown }; children?: unknown };
    const entries = [parent, ...(Array.isArray(children) ? (children as Array<{ label?: unknown } | undefined>) : [])];
    for (const entry of entries) {
      let label: string;
      try {
        label = normalizeLabel(entry?.label);
      } catch {
        continue;
      }
      if (!versions.has(label)) versions.set(label, (await tree.getNode(label))?.version);
    }
  }
  return versions;
}
