import type { Backend } from '../../backends/backend.js';
import type { ListenerRegistry } from '../../backends/listener-registry.js';
import type { TreeNode } from '../../tree/tree-node.js';
import type { CollectionInfo, CollectorChange } from '../types.js';
import { fileNode, recordNode } from './nodes.js';
import { labelOf } from './places.js';

/** What the feed needs from the backend to turn a change into the nodes it fires. */
export interface ChangeNodes {
  collectionNode(info: CollectionInfo): Promise<TreeNode>;
  namespaceNode(namespace: string): Promise<TreeNode | undefined>;
  describe(namespace: string, name: string): Promise<CollectionInfo | undefined>;
}

/**
 * The Collector's change feed turned into tree notifications, in order: every change
 * the Collector reports (from the tree, gRPC or code) fires the listeners of its label.
 * Building the nodes may read the Collector, so deliveries are queued on one chain.
 */
export class ChangeFeed {
  #chain: Promise<void> = Promise.resolve();
  readonly #queue: CollectorChange[] = [];
  #scheduled = false;

  constructor(
    private readonly backend: Backend,
    private readonly listeners: ListenerRegistry,
    private readonly nodes: ChangeNodes,
  ) {}

  /** Resolves once every change reported so far has been delivered. */
  delivered(): Promise<void> {
    return this.#chain;
  }

  onChange(change: CollectorChange): void {
    if (this.listeners.size === 0) return;
    this.#queue.push(change);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#chain = this.#chain.then(() => this.#drain()).catch((error: unknown) => console.error('CollectorBackend: delivering a change failed', error));
  }

  /**
   * Delivers queued changes in order, then once per collection whose records or files
   * changed, its node again: recordCount and the listed ids are part of it, and clients
   * caching the node must not keep a stale one. Changes committed together share that.
   */
  async #drain(): Promise<void> {
    this.#scheduled = false;
    const changes = this.#queue.splice(0);
    const touched = new Map<string, { namespace: string; name: string }>();
    for (const change of changes) {
      await this.#deliver(change);
      if (change.kind === 'collection') touched.delete(`${change.namespace}/${change.name}`);
      else touched.set(`${change.namespace}/${change.collection}`, { namespace: change.namespace, name: change.collection });
    }
    for (const [label, { namespace, name }] of touched) {
      const info = await this.nodes.describe(namespace, name).catch(() => undefined);
      if (info) this.#fire(label, await this.nodes.collectionNode(info));
    }
  }

  #fire(label: string, node: TreeNode | undefined): void {
    this.listeners.notify(this.backend, label, () => node?.clone());
  }

  async #deliver(change: CollectorChange): Promise<void> {
    switch (change.kind) {
      case 'record': {
        const label = `${change.namespace}/${change.collection}/${change.id}`;
        this.#fire(label, change.record && recordNode(change.namespace, change.collection, change.record));
        return;
      }
      case 'collection': {
        const label = `${change.namespace}/${change.name}`;
        this.#fire(label, change.info && (await this.nodes.collectionNode(change.info)));
        // The namespace node's child names changed too (or it came or went).
        this.#fire(change.namespace, await this.nodes.namespaceNode(change.namespace));
        return;
      }
      case 'file': {
        const label = labelOf({ kind: 'file', namespace: change.namespace, name: change.collection, path: change.path });
        this.#fire(label, change.file && fileNode(change.namespace, change.collection, change.file));
        return;
      }
    }
  }
}
