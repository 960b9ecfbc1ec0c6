import { hostname } from 'node:os';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { WwatpError } from '../../tree/errors.js';
import { collectionRepoHandlers } from './collection-repo.js';
import { collectionServiceHandlers } from './collection-service.js';
import type { HandlerContext } from './context.js';
import type { GrpcCollector } from './core.js';
import { loadCollectorRoot, packageVersion, serviceDefinition } from './proto.js';
import { registryHandlers } from './registry-service.js';
import { WellKnown } from './well-known.js';

export interface StartGrpcServerOptions {
  collector: GrpcCollector;
  /** 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `host:port` Route and CreateCollection report for collections served here; defaults to the bound address. */
  advertisedEndpoint?: string;
  /** Default: plaintext (gRPC's insecure credentials). */
  credentials?: ServerCredentials;
  /** Largest request or response message, in bytes (default 32 MiB: records may reach 16 MiB). */
  maxMessageBytes?: number;
}

export interface GrpcServer {
  readonly port: number;
  /** The address Route hands out for collections this server holds. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const CLOSE_GRACE_MS = 2000;

function bindAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Serves collector.CollectionService, collector.CollectionRepo and
 * collector.CollectorRegistry over gRPC (HTTP/2 on TCP) for the given Collector.
 */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<GrpcServer> {
  const host = options.host ?? '127.0.0.1';
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const root = loadCollectorRoot();
  let endpoint = options.advertisedEndpoint ?? '';
  const ctx: HandlerContext = {
    collector: options.collector,
    wk: new WellKnown(root),
    endpoint: () => endpoint,
    version: packageVersion(),
  };
  const server = new Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
  server.addService(serviceDefinition(root, 'collector.CollectionService'), collectionServiceHandlers(ctx));
  server.addService(serviceDefinition(root, 'collector.CollectionRepo'), collectionRepoHandlers(ctx));
  server.addService(serviceDefinition(root, 'collector.CollectorRegistry'), registryHandlers(ctx, root));

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindAddress(host, options.port ?? 0), options.credentials ?? ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(new WwatpError('UNAVAILABLE', `gRPC server could not listen on ${host}:${options.port ?? 0}: ${error.message}`, { cause: error }));
      else resolve(bound);
    });
  });
  if (endpoint === '') {
    // A wildcard address is no place to dial; name the machine instead.
    const shown = host === '0.0.0.0' || host === '::' ? hostname() : host;
    endpoint = bindAddress(shown, port);
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    endpoint,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, CLOSE_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
