import type { Backend, NodeListener, Transaction } from '../../backends/backend.js';
import { checkedStates, relativeLabel, relativeRule, unsupportedLayers } from '../../backends/backend-helpers.js';
import { ListenerRegistry } from '../../backends/listener-registry.js';
import { WwatpError } from '../../tree/errors.js';
import { parseLabelRule, type LabelRule } from '../../tree/label-rule.js';
import { absoluteChildName, normalizeLabel, normalizeLabelOrRoot } from '../../tree/labels.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import { nodeFromState, type TreeNode } from '../../tree/tree-node.js';
import type { CollectionInfo, CollectionRecord } from '../types.js';
import type { CollectionStoreApi, CollectorApi } from './collector-api.js';
import {
  collectionNode,
  directoriesOf,
  directoryChildren,
  directoryNode,
  FILES_SEGMENT,
  fileNode,
  MAX_LISTED_RECORDS,
  namespaceNode,
  recordNode,
} from './nodes.js';
import { fileLabel, placeOf, SYSTEM, type Place } from './places.js';
import { ChangeFeed } from './change-feed.js';
import { parseQueryString } from './query-string.js';
import { couldReach, couldReachChildren, literalChild, searchTarget } from './rule-walk.js';
import { applyRecordTransaction } from './transactions.js';
import { applyWrite, planWrite, type Op } from './write-plan.js';

export interface CollectorBackendOptions {
  /** Largest contents a written node may carry (default 16 MiB). */
  maxContentBytes?: number;
}

const PAGE = 1000;

/**
 * The Collector as a tree (docs/COLLECTOR.md): namespaces, collections, records and
 * files are nodes; `queryNodes('<ns>/<collection>/*?year>=2000')` runs the store's
 * search. Listeners are fed from the Collector's own change feed, so writes made
 * through gRPC or directly on the Collector notify tree watchers too.
 */
export class CollectorBackend implements Backend {
  readonly #collector: CollectorApi;
  readonly #listeners = new ListenerRegistry();
  readonly #maxContentBytes: number;
  readonly #unsubscribe: () => void;
  readonly #feed: ChangeFeed;
  #closed = false;

  constructor(collector: CollectorApi, options: CollectorBackendOptions = {}) {
    this.#collector = collector;
    this.#maxContentBytes = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
    this.#feed = new ChangeFeed(this, this.#listeners, {
      collectionNode: (info) => this.#collectionNode(info),
      namespaceNode: (namespace) => this.#nodeAt({ kind: 'namespace', namespace }),
      describe: (namespace, name) => collector.repo.describe(namespace, name),
    });
    this.#unsubscribe = collector.onChange((change) => {
      if (!this.#closed) this.#feed.onChange(change);
    });
  }

  /** Stops listening to the Collector (which the caller still owns and closes). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    await this.#feed.delivered();
  }

  // ---------------------------------------------------------------- reading

  async getNode(label: string): Promise<TreeNode | undefined> {
    const place = placeOf(normalizeLabel(label));
    return place && absentIfUnnamable(this.#nodeAt(place), undefined);
  }

  async #store(namespace: string, name: string): Promise<CollectionStoreApi | undefined> {
    return this.#collector.repo.collection(namespace, name);
  }

  async #nodeAt(place: Place): Promise<TreeNode | undefined> {
    switch (place.kind) {
      case 'namespace': {
        const infos = await this.#collections(place.namespace);
        return infos.length === 0 ? undefined : namespaceNode(place.namespace, infos.map((i) => i.name));
      }
      case 'collection': {
        const info = await this.#collector.repo.describe(place.namespace, place.name);
        return info && this.#collectionNode(info);
      }
      case 'record': {
        const store = await this.#store(place.namespace, place.name);
        const record = store && (await store.get(place.id));
        return record && recordNode(place.namespace, place.name, record);
      }
      case 'file': {
        const store = await this.#store(place.namespace, place.name);
        if (!store) return undefined;
        if (place.path !== '') {
          const file = await store.getFile(place.path);
          if (file) return fileNode(place.namespace, place.name, file);
        }
        const paths = (await store.listFiles(place.path === '' ? undefined : place.path)).map((f) => f.path);
        const children = directoryChildren(paths, place.path);
        return children.length === 0 ? undefined : directoryNode(place.namespace, place.name, place.path, children);
      }
    }
  }

  /**
   * A namespace's collections as listings show them. The registry's system collections
   * always exist; they are listed only once they hold something, so an unused Collector
   * is an empty tree (getNode still reaches them by name).
   */
  async #collections(namespace: string): Promise<CollectionInfo[]> {
    try {
      const infos = await this.#collector.repo.collections(namespace);
      return namespace === SYSTEM ? infos.filter((i) => i.recordCount > 0) : infos;
    } catch (error) {
      // A namespace name the Collector refuses cannot hold anything.
      if (WwatpError.is(error, 'INVALID_LABEL') || WwatpError.is(error, 'NOT_FOUND')) return [];
      throw error;
    }
  }

  async #collectionNode(info: CollectionInfo): Promise<TreeNode> {
    const store = await this.#store(info.namespace, info.name);
    if (!store) return collectionNode(info, []);
    const ids = await store.ids('', MAX_LISTED_RECORDS);
    const hasFiles = (await store.listFiles()).length > 0;
    return collectionNode(info, [...ids, ...(hasFiles ? [FILES_SEGMENT] : [])]);
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    const page = await this.getNode(label);
    if (!page) return [];
    const place = placeOf(page.labelRule);
    if (place?.kind === 'collection') {
      // The listed records in one read rather than one per child name.
      const store = await this.#store(place.namespace, place.name);
      const out = store ? (await store.list({ offset: 0, limit: MAX_LISTED_RECORDS })).map((r) => recordNode(place.namespace, place.name, r)) : [];
      if (page.childNames.includes(FILES_SEGMENT)) {
        const files = await this.getNode(`${page.labelRule}/${FILES_SEGMENT}`);
        if (files) out.push(files);
      }
      return out;
    }
    const out: TreeNode[] = [];
    for (const name of page.childNames) {
      const node = await this.getNode(absoluteChildName(page.labelRule, name));
      if (node) out.push(node);
    }
    return out;
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    const parsed = parseLabelRule(rule);
    if (parsed.query !== undefined) return this.#search(parsed);
    if (parsed.exact) {
      if (parsed.path === '') return [];
      const node = await this.getNode(parsed.path);
      return node ? [node] : [];
    }
    const out: TreeNode[] = [];
    await this.#walk(parsed, (node) => {
      if (parsed.matches(node.labelRule)) out.push(node);
    });
    return out;
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  async #search(rule: LabelRule): Promise<TreeNode[]> {
    const target = searchTarget(rule.path);
    const query = parseQueryString(rule.query ?? '');
    if (target.namespace !== undefined && target.collection !== undefined) {
      const store = await this.#store(target.namespace, target.collection);
      if (!store) return [];
      const { namespace, collection } = target;
      return (await store.search(query)).map((hit) => recordNode(namespace, collection, hit.record));
    }
    const results = await this.#collector.repo.searchCollections({
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      ...(target.collection !== undefined ? { collectionNames: [target.collection] } : {}),
      query,
    });
    const out: TreeNode[] = [];
    for (const result of results) for (const hit of result.hits) out.push(recordNode(result.namespace, result.collection, hit.record));
    return out;
  }

  /** Visits every node a rule could reach, parents before children, skipping branches it cannot. */
  async #walk(rule: LabelRule | undefined, visit: (node: TreeNode) => void): Promise<void> {
    const reach = (label: string): boolean => rule === undefined || couldReach(rule.path, label);
    const below = (label: string): boolean => rule === undefined || couldReachChildren(rule.path, label);
    const only = rule && literalChild(rule.path, '');
    const namespaces = only !== undefined ? [only] : await this.#collector.repo.namespaces();
    for (const namespace of namespaces) {
      if (!reach(namespace)) continue;
      const infos = await this.#collections(namespace);
      if (infos.length === 0) continue;
      visit(namespaceNode(namespace, infos.map((i) => i.name)));
      if (!below(namespace)) continue;
      for (const info of infos) {
        const label = `${namespace}/${info.name}`;
        if (!reach(label)) continue;
        const store = await this.#store(namespace, info.name);
        if (!store) continue;
        const files = await store.listFiles();
        visit(collectionNode(info, [...(await store.ids('', MAX_LISTED_RECORDS)), ...(files.length > 0 ? [FILES_SEGMENT] : [])]));
        if (!below(label)) continue;
        const id = rule && literalChild(rule.path, label);
        if (id === undefined) {
          await this.#eachRecord(store, (record) => {
            if (reach(`${label}/${record.id}`)) visit(recordNode(namespace, info.name, record));
          });
        } else if (id !== FILES_SEGMENT) {
          const record = await absentIfUnnamable(store.get(id), undefined);
          if (record) visit(recordNode(namespace, info.name, record));
        }
        if (files.length > 0 && reach(`${label}/${FILES_SEGMENT}`)) {
          const paths = files.map((f) => f.path);
          for (const dir of directoriesOf(paths)) if (!paths.includes(dir)) visit(directoryNode(namespace, info.name, dir, directoryChildren(paths, dir)));
          for (const listed of files) {
            if (!reach(fileLabel(namespace, info.name, listed.path))) continue;
            // Listings leave the bytes out; read each file whole.
            const file = await store.getFile(listed.path);
            if (file) visit(fileNode(namespace, info.name, file));
          }
        }
      }
    }
  }

  /** Every record in id order, a page at a time. */
  async #eachRecord(store: CollectionStoreApi, visit: (record: CollectionRecord) => void): Promise<void> {
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.list({ offset, limit: PAGE });
      for (const record of page) visit(record);
      if (page.length < PAGE) return;
    }
  }

  async getFullTree(): Promise<TreeNode[]> {
    const out: TreeNode[] = [];
    await this.#walk(undefined, (node) => out.push(node));
    return out;
  }

  // ---------------------------------------------------------------- writing


  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.#live();
    const states = checkedStates(nodes, this.#maxContentBytes);
    const pending = new Map<string, string>();
    const ops: Op[] = [];
    for (const state of states) ops.push(await planWrite(this.#collector, nodeFromState(state), pending));
    // Runs of record and file writes go together, so the store commits them as one group;
    // collection definitions and registrations run alone, in order, before what follows.
    let run: Op[] = [];
    const flush = async (): Promise<void> => {
      const batch = run;
      run = [];
      const results = await Promise.allSettled(batch.map((op) => applyWrite(this.#collector, op)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    for (const op of ops) {
      if (op.kind === 'record' || op.kind === 'file') {
        run.push(op);
        continue;
      }
      await flush();
      await applyWrite(this.#collector, op);
    }
    await flush();
    return true;
  }

  async deleteNode(label: string): Promise<boolean> {
    this.#live();
    const place = placeOf(normalizeLabel(label));
    if (!place) return false;
    return absentIfUnnamable(this.#delete(place), false);
  }

  async #delete(place: Place): Promise<boolean> {
    const repo = this.#collector.repo;
    switch (place.kind) {
      case 'namespace': {
        // The registry's collections stay; deleting everything (a composite deleting its mount) skips them.
        if (place.namespace === SYSTEM) return false;
        let removed = false;
        for (const info of await this.#collections(place.namespace)) removed = (await repo.deleteCollection(place.namespace, info.name)) || removed;
        return removed;
      }
      case 'collection':
        if (place.namespace === SYSTEM) throw new WwatpError('UNSUPPORTED', `"${SYSTEM}/${place.name}" belongs to the registry and cannot be deleted`);
        return repo.deleteCollection(place.namespace, place.name);
      case 'record': {
        const store = await this.#store(place.namespace, place.name);
        return store ? store.delete(place.id) : false;
      }
      case 'file': {
        const store = await this.#store(place.namespace, place.name);
        if (!store) return false;
        if (place.path !== '' && (await store.deleteFile(place.path))) return true;
        let removed = false;
        for (const file of await store.listFiles(place.path === '' ? undefined : place.path)) {
          if (place.path === '' || file.path.startsWith(`${place.path}/`)) removed = (await store.deleteFile(file.path)) || removed;
        }
        return removed;
      }
    }
  }

  // ---------------------------------------------------------------- transactions

  async openTransactionLayer(_node: TreeNode): Promise<void> {
    throw unsupportedLayers('CollectorBackend');
  }

  async closeTransactionLayers(): Promise<boolean> {
    return true; // No layer can be open, so there is nothing to apply.
  }

  /** Records only, all or nothing (transactions.ts). */
  async applyTransaction(tx: Transaction): Promise<boolean> {
    this.#live();
    return applyRecordTransaction(this.#collector, tx, this.#maxContentBytes);
  }

  // ---------------------------------------------------------------- listeners

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#listeners.register(name, rule, childNotify, callback);
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    const canonical = normalizeLabelOrRoot(label);
    this.#listeners.notify(this, canonical, () => node?.clone());
  }

  async processNotifications(): Promise<void> {
    // The Collector reports each change once it is durable; building the nodes is queued in the feed.
    await this.#feed.delivered();
  }

  #live(): void {
    if (this.#closed) throw new WwatpError('CLOSED', 'this CollectorBackend is closed');
  }
}

/**
 * A label the tree accepts but the Collector cannot name (`a.b` as a collection, `-x` as
 * a record id) holds nothing: reads answer "absent" instead of INVALID_LABEL. Writes
 * still refuse such names.
 */
async function absentIfUnnamable<T>(read: Promise<T>, absent: T): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (WwatpError.is(error, 'INVALID_LABEL')) return absent;
    throw error;
  }
}
