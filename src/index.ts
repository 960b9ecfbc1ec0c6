/**
 * wwatp — the World Wide Anthropomorphic Tree Protocol: a tree of versioned nodes that
 * people, programs and agents browse, watch and write. This is the package root.
 */
export * from './tree/index.js';
export * from './backends/index.js';
export { YamlMediator, FileDocument, NodeDocument, type YamlDocument, type YamlMediatorOptions, type YamlFileOptions } from './frontends/yaml-mediator/index.js';
// The WebSocket tunnel (docs/PROTOCOL.md §2.1, docs/BROWSER-CLIENT.md): a client for networks without UDP.
export { connectWebSocket, openWebSocketStreams, tunnelUrl, type WebSocketConnectOptions } from './frontends/client/websocket.js';
export { WWATP_INFO_PATH, WWATP_WS_PATH, type WwatpInfo } from './transport/wwatp/ws-mux.js';
// The server and the QUIC client (docs/PROTOCOL.md).
export { startServer, type StartServerOptions, type WwatpServer } from './frontends/server/start-server.js';
export { connect, parseServerUrl, type ConnectOptions } from './frontends/client/connect.js';
export { Http3ClientBackend, type Http3ClientBackendOptions } from './backends/http3-client/http3-client-backend.js';
// The Collector (docs/COLLECTOR.md): typed collections with search, the protobuf registry and
// the repo; as a tree Backend; and the composite `wwatp serve` serves (collector at /collector).
export { Collector, CollectionRepo, CollectionStore, Registry, SYSTEM_NAMESPACE, SCHEMALESS, FILTER_OPERATORS } from './collector/index.js';
// JsonValue is the tree's own (the same shape), exported above.
export type {
  CollectorOptions, CollectionUpdate, RouteResult, ListOptions, FileInput, RegisteredFile, ServiceInfo, MethodInfo, MessageTypeName, CollectionSpec,
  CollectionInfo, JsonObject, CollectionRecord, RecordInput, FilterOperator, SearchFilter, SearchOrder, SearchQuery, SearchHit, DiscoverQuery,
  DiscoverResult, SearchCollectionsQuery, CollectionSearchResult, CollectionFile, CollectorChange,
} from './collector/index.js';
export { CollectorBackend, type CollectorBackendOptions } from './collector/tree/collector-backend.js';
export { parseQueryString } from './collector/tree/query-string.js';
export { createDefaultBackend, COLLECTOR_MOUNT, type DefaultBackend, type DefaultBackendOptions } from './frontends/config/default-backend.js';
// The Collector's gRPC services (docs/GRPC.md), wire-compatible with the earlier Go Collector.
export { startGrpcServer, type GrpcServer, type StartGrpcServerOptions } from './frontends/grpc/index.js';
