import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Metadata, UntypedServiceImplementation } from '@grpc/grpc-js';
import { MAX_LIMIT } from '../../collector/search/compile.js';
import type { CollectionRecord, JsonObject, SearchQuery } from '../../collector/types.js';
import type { GrpcRecordStore } from './core.js';
import { WwatpError } from '../../tree/errors.js';
import { unary, unimplementedUnary } from './calls.js';
import { storeOf, targetOf, type HandlerContext, type Target } from './context.js';
import {
  applyMask,
  collectionToProto,
  offsetOfToken,
  pageToken,
  recordInputFromAny,
  recordToAny,
  searchQueryFromRequest,
  searchQueryFromStruct,
} from './convert.js';
import { errorStatus, okStatus } from './status.js';
import { msg, msgList, num, str, strList, type Obj } from './wire.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

function requireId(req: Obj): string {
  const id = str(req, 'id');
  if (id === '') throw new WwatpError('MALFORMED', 'id is required');
  return id;
}

function notFound(target: Target, id: string): WwatpError {
  return new WwatpError('NOT_FOUND', `record ${id} not found in ${target.namespace}/${target.name}`);
}

/**
 * A collection's message type never changes (the core refuses), and a collection
 * deleted and made again gets a new store object: so the type is kept per store,
 * sparing each write a describe (which counts the records).
 */
const typeOfStore = new WeakMap<GrpcRecordStore, string>();

async function messageTypeOf(store: GrpcRecordStore): Promise<string> {
  let type = typeOfStore.get(store);
  if (type === undefined) {
    type = (await store.info()).messageType;
    typeOfStore.set(store, type);
  }
  return type;
}

export function createOp(ctx: HandlerContext) {
  return async (req: Obj, metadata?: Metadata): Promise<Obj> => {
    const target = targetOf(req, metadata);
    const store = await storeOf(ctx, target);
    const messageType = await messageTypeOf(store);
    const id = str(req, 'id') || randomUUID();
    const record = await store.create(recordInputFromAny(msg(req, 'item'), id, messageType, ctx.wk));
    return { status: okStatus(), id: record.id };
  };
}

export function updateOp(ctx: HandlerContext) {
  return async (req: Obj, metadata?: Metadata): Promise<Obj> => {
    const target = targetOf(req, metadata);
    const store = await storeOf(ctx, target);
    const messageType = await messageTypeOf(store);
    const id = requireId(req);
    const input = recordInputFromAny(msg(req, 'item'), id, messageType, ctx.wk);
    const mask = strList(req, 'update_mask');
    if (mask.length === 0) {
      await store.update(input);
      return { status: okStatus() };
    }
    // A masked update merges JSON; the prior version guards against a concurrent writer.
    const prior = await store.get(id);
    if (prior === undefined) throw notFound(target, id);
    const incoming = input.json ?? decodeIncoming(ctx, target, messageType, input.protoData);
    await store.update({ id, json: applyMask(prior.json, incoming, mask) }, prior.version);
    return { status: okStatus() };
  };
}

function decodeIncoming(ctx: HandlerContext, target: Target, messageType: string, data: Uint8Array | undefined): JsonObject {
  if (data === undefined) throw new WwatpError('MALFORMED', 'item is required');
  return ctx.collector.registry.decode(target.namespace, messageType, data);
}

export function deleteOp(ctx: HandlerContext) {
  return async (req: Obj, metadata?: Metadata): Promise<Obj> => {
    const target = targetOf(req, metadata);
    const store = await storeOf(ctx, target);
    const id = requireId(req);
    if (!(await store.delete(id))) throw notFound(target, id);
    return { status: okStatus() };
  };
}

/** Bytes of the collection's SQLite files (database, WAL, shared memory); 0 when unknown. */
function storageBytes(ctx: HandlerContext, target: Target): number {
  const dir = ctx.collector.dir;
  if (typeof dir !== 'string') return 0;
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(join(dir, target.namespace, `${target.name}.db${suffix}`)).size;
    } catch {
      // Absent (no WAL yet) or elsewhere: counts as nothing.
    }
  }
  return total;
}

const BATCH_KINDS = ['create', 'update', 'delete'] as const;

export function collectionServiceHandlers(ctx: HandlerContext): UntypedServiceImplementation {
  const { wk } = ctx;
  const ops = { create: createOp(ctx), update: updateOp(ctx), delete: deleteOp(ctx) };

  return {
    Create: unary(ops.create),
    Update: unary(ops.update),
    Delete: unary(ops.delete),

    Get: unary(async (req, metadata) => {
      const target = targetOf(req, metadata);
      const store = await storeOf(ctx, target);
      const id = requireId(req);
      const record = await store.get(id);
      if (record === undefined) throw notFound(target, id);
      return { status: okStatus(), item: recordToAny(record, wk) };
    }),

    List: unary(async (req, metadata) => {
      const store = await storeOf(ctx, targetOf(req, metadata));
      const pageSize = Math.min(Math.max(num(req, 'page_size'), 0) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const offset = offsetOfToken(str(req, 'page_token'));
      const filter = wk.structToJson(msg(req, 'filter'), 'filter');
      const orderBy = str(req, 'order_by');
      let records: CollectionRecord[];
      let query: SearchQuery | undefined;
      if (Object.keys(filter).length === 0 && orderBy === '') {
        records = await store.list({ offset, limit: pageSize + 1 });
      } else {
        query = searchQueryFromStruct(orderBy === '' ? filter : { ...filter, order_by: orderBy });
        // One extra record tells whether another page follows.
        records = (await store.search({ ...query, offset, limit: pageSize + 1 })).map((h) => h.record);
      }
      const more = records.length > pageSize;
      const page = records.slice(0, pageSize);
      let total = offset + page.length;
      if (query === undefined) total = await store.count();
      // Counted by a second search, capped at the most one search returns.
      else if (more) total = (await store.search({ ...query, offset: 0, limit: MAX_LIMIT })).length;
      return {
        status: okStatus(),
        items: page.map((r) => recordToAny(r, wk)),
        next_page_token: more ? pageToken(offset + pageSize) : '',
        total_count: total,
      };
    }),

    Search: unary(async (req, metadata) => {
      const store = await storeOf(ctx, targetOf(req, metadata));
      const hits = await store.search(searchQueryFromRequest(req, wk));
      return {
        status: okStatus(),
        results: hits.map((h) => ({ item: recordToAny(h.record, wk), score: h.score ?? 0, distance: 0 })),
        total_count: hits.length,
      };
    }),

    // Operations run in order, each on its own (not one transaction): a failure is
    // reported in its ResponseOp and the rest still run, as the earlier server did.
    Batch: unary(async (req, metadata) => {
      const namespace = str(req, 'namespace');
      const collection = str(req, 'collection_name');
      const responses: Obj[] = [];
      let failed = 0;
      let first: Obj | undefined;
      for (const o of msgList(req, 'operations')) {
        try {
          const kind = BATCH_KINDS.find((k) => o[k] !== undefined && o[k] !== null);
          if (kind === undefined) throw new WwatpError('MALFORMED', 'a batch operation needs create, update or delete');
          const sub = msg(o, kind) ?? {};
          const inner = {
            ...sub,
            namespace: str(sub, 'namespace') || namespace,
            collection_name: str(sub, 'collection_name') || collection,
          };
          const response = await ops[kind](inner, metadata);
          responses.push({ status: okStatus(), [kind]: response });
        } catch (error) {
          const status = errorStatus(error);
          failed++;
          first ??= status;
          responses.push({ status });
        }
      }
      const status =
        first === undefined
          ? okStatus()
          : { ...first, message: `${failed} of ${responses.length} operations failed; first: ${String(first.message)}` };
      return { status, responses };
    }),

    Describe: unary(async (req, metadata) => {
      const target = targetOf(req, metadata);
      const info = await ctx.collector.repo.describe(target.namespace, target.name);
      if (info === undefined) throw new WwatpError('NOT_FOUND', `collection ${target.namespace}/${target.name} not found`);
      return {
        status: okStatus(),
        collection_definition: collectionToProto(info),
        record_count: info.recordCount,
        storage_size_bytes: storageBytes(ctx, target),
      };
    }),

    Modify: unary(async (req, metadata) => {
      const target = targetOf(req, metadata);
      const info = await ctx.collector.repo.describe(target.namespace, target.name);
      if (info === undefined) throw new WwatpError('NOT_FOUND', `collection ${target.namespace}/${target.name} not found`);
      await ctx.collector.repo.updateCollection({ namespace: info.namespace, name: info.name, indexedFields: strList(req, 'indexed_fields') });
      return { status: okStatus() };
    }),

    Meta: unary(async () => ({ status: okStatus(), server_version: ctx.version })),

    Invoke: unimplementedUnary('Invoke: this server runs no custom collection methods'),
  };
}
