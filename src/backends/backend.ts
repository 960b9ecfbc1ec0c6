import type { TreeNode } from '../tree/tree-node.js';

/**
 * Called with the backend the listener was registered on, the label that changed and
 * the node as it now is (undefined when it was deleted).
 */
export type NodeListener = (backend: Backend, label: string, node: TreeNode | undefined) => void;

/** One node's change inside a transaction: undefined node means delete. */
export interface NewNodeVersion {
  priorVersion: number | undefined;
  label: string;
  node: TreeNode | undefined;
}

export interface SubTransaction {
  parent: NewNodeVersion;
  children: NewNodeVersion[];
}

export type Transaction = SubTransaction[];

/**
 * The one interface every store, wrapper and remote client implements. Everything in
 * wwatp — frontends, the browser, composites — talks to a tree only through this.
 */
export interface Backend {
  /** The node at a label, or undefined. */
  getNode(label: string): Promise<TreeNode | undefined>;
  /** Stores nodes (overwriting), notifying once per node. */
  upsertNode(nodes: readonly TreeNode[]): Promise<boolean>;
  /** Removes a node and its descendants (links survive); false when nothing was there. */
  deleteNode(label: string): Promise<boolean>;
  /** The nodes named by a page node's child names, in order, missing ones skipped. */
  getPageTree(label: string): Promise<TreeNode[]>;
  relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]>;
  /** Nodes whose labels match a label rule (`*` one segment, `**` any depth). */
  queryNodes(rule: string): Promise<TreeNode[]>;
  relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]>;
  /** Starts staging changes under `node` (see TransactionalBackend). */
  openTransactionLayer(node: TreeNode): Promise<void>;
  /** Applies every staged layer as one transaction; false when it was rejected. */
  closeTransactionLayers(): Promise<boolean>;
  /** Checks every prior version, then writes all or nothing; false when rejected. */
  applyTransaction(tx: Transaction): Promise<boolean>;
  /** Every node, parents before children. */
  getFullTree(): Promise<TreeNode[]>;
  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void;
  deregisterNodeListener(name: string, rule: string): void;
  /** Fires the listeners that cover `label` as though it had changed to `node`. */
  notifyListeners(label: string, node: TreeNode | undefined): void;
  /** Resolves once every notification for writes finished before the call is delivered. */
  processNotifications(): Promise<void>;
}
