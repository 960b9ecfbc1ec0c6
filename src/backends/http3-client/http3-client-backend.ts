import { LRUCache } from 'lru-cache';
import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import { normalizeLabel } from '../../tree/labels.js';
import { nodeFromState, stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';
import type { Backend, NodeListener, Transaction } from '../backend.js';
import { relativeLabel, relativeRule } from '../backend-helpers.js';
import { ListenerRegistry } from '../listener-registry.js';
import type { JournalAnswer, JournalEntry } from '../journal.js';
import { RequestBatcher } from '../../transport/wwatp/request-batcher.js';
import { Signal } from '../../transport/wwatp/signals.js';
import { field, journalAnswerFromWire, transactionToWire, wireMaybeNode, type DecodeLimits } from '../../transport/wwatp/payloads.js';
import { runSubscription, type Push } from '../../transport/wwatp/subscription.js';
import type { StreamOpener } from '../../transport/wwatp/byte-stream.js';
import { encodeNodesMap } from '../../transport/wwatp/node-payloads.js';
import { nodeToWireShared } from '../../tree/codecs/cbor-node.js';

/**
 * Nodes up to this size come with the journal push that announces them and refresh the
 * cache; bigger ones only evict it (fetched again when asked for), so a 64 MiB write is
 * not sent back to every cached client, its writer included.
 */
const PUSHED_BODY_LIMIT = 256 * 1024;

export interface Http3ClientBackendOptions {
  /** Opens a connection to the server; called again to reconnect. */
  connect: () => Promise<StreamOpener>;
  /** Most nodes kept in the local cache (default 10,000; 0 disables it). */
  cacheSize?: number;
  maxContentBytes?: number;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** Called when the connection drops or comes back; for status displays. */
  onState?: (state: 'connected' | 'reconnecting' | 'closed', error?: unknown) => void;
}

type CacheEntry = { state: NodeState | null };

/**
 * A Backend that lives on a WWATP server (over HTTP/3, WebTransport or the WebSocket
 * tunnel: the transport only supplies byte streams): requests go out batched, writes are
 * acknowledged by the server before they resolve, a bounded local cache answers
 * repeated reads and is kept current by the server's push stream, listeners are
 * registered on the server and fed by that push stream, and after a dropped connection
 * it reconnects and resumes from the last journal sequence it saw (or drops its cache
 * and starts over when the server says that history is gone).
 */
export class Http3ClientBackend implements Backend {
  readonly #options: Required<Omit<Http3ClientBackendOptions, 'onState'>> & Pick<Http3ClientBackendOptions, 'onState'>;
  readonly #limits: DecodeLimits;
  readonly #batcher: RequestBatcher;
  readonly #cache: LRUCache<string, CacheEntry> | undefined;
  readonly #listeners = new ListenerRegistry();
  readonly #remoteListeners = new Map<string, { name: string; rule: string; childNotify: boolean }>();
  readonly #markers = new Map<number, () => void>();
  // Our own writes are cached as the server acknowledged them; a push that is older than
  // such a write (it was in flight while we wrote) must not overwrite it. Floors hold the
  // journal sequence of our last write per label (and per deleted subtree).
  readonly #labelFloor = new Map<string, number>();
  readonly #subtreeFloor = new Map<string, number>();
  #connection: StreamOpener | undefined;
  #lastSequence = 0;
  /** The server's journal history our sequence numbers belong to (see PROTOCOL.md §7). */
  #epoch: string | undefined;
  #nextToken = 1;
  #closed = false;
  #ready: Promise<void>;

  private constructor(options: Http3ClientBackendOptions) {
    this.#options = {
      cacheSize: 10_000,
      maxContentBytes: DEFAULT_MAX_CONTENT_BYTES,
      reconnect: true,
      ...options,
    };
    this.#limits = { maxContentBytes: this.#options.maxContentBytes };
    this.#batcher = new RequestBatcher(() => this.#connection, this.#options.maxContentBytes + 1024 * 1024);
    this.#cache = this.#options.cacheSize > 0 ? new LRUCache({ max: this.#options.cacheSize }) : undefined;
    this.#ready = Promise.resolve();
  }

  /** Connects (the first attempt must succeed) and subscribes to the server's changes. */
  static async open(options: Http3ClientBackendOptions): Promise<Http3ClientBackend> {
    const backend = new Http3ClientBackend(options);
    try {
      await backend.#attach(await options.connect(), true);
    } catch (error) {
      // Closed so the failed first connection does not start reconnecting in the background.
      await backend.close().catch(() => undefined);
      throw error;
    }
    return backend;
  }

  /** The newest journal sequence this client has seen. */
  get lastSequence(): number {
    return this.#lastSequence;
  }

  get connected(): boolean {
    return this.#connection !== undefined;
  }

  async #attach(connection: StreamOpener, first = false): Promise<void> {
    this.#connection = connection;
    // On the first connection nothing is cached, so there is no history to catch up on:
    // subscribe from the server's latest sequence (its first push still carries anything
    // newer). From 0, every entry the server keeps (up to 10,000, nodes and all, perhaps
    // more than one message may hold) would be pushed at a client that has no use for it.
    if (first) this.#lastSequence = field.count(await this.#batcher.request(Signal.HEARTBEAT, {}), 'latest');
    // After a drop our listeners go back on the server before we subscribe: the server
    // pushes listener events only to a subscribed session, so every change after our last
    // sequence is then either in the subscription's first push (we report those to our
    // listeners ourselves) or a live listener event after it; none falls in between.
    const listeners = [...this.#remoteListeners.values()];
    await Promise.all(listeners.map((l) => this.#batcher.request(Signal.REGISTER_LISTENER, { ...l })));
    const missedAfter = first || listeners.length === 0 ? undefined : this.#lastSequence;
    let caughtUp = false;
    let acknowledged!: () => void;
    const ack = new Promise<void>((resolve) => (acknowledged = resolve));
    const stream = await connection.openStream();
    // Without a cache the journal only moves our sequence on: nodes need not travel.
    const bodies = this.#cache ? PUSHED_BODY_LIMIT : 0;
    const request = { since: this.#lastSequence, epoch: this.#epoch, bodies };
    const subscription = runSubscription(stream, request, this.#limits, this.#options.maxContentBytes + 1024 * 1024, (push) => {
      this.#onPush(push);
      if (!caughtUp) {
        caughtUp = true;
        if (missedAfter !== undefined && push.kind === 'journal') this.#reportMissed(push.entries, missedAfter);
      }
      acknowledged();
    });
    subscription.catch(() => undefined);
    void Promise.race([connection.closed, subscription]).then(() => this.#lost(connection), (error: unknown) => this.#lost(connection, error));
    await Promise.race([ack, subscription.then(() => Promise.reject(new WwatpError('UNAVAILABLE', 'subscription ended at once')))]);
    this.#options.onState?.('connected');
  }

  /** Fires our listeners for the changes made while we were away (they came in the catch-up push, not live). */
  #reportMissed(entries: readonly JournalEntry[], after: number): void {
    const missed = entries.filter((entry) => entry.sequence > after && this.#listeners.matching(entry.label).length > 0);
    // Withheld nodes are fetched first; one at a time keeps the events in journal order.
    void (async () => {
      for (const entry of missed) {
        const node = entry.withheld ? await this.getNode(entry.label).catch(() => undefined) : entry.node?.clone();
        for (const listener of this.#listeners.matching(entry.label)) {
          try {
            listener.callback(this, entry.label, node);
          } catch (error) {
            console.error(`wwatp: listener "${listener.name}" threw`, error);
          }
        }
      }
    })();
  }

  #lost(connection: StreamOpener, error?: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    void connection.close().catch(() => undefined);
    if (this.#closed) return;
    for (const resolve of this.#markers.values()) resolve();
    this.#markers.clear();
    if (!this.#options.reconnect) {
      this.#options.onState?.('closed', error);
      return;
    }
    this.#options.onState?.('reconnecting', error);
    this.#ready = this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    for (let delay = 50; !this.#closed; delay = Math.min(delay * 2, 2000)) {
      try {
        await this.#attach(await this.#options.connect());
        return;
      } catch {
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Waits until the client is connected again (after a drop), or rejects when closed. */
  async whenConnected(): Promise<void> {
    await this.#ready;
    if (this.#closed) throw new WwatpError('CLOSED', 'client closed');
  }

  #onPush(push: Push): void {
    switch (push.kind) {
      case 'journal':
        if (push.epoch !== undefined) this.#epoch = push.epoch;
        for (const entry of push.entries) {
          this.#lastSequence = Math.max(this.#lastSequence, entry.sequence);
          if (this.#olderThanOwnWrite(entry.label, entry.sequence)) continue;
          if (entry.withheld) this.#cache?.delete(entry.label);
          else this.#cache?.set(entry.label, { state: entry.node ? stateOf(entry.node) : null });
        }
        this.#lastSequence = Math.max(this.#lastSequence, push.latest);
        this.#pruneFloors();
        break;
      case 'resync':
        // History before our last sequence is gone: nothing cached can be trusted.
        if (push.epoch !== undefined) this.#epoch = push.epoch;
        this.#cache?.clear();
        this.#lastSequence = push.latest;
        break;
      case 'listener':
        if (push.latest !== undefined) this.#lastSequence = Math.max(this.#lastSequence, push.latest);
        for (const entry of this.#listeners.entries()) {
          if (entry.name !== push.name || entry.rule !== push.rule) continue;
          try {
            entry.callback(this, push.label, push.node?.clone());
          } catch (error) {
            console.error(`wwatp: listener "${entry.name}" threw`, error);
          }
        }
        break;
      case 'marker':
        this.#markers.get(push.token)?.();
        this.#markers.delete(push.token);
        break;
    }
  }

  #olderThanOwnWrite(label: string, sequence: number): boolean {
    if ((this.#labelFloor.get(label) ?? 0) >= sequence) return true;
    if (this.#subtreeFloor.size === 0) return false;
    for (let at = label.length; at > 0; at = label.lastIndexOf('/', at - 1)) {
      if ((this.#subtreeFloor.get(label.slice(0, at)) ?? 0) >= sequence) return true;
    }
    return false;
  }

  #pruneFloors(): void {
    // Floors guard the cache only; without one none are kept (and a push costs nothing here).
    if (this.#labelFloor.size === 0 && this.#subtreeFloor.size === 0) return;
    for (const floors of [this.#labelFloor, this.#subtreeFloor]) {
      for (const [label, floor] of floors) if (floor <= this.#lastSequence) floors.delete(label);
    }
  }

  #request(signal: number, body: Record<string, unknown> | Uint8Array): Promise<Record<string, unknown>> {
    if (this.#closed) return Promise.reject(new WwatpError('CLOSED', 'client closed'));
    return this.#batcher.request(signal, body);
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    const canonical = normalizeLabel(label);
    const cached = this.#cache?.get(canonical);
    if (cached) return cached.state ? nodeFromState(cached.state) : undefined;
    const reply = await this.#request(Signal.GET_NODE, { label: canonical });
    const node = field.maybeNode(reply, 'node', this.#limits);
    // A push may have raced the reply; only fill the cache when nothing newer arrived.
    if (!this.#cache?.has(canonical)) this.#cache?.set(canonical, { state: node ? stateOf(node) : null });
    return node;
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    if (!Array.isArray(nodes)) throw new WwatpError('INVALID_NODE', 'upsertNode takes an array of TreeNode');
    const reply = await this.#request(Signal.UPSERT, encodeNodesMap(nodes));
    const latest = field.count(reply, 'latest');
    for (const node of nodes) {
      this.#cache?.set(node.labelRule, { state: stateOf(node) });
      if (this.#cache && latest > this.#lastSequence) this.#labelFloor.set(node.labelRule, latest);
    }
    return field.boolean(reply, 'ok');
  }

  async deleteNode(label: string): Promise<boolean> {
    const canonical = normalizeLabel(label);
    const reply = await this.#request(Signal.DELETE, { label: canonical });
    const latest = field.count(reply, 'latest');
    this.#forgetSubtree(canonical);
    this.#cache?.set(canonical, { state: null });
    if (this.#cache && latest > this.#lastSequence) this.#subtreeFloor.set(canonical, latest);
    return field.boolean(reply, 'ok');
  }

  #forgetSubtree(label: string): void {
    if (!this.#cache) return;
    for (const key of [...this.#cache.keys()]) if (key === label || key.startsWith(`${label}/`)) this.#cache.delete(key);
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    return field.nodes(await this.#request(Signal.GET_PAGE_TREE, { label: normalizeLabel(label) }), 'nodes', this.#limits);
  }

  relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    if (typeof rule !== 'string') throw new WwatpError('INVALID_RULE', 'a label rule must be a string');
    return field.nodes(await this.#request(Signal.QUERY_NODES, { rule }), 'nodes', this.#limits);
  }

  relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async openTransactionLayer(node: TreeNode): Promise<void> {
    await this.#request(Signal.OPEN_TXN, { node: nodeToWireShared(node) });
  }

  async closeTransactionLayers(): Promise<boolean> {
    const reply = await this.#request(Signal.CLOSE_TXNS, {});
    this.#cache?.clear();
    return field.boolean(reply, 'ok');
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    const wire = transactionToWire(tx);
    const reply = await this.#request(Signal.APPLY_TXN, { tx: wire });
    const ok = field.boolean(reply, 'ok');
    if (ok) for (const sub of tx) for (const v of [sub.parent, ...sub.children]) this.#forgetSubtree(normalizeLabel(v.label));
    return ok;
  }

  async getFullTree(): Promise<TreeNode[]> {
    return field.nodes(await this.#request(Signal.GET_FULL_TREE, {}), 'nodes', this.#limits);
  }

  /** Changes after `since`, straight from the server's journal. */
  async getJournal(since: number, limit?: number): Promise<JournalAnswer> {
    return journalAnswerFromWire(await this.#request(Signal.GET_JOURNAL, { since, limit: limit ?? 10_000 }), this.#limits);
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#listeners.register(name, rule, childNotify, callback);
    const key = `${name}\u0000${rule}`;
    this.#remoteListeners.set(key, { name, rule, childNotify });
    this.#request(Signal.REGISTER_LISTENER, { name, rule, childNotify }).catch((error: unknown) => console.error(`wwatp: registering listener "${name}" failed`, error));
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
    this.#remoteListeners.delete(`${name}\u0000${rule}`);
    this.#request(Signal.DEREGISTER, { name, rule }).catch(() => undefined);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#request(Signal.NOTIFY, { label: normalizeLabel(label), node: wireMaybeNode(node) }).catch((error: unknown) => console.error('wwatp: notify failed', error));
  }

  /** Resolves once the server has delivered, down the push stream, every notification for writes made before the call. */
  async processNotifications(): Promise<void> {
    const token = this.#nextToken++;
    const marker = new Promise<void>((resolve) => this.#markers.set(token, resolve));
    await this.#request(Signal.PROCESS_NOTIFICATION, { token });
    await marker;
  }

  /** Round trip to the server; resolves with the server's latest journal sequence. */
  async heartbeat(): Promise<number> {
    return field.count(await this.#request(Signal.HEARTBEAT, {}), 'latest');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#batcher.failQueued(new WwatpError('CLOSED', 'client closed'));
    for (const resolve of this.#markers.values()) resolve();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
    this.#options.onState?.('closed');
  }
}

