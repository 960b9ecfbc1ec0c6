import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CollectionInfo, DiscoverQuery } from '../../collector/types.js';
import { WwatpError } from '../../tree/errors.js';
import { unary, unimplementedClientStream, unimplementedServerStream, unimplementedUnary } from './calls.js';
import type { HandlerContext } from './context.js';
import { collectionFromProto, collectionToProto, recordToAny, searchQueryFromStruct } from './convert.js';
import { okStatus } from './status.js';
import { msg, num, str, strList, strMap, type Obj } from './wire.js';

/** Where CollectionService for a collection is reached: its own endpoint, else this server. */
function endpointOf(ctx: HandlerContext, info: CollectionInfo): string {
  return info.serverEndpoint !== '' ? info.serverEndpoint : ctx.endpoint();
}

const NO_TRANSFER = 'copying collections between servers is not offered here; read with List and write with Create or Batch';
const NO_BACKUPS = 'backups are not offered here; the collection is an SQLite file under the data directory';

export function collectionRepoHandlers(ctx: HandlerContext): UntypedServiceImplementation {
  const { repo } = ctx.collector;
  return {
    CreateCollection: unary(async (req) => {
      const collection = msg(req, 'collection');
      if (collection === undefined) throw new WwatpError('MALFORMED', 'collection is required');
      const info = await repo.createCollection(collectionFromProto(collection));
      return { status: okStatus(), collection_id: `${info.namespace}/${info.name}`, server_endpoint: endpointOf(ctx, info) };
    }),

    Discover: unary(async (req) => {
      const query: DiscoverQuery = {};
      const namespace = str(req, 'namespace');
      if (namespace !== '') query.namespace = namespace;
      const labels = strMap(req, 'label_filter');
      if (Object.keys(labels).length > 0) query.labels = labels;
      const typeFilter = msg(req, 'message_type_filter');
      const messageType = typeFilter === undefined ? '' : str(typeFilter, 'message_name');
      if (messageType !== '') query.messageType = messageType;
      const pageSize = num(req, 'page_size');
      if (pageSize < 0) throw new WwatpError('MALFORMED', 'page_size must not be negative');
      if (pageSize > 0) query.pageSize = pageSize;
      const pageToken = str(req, 'page_token');
      if (pageToken !== '') query.pageToken = pageToken;
      const found = await repo.discover(query);
      return {
        status: okStatus(),
        collections: found.collections.map((c) => collectionToProto(c)),
        next_page_token: found.nextPageToken,
      };
    }),

    Route: unary(async (req) => {
      const target = msg(req, 'collection');
      const namespace = target === undefined ? '' : str(target, 'namespace');
      const name = target === undefined ? '' : str(target, 'name');
      if (namespace === '' || name === '') throw new WwatpError('MALFORMED', 'collection.namespace and collection.name are required');
      const info = await repo.describe(namespace, name);
      if (info === undefined) throw new WwatpError('NOT_FOUND', `collection ${namespace}/${name} not found`);
      return { status: okStatus(), server_endpoint: endpointOf(ctx, info), collection: collectionToProto(info) };
    }),

    SearchCollections: unary(async (req) => {
      const json = ctx.wk.structToJson(msg(req, 'query'), 'query');
      const orderBy = str(req, 'order_by');
      const query = searchQueryFromStruct(orderBy === '' ? json : { ...json, order_by: orderBy });
      const limit = num(req, 'limit');
      if (limit < 0) throw new WwatpError('INVALID_FILTER', 'limit must not be negative');
      if (limit > 0) query.limit = limit;
      const namespace = str(req, 'namespace');
      const collectionNames = strList(req, 'collection_names');
      const found = await repo.searchCollections({
        ...(namespace !== '' ? { namespace } : {}),
        collectionNames,
        query,
      });
      let total = 0;
      const results: Obj[] = found.map((r) => {
        total += r.hits.length;
        const scores: Record<string, number> = {};
        for (const h of r.hits) if (h.score !== undefined) scores[h.record.id] = h.score;
        return {
          // Without a namespace in the request, results may span namespaces: name them fully.
          collection_name: namespace !== '' ? r.collection : `${r.namespace}/${r.collection}`,
          items: r.hits.map((h) => recordToAny(h.record, ctx.wk)),
          scores,
        };
      });
      return { status: okStatus(), results, total_matches: total };
    }),

    Clone: unimplementedUnary(`Clone: ${NO_TRANSFER}`),
    Fetch: unimplementedUnary(`Fetch: ${NO_TRANSFER}`),
    PushCollection: unimplementedClientStream(`PushCollection: ${NO_TRANSFER}`),
    PullCollection: unimplementedServerStream(`PullCollection: ${NO_TRANSFER}`),
    BackupCollection: unimplementedUnary(`BackupCollection: ${NO_BACKUPS}`),
    ListBackups: unimplementedUnary(`ListBackups: ${NO_BACKUPS}`),
    RestoreBackup: unimplementedUnary(`RestoreBackup: ${NO_BACKUPS}`),
    DeleteBackup: unimplementedUnary(`DeleteBackup: ${NO_BACKUPS}`),
    VerifyBackup: unimplementedUnary(`VerifyBackup: ${NO_BACKUPS}`),
  };
}
