import type { TreeNode } from '../tree/tree-node.js';
import type { Backend, NodeListener, Transaction } from './backend.js';
import { ReadWriteLock } from './rw-lock.js';

interface Pending {
  readonly callback: NodeListener;
  readonly label: string;
  readonly node: TreeNode | undefined;
}

/**
 * Makes one backend safe for many concurrent async callers: reads share a lock, writes
 * hold it alone, and notifications raised during a write are queued and delivered in
 * order after the lock is released, so a listener that writes back cannot deadlock.
 */
export class ThreadsafeBackend implements Backend {
  readonly #inner: Backend;
  readonly #lock = new ReadWriteLock();
  readonly #queue: Pending[] = [];
  #delivering = false;
  #onError: (error: unknown, name: string) => void = (error, name) => console.error(`wwatp: listener "${name}" threw`, error);

  constructor(backend: Backend) {
    this.#inner = backend;
  }

  set onListenerError(handler: (error: unknown, name: string) => void) {
    this.#onError = handler;
  }

  getNode(label: string): Promise<TreeNode | undefined> {
    return this.#lock.read(() => this.#inner.getNode(label));
  }

  upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    return this.#write(() => this.#inner.upsertNode(nodes));
  }

  deleteNode(label: string): Promise<boolean> {
    return this.#write(() => this.#inner.deleteNode(label));
  }

  getPageTree(label: string): Promise<TreeNode[]> {
    return this.#lock.read(() => this.#inner.getPageTree(label));
  }

  relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.#lock.read(() => this.#inner.relativeGetPageTree(node, label));
  }

  queryNodes(rule: string): Promise<TreeNode[]> {
    return this.#lock.read(() => this.#inner.queryNodes(rule));
  }

  relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.#lock.read(() => this.#inner.relativeQueryNodes(node, rule));
  }

  openTransactionLayer(node: TreeNode): Promise<void> {
    return this.#write(() => this.#inner.openTransactionLayer(node));
  }

  closeTransactionLayers(): Promise<boolean> {
    return this.#write(() => this.#inner.closeTransactionLayers());
  }

  applyTransaction(tx: Transaction): Promise<boolean> {
    return this.#write(() => this.#inner.applyTransaction(tx));
  }

  getFullTree(): Promise<TreeNode[]> {
    return this.#lock.read(() => this.#inner.getFullTree());
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    const relay: NodeListener = (_b, label, node) => {
      this.#queue.push({ callback: (b, l, n) => this.#call(name, () => callback(b, l, n)), label, node });
      // Events from outside our own writes (a peer wrapper, notifyListeners) go out at once.
      if (!this.#lock.writing) this.#deliver();
    };
    this.#inner.registerNodeListener(name, rule, childNotify, relay);
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#inner.deregisterNodeListener(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#inner.notifyListeners(label, node);
  }

  async processNotifications(): Promise<void> {
    await this.#inner.processNotifications();
    // Taking the write lock waits out every write begun before this call; its release delivers their events.
    await this.#write(async () => undefined);
  }

  #write<T>(work: () => Promise<T>): Promise<T> {
    return this.#lock.write(work, () => this.#deliver());
  }

  #call(name: string, fire: () => void): void {
    try {
      fire();
    } catch (error) {
      this.#onError(error, name);
    }
  }

  /** Delivers queued events in order; re-entrant calls (a listener's own write) just extend the queue. */
  #deliver(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      while (this.#queue.length > 0) {
        const event = this.#queue.shift() as Pending;
        event.callback(this, event.label, event.node);
      }
    } finally {
      this.#delivering = false;
    }
  }
}
