import { WwatpError } from '../tree/errors.js';
import { isStrictlyUnder, joinLabel, normalizeLabel, normalizeLabelOrRoot, stripPrefix } from '../tree/labels.js';
import { parseLabelRule } from '../tree/label-rule.js';
import type { TreeNode } from '../tree/tree-node.js';
import type { Backend, NewNodeVersion, NodeListener, Transaction } from './backend.js';
import { relativeLabel, relativeRule } from './backend-helpers.js';
import { addPrefix, removePrefix } from './label-mapping.js';

/**
 * A subtree of another backend seen as a whole tree: label `x` here is `prefix/x`
 * there. The inverse of a Composite mount.
 */
export class RedirectedBackend implements Backend {
  readonly #inner: Backend;
  readonly prefix: string;

  constructor(backend: Backend, prefix: string) {
    this.#inner = backend;
    this.prefix = normalizeLabel(prefix);
  }

  #in(label: string): string {
    return joinLabel(this.prefix, normalizeLabel(label));
  }

  #out = (node: TreeNode): TreeNode => removePrefix(node, this.prefix, 'keep');

  #outAll(nodes: TreeNode[]): TreeNode[] {
    return nodes.filter((n) => isStrictlyUnder(n.labelRule, this.prefix)).map(this.#out);
  }

  #ruleIn(rule: string): string {
    const parsed = parseLabelRule(rule);
    const path = joinLabel(this.prefix, parsed.path);
    return parsed.query === undefined ? path : `${path}?${parsed.query}`;
  }

  #versionIn(entry: NewNodeVersion): NewNodeVersion {
    if (entry === null || typeof entry !== 'object') throw new WwatpError('INVALID_NODE', 'a transaction entry must be a NewNodeVersion');
    return { priorVersion: entry.priorVersion, label: this.#in(entry.label), node: entry.node && addPrefix(entry.node, this.prefix) };
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    const node = await this.#inner.getNode(this.#in(label));
    return node && this.#out(node);
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    if (!Array.isArray(nodes)) throw new WwatpError('INVALID_NODE', 'upsertNode takes an array of TreeNode');
    return this.#inner.upsertNode(nodes.map((n) => addPrefix(n, this.prefix)));
  }

  async deleteNode(label: string): Promise<boolean> {
    return this.#inner.deleteNode(this.#in(label));
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    return this.#outAll(await this.#inner.getPageTree(this.#in(label)));
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    return this.#outAll(await this.#inner.queryNodes(this.#ruleIn(rule)));
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(node: TreeNode): Promise<void> {
    return this.#inner.openTransactionLayer(addPrefix(node, this.prefix));
  }

  async closeTransactionLayers(): Promise<boolean> {
    return this.#inner.closeTransactionLayers();
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    if (!Array.isArray(tx)) throw new WwatpError('INVALID_NODE', 'a transaction must be an array of { parent, children }');
    return this.#inner.applyTransaction(
      tx.map((sub) => ({ parent: this.#versionIn(sub.parent), children: Array.isArray(sub.children) ? sub.children.map((c) => this.#versionIn(c)) : sub.children })),
    );
  }

  async getFullTree(): Promise<TreeNode[]> {
    return this.#outAll(await this.#inner.queryNodes(`${this.prefix}/**`));
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#inner.registerNodeListener(name, this.#ruleIn(rule), childNotify, (_b, label, node) => {
      if (isStrictlyUnder(label, this.prefix)) callback(this, stripPrefix(label, this.prefix), node && this.#out(node));
    });
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#inner.deregisterNodeListener(name, this.#ruleIn(rule));
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#inner.notifyListeners(joinLabel(this.prefix, normalizeLabelOrRoot(label)), node && addPrefix(node, this.prefix));
  }

  async processNotifications(): Promise<void> {
    return this.#inner.processNotifications();
  }
}
