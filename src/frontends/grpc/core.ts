import type {
  CollectionInfo,
  CollectionRecord,
  CollectionSearchResult,
  CollectionSpec,
  DiscoverQuery,
  DiscoverResult,
  JsonObject,
  RecordInput,
  SearchCollectionsQuery,
  SearchHit,
  SearchQuery,
} from '../../collector/types.js';

/**
 * The calls the gRPC frontend makes on the Collector, written out so the frontend
 * depends on these only; the Collector satisfies them structurally.
 */
export interface GrpcRecordStore {
  get(id: string): Promise<CollectionRecord | undefined>;
  create(input: RecordInput): Promise<CollectionRecord>;
  update(input: RecordInput, priorVersion?: number): Promise<CollectionRecord>;
  delete(id: string): Promise<boolean>;
  list(options: { offset?: number; limit?: number }): Promise<CollectionRecord[]>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  count(): Promise<number>;
  info(): Promise<CollectionInfo>;
}

export interface GrpcRepo {
  createCollection(spec: CollectionSpec): Promise<CollectionInfo>;
  /** Changes what is given (here: indexed fields) and leaves the rest. */
  updateCollection(update: { namespace: string; name: string; indexedFields?: readonly string[] }): Promise<CollectionInfo>;
  describe(namespace: string, name: string): Promise<CollectionInfo | undefined>;
  collection(namespace: string, name: string): Promise<GrpcRecordStore | undefined>;
  discover(query: DiscoverQuery): Promise<DiscoverResult>;
  searchCollections(query: SearchCollectionsQuery): Promise<CollectionSearchResult[]>;
}

export interface GrpcCollector {
  readonly repo: GrpcRepo;
  readonly registry: GrpcRegistry;
  /** The data directory (`<namespace>/<collection>.db` inside); Describe sizes collections with it. */
  readonly dir?: string;
}

export interface GrpcMethodInfo {
  name: string;
  inputType: string;
  outputType: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

/** A service as the registry reports it. */
export interface GrpcServiceInfo {
  namespace: string;
  /** Fully qualified (`<package>.<Service>`). */
  name: string;
  methods: readonly GrpcMethodInfo[];
}

export interface GrpcRegistry {
  /** Registers (or replaces) the types of a serialized FileDescriptorSet under a namespace. */
  registerDescriptorSet(input: { namespace: string; fileName: string; descriptorSet: Uint8Array }): Promise<{ messages: string[]; services: string[] }>;
  /** Makes a service of a registered file known to the lookups. */
  registerService(input: { namespace: string; name: string }): Promise<GrpcServiceInfo>;
  lookupService(namespace: string, name: string): GrpcServiceInfo | undefined;
  listServices(namespace?: string): GrpcServiceInfo[];
  /** The method, or NOT_FOUND naming what is missing. */
  validateMethod(namespace: string, service: string, method: string): GrpcMethodInfo;
  /** Fully qualified message names registered in a namespace. */
  messageTypes(namespace: string): string[];
  /** Protobuf bytes of a registered type as JSON. */
  decode(namespace: string, typeName: string, bytes: Uint8Array): JsonObject;
}
