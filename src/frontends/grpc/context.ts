import type { Metadata } from '@grpc/grpc-js';
import { WwatpError } from '../../tree/errors.js';
import type { GrpcCollector, GrpcRecordStore } from './core.js';
import type { WellKnown } from './well-known.js';
import { str, type Obj } from './wire.js';

/** What every handler needs: the Collector, the well-known-type codec and this server's address. */
export interface HandlerContext {
  collector: GrpcCollector;
  wk: WellKnown;
  /** `host:port` clients reach this server at; Route answers it for collections served here. */
  endpoint(): string;
  version: string;
}

/**
 * Metadata keys naming the collection when a request leaves namespace/collection_name
 * empty: a client that dials Route's server_endpoint may address the collection there.
 */
export const NAMESPACE_KEY = 'collector-namespace';
export const COLLECTION_KEY = 'collector-collection';

function fromMetadata(metadata: Metadata | undefined, key: string): string {
  const v = metadata?.get(key)[0];
  return typeof v === 'string' ? v : '';
}

export interface Target {
  namespace: string;
  name: string;
}

export function targetOf(req: Obj, metadata?: Metadata): Target {
  const namespace = str(req, 'namespace') || fromMetadata(metadata, NAMESPACE_KEY);
  const name = str(req, 'collection_name') || fromMetadata(metadata, COLLECTION_KEY);
  if (namespace === '' || name === '') {
    throw new WwatpError('MALFORMED', 'namespace and collection_name are required (or the collector-namespace / collector-collection metadata)');
  }
  return { namespace, name };
}

export async function storeOf(ctx: HandlerContext, target: Target): Promise<GrpcRecordStore> {
  const store = await ctx.collector.repo.collection(target.namespace, target.name);
  if (store === undefined) throw new WwatpError('NOT_FOUND', `collection ${target.namespace}/${target.name} not found`);
  return store;
}
