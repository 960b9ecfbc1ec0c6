import type {
  CollectionFile,
  CollectionInfo,
  CollectionRecord,
  CollectionSearchResult,
  CollectionSpec,
  CollectorChange,
  JsonObject,
  RecordInput,
  SearchCollectionsQuery,
  SearchHit,
  SearchQuery,
} from '../types.js';

/**
 * The part of the Collector the tree backend uses, written as an interface so the
 * backend depends on these calls only (the Collector class satisfies it structurally).
 */
export interface CollectionStoreApi {
  get(id: string): Promise<CollectionRecord | undefined>;
  create(input: RecordInput): Promise<CollectionRecord>;
  update(input: RecordInput, priorVersion?: number): Promise<CollectionRecord>;
  upsert(input: RecordInput): Promise<CollectionRecord>;
  delete(id: string): Promise<boolean>;
  /** Records in id order. */
  list(options: { offset?: number; limit?: number }): Promise<CollectionRecord[]>;
  /** Ids in id order after `after` (exclusive). */
  ids(after?: string, limit?: number): Promise<string[]>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  count(): Promise<number>;
  info(): Promise<CollectionInfo>;
  putFile(file: { path: string; data?: Uint8Array; uri?: string }): Promise<CollectionFile>;
  getFile(path: string): Promise<CollectionFile | undefined>;
  /** Files at or under a directory path, without their bytes. */
  listFiles(prefix?: string): Promise<CollectionFile[]>;
  deleteFile(path: string): Promise<boolean>;
}

export interface CollectionRepoApi {
  createCollection(spec: CollectionSpec): Promise<CollectionInfo>;
  updateCollection(spec: CollectionSpec): Promise<CollectionInfo>;
  deleteCollection(namespace: string, name: string): Promise<boolean>;
  describe(namespace: string, name: string): Promise<CollectionInfo | undefined>;
  namespaces(): Promise<string[]>;
  collections(namespace: string): Promise<CollectionInfo[]>;
  collection(namespace: string, name: string): Promise<CollectionStoreApi | undefined>;
  searchCollections(query: SearchCollectionsQuery): Promise<CollectionSearchResult[]>;
}

export interface RegistryApi {
  /** Registers (or replaces) a `.proto` file of a namespace. */
  registerProto(input: { namespace: string; fileName: string; source: string }): Promise<unknown>;
  /** The codec of a registered type; normalize throws TYPE_MISMATCH naming the field a record gets wrong. */
  codec(namespace: string, typeName: string): { normalize(input: { json?: JsonObject }): unknown };
  /** Registers a service defined in a registered file. */
  registerService(input: { namespace: string; name: string }): Promise<unknown>;
}

export interface CollectorApi {
  readonly repo: CollectionRepoApi;
  readonly registry: RegistryApi;
  /** Called after each durable change; returns a function that stops it. */
  onChange(listener: (change: CollectorChange) => void): () => void;
}
