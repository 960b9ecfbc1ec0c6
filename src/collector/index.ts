/** The Collector's public API: collections, search, registry and repo (see collector.ts). */
export { Collector, type CollectorOptions } from './collector.js';
export { CollectionRepo, SYSTEM_COLLECTIONS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type RouteResult, type CollectionUpdate } from './repo/collection-repo.js';
export { CollectionStore, MAX_RECORD_BYTES, MAX_FILE_BYTES, type ListOptions, type FileInput } from './store/collection-store.js';
export { JSON_CODEC, type RecordCodec } from './store/record-codec.js';
export { Registry, registryId, type RegisteredFile, type ServiceInfo, type MethodInfo } from './registry/registry.js';
export { TO_JSON_OPTIONS } from './registry/proto-json.js';
export { compileSearch, DEFAULT_LIMIT, MAX_LIMIT, type CompiledSearch } from './search/compile.js';
export { checkField, jsonPath } from './search/field-path.js';
export { checkNamespace, checkCollectionName, checkRecordId, checkFilePath, SYSTEM_NAMESPACE } from './names.js';
export * from './types.js';
