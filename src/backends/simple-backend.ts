import { DEFAULT_MAX_CONTENT_BYTES } from '../tree/limits.js';
import { normalizeLabel } from '../tree/labels.js';
import { nodeFromState, type NodeState, type TreeNode } from '../tree/tree-node.js';
import type { Backend, NodeListener, Transaction } from './backend.js';
import { LabelIndex } from './label-index.js';
import { ListenerRegistry } from './listener-registry.js';
import { checkTransaction } from './transaction-rules.js';
import { checkedStates, pageLabels, parsePlainRule, relativeLabel, relativeRule, unsupportedLayers } from './backend-helpers.js';

export interface SimpleBackendOptions {
  /** Largest contents a node may carry (default 16 MiB). */
  maxContentBytes?: number;
}

/**
 * The tree in memory: a map from label to immutable node state, a label index for
 * subtree walks and wildcard queries, and listeners notified synchronously after each
 * write. Stands alone; the other in-memory backends wrap one.
 */
export class SimpleBackend implements Backend {
  readonly #nodes = new Map<string, NodeState>();
  readonly #index = new LabelIndex();
  readonly #listeners = new ListenerRegistry();
  readonly #maxContentBytes: number;

  constructor(options: SimpleBackendOptions = {}) {
    this.#maxContentBytes = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  }

  /** Number of nodes stored. */
  get size(): number {
    return this.#nodes.size;
  }

  // Not `async`: the hot path hands back an already-resolved promise, which is cheaper.
  getNode(label: string): Promise<TreeNode | undefined> {
    try {
      const state = this.#nodes.get(label) ?? this.#nodes.get(normalizeLabel(label));
      return Promise.resolve(state && nodeFromState(state));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    const states = checkedStates(nodes, this.#maxContentBytes);
    for (const state of states) this.#put(state);
    for (const state of states) this.#notify(state.labelRule, state);
    return true;
  }

  async deleteNode(label: string): Promise<boolean> {
    const removed = this.#delete(normalizeLabel(label));
    for (const gone of removed) this.#notify(gone, undefined);
    return removed.length > 0;
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    const page = this.#nodes.get(normalizeLabel(label));
    if (!page) return [];
    const out: TreeNode[] = [];
    for (const child of pageLabels(page)) {
      const state = this.#nodes.get(child);
      if (state) out.push(nodeFromState(state));
    }
    return out;
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    const parsed = parsePlainRule(rule);
    const out: TreeNode[] = [];
    for (const label of this.#index.match(parsed)) {
      const state = this.#nodes.get(label);
      if (state) out.push(nodeFromState(state));
    }
    return out;
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(_node: TreeNode): Promise<void> {
    throw unsupportedLayers('SimpleBackend');
  }

  async closeTransactionLayers(): Promise<boolean> {
    return true; // No layer can be open, so there is nothing to apply.
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    const check = checkTransaction(tx, (label) => this.#nodes.get(label)?.version, this.#maxContentBytes);
    if (!check.ok) return false;
    const notices: Array<{ label: string; state: NodeState | undefined }> = [];
    for (const write of check.writes) {
      if (write.state) {
        this.#put(write.state);
        notices.push({ label: write.label, state: write.state });
      } else {
        for (const gone of this.#delete(write.label)) notices.push({ label: gone, state: undefined });
      }
    }
    for (const { label, state } of notices) this.#notify(label, state);
    return true;
  }

  async getFullTree(): Promise<TreeNode[]> {
    const out: TreeNode[] = [];
    for (const label of this.#index.walk('')) {
      const state = this.#nodes.get(label);
      if (state) out.push(nodeFromState(state));
    }
    return out;
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#listeners.register(name, rule, childNotify, callback);
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    const canonical = normalizeLabel(label);
    this.#listeners.notify(this, canonical, () => node?.clone());
  }

  async processNotifications(): Promise<void> {
    // Notifications are delivered synchronously as each write completes.
  }

  #put(state: NodeState): void {
    if (!this.#nodes.has(state.labelRule)) this.#index.add(state.labelRule);
    this.#nodes.set(state.labelRule, state);
  }

  /** Removes a label's subtree; returns the labels of the nodes removed, parents first. */
  #delete(label: string): string[] {
    const subtree = [...this.#index.walk(label)];
    const removed = subtree.filter((l) => this.#nodes.delete(l));
    if (removed.length > 0 || subtree.length > 1) this.#index.removeSubtree(label, subtree, (l) => this.#nodes.has(l));
    return removed;
  }

  #notify(label: string, state: NodeState | undefined): void {
    this.#listeners.notify(this, label, () => state && nodeFromState(state));
  }
}
