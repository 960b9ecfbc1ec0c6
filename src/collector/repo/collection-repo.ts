import { mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WwatpError } from '../../tree/errors.js';
import { checkCollectionName, checkNamespace, SYSTEM_NAMESPACE } from '../names.js';
import type { Registry } from '../registry/registry.js';
import { CollectionStore } from '../store/collection-store.js';
import { JSON_CODEC, type RecordCodec } from '../store/record-codec.js';
import { checkField } from '../search/field-path.js';
import { compileSearch } from '../search/compile.js';
import {
  SCHEMALESS,
  type CollectionInfo,
  type CollectionSearchResult,
  type CollectionSpec,
  type CollectorChange,
  type DiscoverQuery,
  type DiscoverResult,
  type SearchCollectionsQuery,
} from '../types.js';
import { RepoDb, type CollectionRow } from './repo-db.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_LABELS = 64;
const MAX_INDEXED_FIELDS = 32;

/** The system collections the registry keeps its contents in. */
export const SYSTEM_COLLECTIONS = { protos: 'protos', services: 'services' } as const;

export interface RouteResult {
  /** Empty when this process serves the collection. */
  serverEndpoint: string;
  collection: CollectionInfo;
}

/** What may change about an existing collection (its type may not). */
export type CollectionUpdate = Pick<CollectionSpec, 'namespace' | 'name'> & Partial<Pick<CollectionSpec, 'indexedFields' | 'labels' | 'serverEndpoint' | 'messageType'>>;

export interface CollectionRepoOptions {
  dir: string;
  emit: (change: CollectorChange) => void;
}

function checkIndexedFields(fields: unknown): string[] {
  if (fields === undefined) return [];
  if (!Array.isArray(fields) || fields.length > MAX_INDEXED_FIELDS) throw new WwatpError('INVALID_FILTER', `indexedFields must be an array of at most ${MAX_INDEXED_FIELDS} field names`);
  return [...new Set(fields.map((f) => checkField(f)))];
}

function checkLabels(labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw new WwatpError('INVALID_PROPERTY', 'labels must be an object of strings');
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > MAX_LABELS) throw new WwatpError('INVALID_PROPERTY', `at most ${MAX_LABELS} labels`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length === 0 || k.length > 256 || v.length > 4096) throw new WwatpError('INVALID_PROPERTY', `label ${JSON.stringify(k)} must be a non-empty key with a string value`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkEndpoint(endpoint: unknown): string {
  if (endpoint === undefined) return '';
  if (typeof endpoint !== 'string' || endpoint.length > 1024 || /\s/.test(endpoint)) throw new WwatpError('INVALID_PROPERTY', 'serverEndpoint must be a string without whitespace');
  return endpoint;
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The collection of collections: creates, describes, finds and removes collections, hands
 * out their stores (one SQLite database each, `<dir>/<namespace>/<name>.db`), and
 * searches across several. Descriptions live in `<dir>/repo.db`, so a restart finds
 * every collection again.
 */
export class CollectionRepo {
  readonly #dir: string;
  readonly #db: RepoDb;
  readonly #emit: (change: CollectorChange) => void;
  readonly #stores = new Map<string, CollectionStore>();
  #registry: Registry | undefined;
  #closed = false;

  private constructor(options: CollectionRepoOptions) {
    this.#dir = options.dir;
    this.#emit = options.emit;
    mkdirSync(options.dir, { recursive: true });
    this.#db = new RepoDb(join(options.dir, 'repo.db'));
  }

  /** Opens the repo and makes sure the system collections exist. */
  static open(options: CollectionRepoOptions): CollectionRepo {
    const repo = new CollectionRepo(options);
    const now = Date.now();
    for (const name of Object.values(SYSTEM_COLLECTIONS)) {
      // ifAbsent: another Collector opening the same directory may create them first.
      repo.#db.insert({ namespace: SYSTEM_NAMESPACE, name, messageType: SCHEMALESS, indexedFields: ['namespace'], labels: { system: 'registry' }, serverEndpoint: '' }, now, true);
    }
    return repo;
  }

  /** Typed collections resolve their message types here (set once, by Collector.open). */
  attachRegistry(registry: Registry): void {
    this.#registry = registry;
  }

  /** The store of a system collection, for the registry's own writes. */
  systemStore(name: string): CollectionStore {
    return this.#open(this.#db.get(SYSTEM_NAMESPACE, name) as CollectionRow);
  }

  /**
   * Creates a collection. Creating one that exists with the same message type updates its
   * indexed fields and labels when given (so the call is safe to repeat); with another
   * type it fails with ALREADY_EXISTS.
   */
  async createCollection(spec: CollectionSpec): Promise<CollectionInfo> {
    this.#check();
    const namespace = checkNamespace(spec?.namespace);
    const name = checkCollectionName(spec.name);
    if (namespace === SYSTEM_NAMESPACE) throw new WwatpError('UNSUPPORTED', `namespace ${SYSTEM_NAMESPACE} is reserved for the registry's collections`);
    const messageType = spec.messageType;
    if (typeof messageType !== 'string' || messageType === '') throw new WwatpError('INVALID_PROPERTY', `collection ${namespace}/${name} needs a messageType ('${SCHEMALESS}' or a registered <package>.<Message>)`);
    const indexedFields = checkIndexedFields(spec.indexedFields);
    const labels = checkLabels(spec.labels);
    const serverEndpoint = checkEndpoint(spec.serverEndpoint);
    const existing = this.#db.get(namespace, name);
    if (existing) {
      if (existing.messageType !== messageType) {
        throw new WwatpError('ALREADY_EXISTS', `collection ${namespace}/${name} already exists with message type ${existing.messageType}, not ${messageType}`);
      }
      return this.updateCollection({ namespace, name, ...(spec.indexedFields ? { indexedFields } : {}), ...(spec.labels ? { labels } : {}), ...(spec.serverEndpoint !== undefined ? { serverEndpoint } : {}) });
    }
    if (messageType !== SCHEMALESS) this.#requireRegistry().type(namespace, messageType); // NOT_FOUND when unregistered
    const row = this.#db.insert({ namespace, name, messageType, indexedFields, labels, serverEndpoint }, Date.now());
    let store: CollectionStore;
    try {
      store = this.#open(row);
      store.syncIndexes(indexedFields);
    } catch (error) {
      this.#db.delete(namespace, name);
      throw error;
    }
    const info = { ...row, recordCount: store.countNow() };
    this.#emit({ kind: 'collection', namespace, name, info });
    return info;
  }

  /** Changes indexed fields, labels or endpoint; the message type cannot change (TYPE_MISMATCH). */
  async updateCollection(update: CollectionUpdate): Promise<CollectionInfo> {
    this.#check();
    const namespace = checkNamespace(update?.namespace);
    const name = checkCollectionName(update.name);
    if (namespace === SYSTEM_NAMESPACE) throw new WwatpError('UNSUPPORTED', `collections of namespace ${SYSTEM_NAMESPACE} are maintained by the registry`);
    const row = this.#db.get(namespace, name);
    if (!row) throw new WwatpError('NOT_FOUND', `collection ${namespace}/${name} does not exist`);
    if (update.messageType !== undefined && update.messageType !== row.messageType) {
      throw new WwatpError('TYPE_MISMATCH', `collection ${namespace}/${name} holds ${row.messageType}; its message type cannot change to ${String(update.messageType)}`);
    }
    const next: CollectionRow = {
      ...row,
      indexedFields: update.indexedFields !== undefined ? checkIndexedFields(update.indexedFields) : row.indexedFields,
      labels: update.labels !== undefined ? checkLabels(update.labels) : row.labels,
      serverEndpoint: update.serverEndpoint !== undefined ? checkEndpoint(update.serverEndpoint) : row.serverEndpoint,
    };
    const store = this.#open(row);
    if (sameFields(next.indexedFields, row.indexedFields) && sameLabels(next.labels, row.labels) && next.serverEndpoint === row.serverEndpoint) {
      return { ...row, recordCount: store.countNow() }; // nothing to write, nothing to report
    }
    store.syncIndexes(next.indexedFields);
    next.updatedAt = Date.now();
    next.version = row.version + 1;
    this.#db.update(next);
    const info = { ...next, recordCount: store.countNow() };
    this.#emit({ kind: 'collection', namespace, name, info });
    return info;
  }

  /** Removes a collection with its records and files; false when it did not exist. */
  async deleteCollection(namespace: string, name: string): Promise<boolean> {
    this.#check();
    checkNamespace(namespace);
    checkCollectionName(name);
    if (namespace === SYSTEM_NAMESPACE) throw new WwatpError('UNSUPPORTED', `collections of namespace ${SYSTEM_NAMESPACE} are maintained by the registry`);
    if (!this.#db.get(namespace, name)) return false;
    const key = `${namespace}/${name}`;
    const store = this.#stores.get(key);
    this.#stores.delete(key);
    await store?.close();
    // The row goes first: a crash between the two leaves an orphan file, never a collection without one.
    this.#db.delete(namespace, name);
    const path = this.#pathOf(namespace, name);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    try {
      if (readdirSync(join(this.#dir, namespace)).length === 0) rmdirSync(join(this.#dir, namespace));
    } catch {
      // Another collection appeared meanwhile, or the directory is already gone: both fine.
    }
    this.#emit({ kind: 'collection', namespace, name, info: undefined });
    return true;
  }

  /** The collection's description, or undefined when it does not exist. */
  async describe(namespace: string, name: string): Promise<CollectionInfo | undefined> {
    this.#check();
    const row = this.#db.get(checkNamespace(namespace), checkCollectionName(name));
    return row ? this.#info(row) : undefined;
  }

  async namespaces(): Promise<string[]> {
    this.#check();
    return this.#db.namespaces();
  }

  async collections(namespace: string): Promise<CollectionInfo[]> {
    this.#check();
    return this.#db.all(checkNamespace(namespace)).map((row) => this.#info(row));
  }

  /** The collection's store, or undefined when it does not exist. */
  async collection(namespace: string, name: string): Promise<CollectionStore | undefined> {
    this.#check();
    const row = this.#db.get(checkNamespace(namespace), checkCollectionName(name));
    return row ? this.#open(row) : undefined;
  }

  /** Like collection(), but NOT_FOUND instead of undefined. */
  async requireCollection(namespace: string, name: string): Promise<CollectionStore> {
    const store = await this.collection(namespace, name);
    if (!store) throw new WwatpError('NOT_FOUND', `collection ${namespace}/${name} does not exist`);
    return store;
  }

  /** Collections matching every given criterion, in namespace/name order, a page at a time. */
  async discover(query: DiscoverQuery = {}): Promise<DiscoverResult> {
    this.#check();
    const namespace = query.namespace === undefined || query.namespace === '' ? undefined : checkNamespace(query.namespace);
    const labels = checkLabels(query.labels);
    const pageSize = query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) throw new WwatpError('INVALID_FILTER', `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    const token = query.pageToken ?? '';
    if (token !== '' && !/^[0-9]{1,9}$/.test(token)) throw new WwatpError('MALFORMED', `pageToken ${JSON.stringify(token)} did not come from discover`);
    const offset = token === '' ? 0 : Number(token);
    const matching = this.#db.all(namespace).filter(
      (row) => (query.messageType === undefined || query.messageType === '' || row.messageType === query.messageType) && Object.entries(labels).every(([k, v]) => row.labels[k] === v),
    );
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + page.length;
    return { collections: page.map((row) => this.#info(row)), nextPageToken: next < matching.length ? String(next) : '' };
  }

  /** Where a collection is served: an empty serverEndpoint means here. NOT_FOUND when unknown. */
  async route(namespace: string, name: string): Promise<RouteResult> {
    const info = await this.describe(namespace, name);
    if (!info) throw new WwatpError('NOT_FOUND', `collection ${namespace}/${name} does not exist`);
    return { serverEndpoint: info.serverEndpoint, collection: info };
  }

  /**
   * Runs one search over several collections (those named, or every collection of the
   * namespace, or everywhere) and returns the collections that had hits, each with its
   * hits; limit and offset apply per collection. Collections served elsewhere are skipped.
   */
  async searchCollections(query: SearchCollectionsQuery): Promise<CollectionSearchResult[]> {
    this.#check();
    if (query === null || typeof query !== 'object') throw new WwatpError('INVALID_FILTER', 'searchCollections needs {namespace?, collectionNames?, query}');
    compileSearch(query.query ?? {}); // a bad query fails once, up front, even when no collection matches
    const namespace = query.namespace === undefined || query.namespace === '' ? undefined : checkNamespace(query.namespace);
    const names = query.collectionNames ?? [];
    for (const n of names) checkCollectionName(n);
    const rows = this.#db.all(namespace).filter((row) => (names.length === 0 || names.includes(row.name)) && row.serverEndpoint === '');
    const results: CollectionSearchResult[] = [];
    for (const row of rows) {
      const hits = await this.#open(row).search(query.query ?? {});
      if (hits.length > 0) results.push({ namespace: row.namespace, collection: row.name, hits });
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stores = [...this.#stores.values()];
    this.#stores.clear();
    await Promise.all(stores.map((s) => s.close()));
    this.#db.close();
  }

  #check(): void {
    if (this.#closed) throw new WwatpError('CLOSED', 'the collector is closed');
  }

  #requireRegistry(): Registry {
    if (!this.#registry) throw new WwatpError('INTERNAL', 'the collection repo has no registry attached');
    return this.#registry;
  }

  #pathOf(namespace: string, name: string): string {
    return join(this.#dir, namespace, `${name}.db`);
  }

  #info(row: CollectionRow): CollectionInfo {
    return { ...row, recordCount: this.#open(row).countNow() };
  }

  #open(row: CollectionRow): CollectionStore {
    const key = `${row.namespace}/${row.name}`;
    const cached = this.#stores.get(key);
    if (cached) return cached;
    mkdirSync(join(this.#dir, row.namespace), { recursive: true });
    let codec: RecordCodec | undefined;
    const system = row.namespace === SYSTEM_NAMESPACE;
    const store = CollectionStore.open({
      path: this.#pathOf(row.namespace, row.name),
      namespace: row.namespace,
      name: row.name,
      codec: () => (codec ??= row.messageType === SCHEMALESS ? JSON_CODEC : this.#requireRegistry().codec(row.namespace, row.messageType)),
      // Read fresh each time: updateCollection changes the row after the store is open.
      describe: () => {
        const current = this.#db.get(row.namespace, row.name) ?? row;
        return { ...current };
      },
      emit: this.#emit,
      ...(system ? { readOnlyReason: 'it is maintained by the registry (register protos and services instead)' } : {}),
    });
    if (system) store.syncIndexes(row.indexedFields);
    this.#stores.set(key, store);
    return store;
  }
}
