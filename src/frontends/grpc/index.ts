/**
 * The Collector's gRPC frontend: collector.CollectionService, collector.CollectionRepo
 * and collector.CollectorRegistry, wire-compatible with the earlier Go Collector.
 * See docs/GRPC.md.
 */
export { startGrpcServer, type GrpcServer, type StartGrpcServerOptions } from './server.js';
export type { GrpcCollector, GrpcRecordStore, GrpcRepo, GrpcRegistry, GrpcServiceInfo, GrpcMethodInfo } from './core.js';
export { PROTO_FILES, protoDir } from './proto.js';
export { grpcCodeFor, WWATP_CODE_KEY } from './status.js';
export { NAMESPACE_KEY, COLLECTION_KEY } from './context.js';
