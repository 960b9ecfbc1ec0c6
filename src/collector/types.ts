/**
 * The Collector's data model as plain values: what a collection, a record, a search
 * and a change look like to every caller (the tree backend, the gRPC frontend, the
 * CLI and tests). Storage, search, registry and repo implement these shapes.
 */

/** `json` for a schemaless collection, otherwise a registered `<package>.<Message>`. */
export type MessageTypeName = string;

export const SCHEMALESS = 'json';

export interface CollectionSpec {
  namespace: string;
  name: string;
  messageType: MessageTypeName;
  /** Dotted JSON field paths given an SQLite expression index. */
  indexedFields?: readonly string[];
  /** Free-form labels used by Discover. */
  labels?: Readonly<Record<string, string>>;
  /** Where a separate server serves it; empty when this process does. */
  serverEndpoint?: string;
}

export interface CollectionInfo {
  namespace: string;
  name: string;
  messageType: MessageTypeName;
  indexedFields: readonly string[];
  labels: Readonly<Record<string, string>>;
  serverEndpoint: string;
  recordCount: number;
  /** Unix milliseconds. */
  createdAt: number;
  updatedAt: number;
  /** Bumped on every change to the collection's description (not its records). */
  version: number;
}

/** A JSON object: what a record holds, in protobuf's JSON mapping when typed. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface CollectionRecord {
  id: string;
  /** The collection's message type (`json` when schemaless). */
  type: MessageTypeName;
  json: JsonObject;
  /** Protobuf bytes of the record (the JSON encoded as UTF-8 when schemaless). */
  protoData: Uint8Array;
  dataUri: string;
  /** Per-record version, starts at 1 and grows with each update. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** What a caller writes: the JSON form, or protobuf bytes for a typed collection. */
export interface RecordInput {
  id: string;
  json?: JsonObject;
  protoData?: Uint8Array;
  dataUri?: string;
  /** Stored as given (the tree backend passes the node's version); otherwise prior + 1. */
  version?: number;
}

export const FILTER_OPERATORS = [
  'EQUALS',
  'NOT_EQUALS',
  'GREATER_THAN',
  'LESS_THAN',
  'GREATER_EQUAL',
  'LESS_EQUAL',
  'CONTAINS',
  'IN',
  'EXISTS',
  'NOT_EXISTS',
] as const;

export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface SearchFilter {
  /** Dotted path into the record's JSON (`author.name`). */
  field: string;
  operator: FilterOperator;
  /** Absent for EXISTS / NOT_EXISTS; an array for IN. */
  value?: JsonValue;
}

export interface SearchOrder {
  field: string;
  ascending: boolean;
}

export interface SearchQuery {
  filters?: readonly SearchFilter[];
  /** FTS5 full-text query over the record's text. */
  fullText?: string;
  orderBy?: readonly SearchOrder[];
  limit?: number;
  offset?: number;
}

export interface SearchHit {
  record: CollectionRecord;
  /** bm25 rank when full text was used (lower is better, as SQLite reports it). */
  score?: number;
}

export interface DiscoverQuery {
  namespace?: string;
  labels?: Readonly<Record<string, string>>;
  messageType?: MessageTypeName;
  pageSize?: number;
  pageToken?: string;
}

export interface DiscoverResult {
  collections: CollectionInfo[];
  nextPageToken: string;
}

export interface SearchCollectionsQuery {
  namespace?: string;
  /** Empty means every collection in the namespace (or everywhere). */
  collectionNames?: readonly string[];
  query: SearchQuery;
}

export interface CollectionSearchResult {
  namespace: string;
  collection: string;
  hits: SearchHit[];
}

/** A file under a collection (CollectionData): bytes, or a URI to them. */
export interface CollectionFile {
  path: string;
  data?: Uint8Array;
  uri?: string;
  /** Byte length of stored data (absent for a URI); listFiles reports it without the bytes. */
  size?: number;
  updatedAt: number;
}

/** One change, reported after it is durable; the tree backend turns it into notifications. */
export type CollectorChange =
  | { kind: 'collection'; namespace: string; name: string; info: CollectionInfo | undefined }
  | { kind: 'record'; namespace: string; collection: string; id: string; record: CollectionRecord | undefined }
  | { kind: 'file'; namespace: string; collection: string; path: string; file: CollectionFile | undefined };
