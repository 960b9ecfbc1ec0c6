import { WwatpError } from '../tree/errors.js';
import { ancestorsOf, normalizeLabel } from '../tree/labels.js';
import { parseLabelRule } from '../tree/label-rule.js';
import { TreeNode } from '../tree/tree-node.js';
import type { Backend, NewNodeVersion, NodeListener, Transaction } from './backend.js';
import { checkedStates, relativeLabel, relativeRule } from './backend-helpers.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../tree/limits.js';

interface Layer {
  readonly parent: NewNodeVersion;
  /** Staged children by label; the prior version is the one seen when first staged. */
  readonly children: Map<string, NewNodeVersion>;
}

/**
 * Stages writes in memory between openTransactionLayer and closeTransactionLayers,
 * then applies every layer to the wrapped backend as one transaction. Staged versions
 * are those the validator will check: a layer's parent moves exactly one version on
 * from what was visible when it opened, and each child's prior is what was visible
 * when first staged, so a concurrent change underneath rejects the whole transaction.
 * With no layer open every call passes straight through. One instance is one session.
 */
export class TransactionalBackend implements Backend {
  readonly #inner: Backend;
  #layers: Layer[] = [];

  constructor(backend: Backend) {
    this.#inner = backend;
  }

  /** Number of open layers. */
  get depth(): number {
    return this.#layers.length;
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    const canonical = normalizeLabel(label);
    const staged = this.#staged(canonical);
    if (staged !== null) return staged?.clone();
    return this.#inner.getNode(canonical);
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    if (this.#layers.length === 0) return this.#inner.upsertNode(nodes);
    checkedStates(nodes, DEFAULT_MAX_CONTENT_BYTES);
    for (const node of nodes) await this.#stage(node.labelRule, node.clone());
    return true;
  }

  async deleteNode(label: string): Promise<boolean> {
    if (this.#layers.length === 0) return this.#inner.deleteNode(label);
    const canonical = normalizeLabel(label);
    if (!(await this.getNode(canonical))) return false;
    await this.#stage(canonical, undefined);
    return true;
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    if (this.#layers.length === 0) return this.#inner.getPageTree(label);
    const page = await this.getNode(label);
    if (!page) return [];
    const out: TreeNode[] = [];
    for (const name of page.childNames) {
      const node = await this.getNode(name.includes('/') ? name : `${page.labelRule}/${name}`);
      if (node) out.push(node);
    }
    return out;
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    const found = await this.#inner.queryNodes(rule);
    if (this.#layers.length === 0) return found;
    const parsed = parseLabelRule(rule);
    return this.#overlay(found, (label) => parsed.matches(label));
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(node: TreeNode): Promise<void> {
    if (!(node instanceof TreeNode)) throw new WwatpError('INVALID_NODE', 'openTransactionLayer takes a TreeNode');
    const current = await this.getNode(node.labelRule);
    const next = node.clone();
    if (current) {
      const { version } = current;
      next.version = { ...node.version, versionNumber: (version.versionNumber + 1) % version.maxVersionSequence, maxVersionSequence: version.maxVersionSequence };
    }
    this.#layers.push({
      parent: { priorVersion: current?.version.versionNumber, label: next.labelRule, node: next },
      children: new Map(),
    });
  }

  async closeTransactionLayers(): Promise<boolean> {
    if (this.#layers.length === 0) return true;
    const tx: Transaction = this.#layers.map((layer) => ({ parent: layer.parent, children: [...layer.children.values()] }));
    this.#layers = [];
    return this.#inner.applyTransaction(tx);
  }

  /** Drops every open layer without applying it. */
  discardTransactionLayers(): void {
    this.#layers = [];
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    return this.#inner.applyTransaction(tx);
  }

  async getFullTree(): Promise<TreeNode[]> {
    const full = await this.#inner.getFullTree();
    return this.#layers.length === 0 ? full : this.#overlay(full, () => true);
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#inner.registerNodeListener(name, rule, childNotify, (_b, label, node) => callback(this, label, node));
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#inner.deregisterNodeListener(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#inner.notifyListeners(label, node);
  }

  async processNotifications(): Promise<void> {
    return this.#inner.processNotifications();
  }

  /** The staged state of a label: a node, undefined (deleted), or null (not staged). */
  #staged(label: string): TreeNode | undefined | null {
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const layer = this.#layers[i] as Layer;
      const child = layer.children.get(label);
      if (child) return child.node;
      if (layer.parent.label === label) return layer.parent.node;
      for (const ancestor of ancestorsOf(label)) {
        const above = layer.children.get(ancestor) ?? (layer.parent.label === ancestor ? layer.parent : undefined);
        if (above && above.node === undefined) return undefined;
      }
    }
    return null;
  }

  async #stage(label: string, node: TreeNode | undefined): Promise<void> {
    const layer = this.#layers[this.#layers.length - 1] as Layer;
    const existing = layer.children.get(label);
    const priorVersion = existing ? existing.priorVersion : (await this.getNode(label))?.version.versionNumber;
    // A delete of a node that never existed before staging needs no entry at all.
    if (node === undefined && existing && existing.priorVersion === undefined) {
      layer.children.delete(label);
      return;
    }
    layer.children.set(label, { priorVersion, label, node });
  }

  /** Applies staged changes to a list read from the inner backend. */
  #overlay(found: TreeNode[], wanted: (label: string) => boolean): TreeNode[] {
    const out: TreeNode[] = [];
    const seen = new Set<string>();
    for (const node of found) {
      seen.add(node.labelRule);
      const staged = this.#staged(node.labelRule);
      if (staged === null) out.push(node);
      else if (staged) out.push(staged.clone());
    }
    for (const layer of this.#layers) {
      for (const entry of [layer.parent, ...layer.children.values()]) {
        if (entry.node && !seen.has(entry.label) && wanted(entry.label) && this.#staged(entry.label) === entry.node) {
          seen.add(entry.label);
          out.push(entry.node.clone());
        }
      }
    }
    return out;
  }
}
