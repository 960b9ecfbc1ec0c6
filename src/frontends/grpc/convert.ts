import {
  FILTER_OPERATORS,
  SCHEMALESS,
  type CollectionInfo,
  type CollectionRecord,
  type CollectionSpec,
  type FilterOperator,
  type JsonObject,
  type JsonValue,
  type RecordInput,
  type SearchFilter,
  type SearchOrder,
  type SearchQuery,
} from '../../collector/types.js';
import { WwatpError } from '../../tree/errors.js';
import { timestamp, type WellKnown } from './well-known.js';
import { bool, bytes, isObj, msg, msgMap, num, str, strList, strMap, type Obj } from './wire.js';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';
export const STRUCT_TYPE = 'google.protobuf.Struct';

/** The message type an Any names: whatever follows the last '/' of its type_url. */
export function typeNameOfUrl(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

// ---- collections ---------------------------------------------------------

export function collectionToProto(info: CollectionInfo): Obj {
  return {
    namespace: info.namespace,
    name: info.name,
    message_type: { namespace: info.namespace, message_name: info.messageType },
    indexed_fields: [...info.indexedFields],
    server_endpoint: info.serverEndpoint,
    metadata: { created_at: timestamp(info.createdAt), updated_at: timestamp(info.updatedAt), labels: { ...info.labels } },
  };
}

/** A Collection message as a spec; no message type (or `json`) means schemaless. */
export function collectionFromProto(c: Obj): CollectionSpec {
  const type = msg(c, 'message_type');
  const messageType = type === undefined ? '' : str(type, 'message_name');
  const metadata = msg(c, 'metadata');
  return {
    namespace: str(c, 'namespace'),
    name: str(c, 'name'),
    messageType: messageType === '' ? SCHEMALESS : messageType,
    indexedFields: strList(c, 'indexed_fields'),
    labels: metadata === undefined ? {} : strMap(metadata, 'labels'),
    serverEndpoint: str(c, 'server_endpoint'),
  };
}

// ---- records -------------------------------------------------------------

/**
 * An Any from a client as a record to write. Bytes of the collection's own type go in
 * as protoData; a google.protobuf.Struct goes in as JSON (the core checks it against
 * the type and names the field that does not fit). A schemaless collection takes a
 * Struct or UTF-8 JSON bytes.
 */
export function recordInputFromAny(item: Obj | undefined, id: string, messageType: string, wk: WellKnown): RecordInput {
  if (item === undefined) throw new WwatpError('MALFORMED', 'item is required');
  const typeUrl = str(item, 'type_url');
  const value = bytes(item, 'value');
  const named = typeNameOfUrl(typeUrl);
  if (named === STRUCT_TYPE) return { id, json: wk.decodeStruct(value) };
  if (messageType === SCHEMALESS) {
    if (named !== '' && named !== SCHEMALESS) {
      throw new WwatpError('TYPE_MISMATCH', `item is a ${named}; this collection is schemaless: send a ${STRUCT_TYPE} or JSON bytes`);
    }
    return { id, json: parseJsonObject(value) };
  }
  if (named !== '' && named !== messageType) {
    throw new WwatpError('TYPE_MISMATCH', `item is a ${named}; this collection holds ${messageType}`);
  }
  return { id, protoData: value };
}

function parseJsonObject(value: Uint8Array): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch (error) {
    throw new WwatpError('TYPE_MISMATCH', `item is not JSON: ${(error as Error).message}`);
  }
  if (!isObj(parsed)) throw new WwatpError('TYPE_MISMATCH', 'item must be a JSON object');
  return parsed as JsonObject;
}

/** A stored record as an Any: its protobuf bytes, or a Struct for a schemaless record. */
export function recordToAny(record: CollectionRecord, wk: WellKnown): Obj {
  if (record.type === SCHEMALESS) return { type_url: TYPE_URL_PREFIX + STRUCT_TYPE, value: wk.encodeStruct(record.json) };
  return { type_url: TYPE_URL_PREFIX + record.type, value: record.protoData };
}

export function recordToProto(record: CollectionRecord): Obj {
  return {
    id: record.id,
    proto_data: record.protoData,
    data_uri: record.dataUri,
    metadata: { created_at: timestamp(record.createdAt), updated_at: timestamp(record.updatedAt), labels: {} },
  };
}

/** Copies the dotted paths of `mask` from `source` into a copy of `target`; a path absent from source is removed. */
export function applyMask(target: JsonObject, source: JsonObject, mask: readonly string[]): JsonObject {
  const out = structuredClone(target);
  for (const path of mask) {
    const parts = path.split('.');
    if (parts.some((p) => p === '')) throw new WwatpError('MALFORMED', `update_mask path ${JSON.stringify(path)} is not a dotted field path`);
    let from: JsonValue | undefined = source;
    for (const p of parts) from = isObj(from) ? (from as JsonObject)[p] : undefined;
    let into: JsonObject = out;
    for (const p of parts.slice(0, -1)) {
      const next = into[p];
      if (!isObj(next)) {
        if (from === undefined) break;
        into[p] = {};
      }
      into = into[p] as JsonObject;
    }
    const last = parts[parts.length - 1] as string;
    if (from === undefined) delete into[last];
    else into[last] = structuredClone(from);
  }
  return out;
}

// ---- search --------------------------------------------------------------

function operatorOf(name: unknown, where: string): FilterOperator {
  const text = typeof name === 'string' ? name.toUpperCase().replace(/^OP_/, '') : '';
  const found = FILTER_OPERATORS.find((op) => op === text);
  if (found === undefined) throw new WwatpError('INVALID_FILTER', `${where}: unknown operator ${JSON.stringify(name)}`);
  return found;
}

function filterOf(field: string, operator: FilterOperator, value: JsonValue | undefined): SearchFilter {
  if (field === '') throw new WwatpError('INVALID_FILTER', 'a filter needs a field name');
  if (operator === 'EXISTS' || operator === 'NOT_EXISTS') return { field, operator };
  // IN takes a list; a single value is a list of one.
  if (operator === 'IN') return { field, operator, value: Array.isArray(value) ? value : [value ?? null] };
  return { field, operator, value: value ?? null };
}

function orderOf(orderBy: string, ascending: boolean): SearchOrder[] {
  return orderBy
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => ({ field: f, ascending }));
}

function count(value: number, what: string): number | undefined {
  if (value < 0 || !Number.isInteger(value)) throw new WwatpError('INVALID_FILTER', `${what} must be a non-negative integer`);
  return value === 0 ? undefined : value;
}

/** CollectionService.Search's request as a SearchQuery. */
export function searchQueryFromRequest(req: Obj, wk: WellKnown): SearchQuery {
  if (Object.keys(strMap(req, 'label_filters')).length > 0) {
    throw new WwatpError('UNSUPPORTED', 'label_filters: records here carry no labels; filter on record fields instead');
  }
  if (Array.isArray(req.vector) && req.vector.length > 0) {
    throw new WwatpError('UNSUPPORTED', 'vector search is not available on this server');
  }
  const filters: SearchFilter[] = [];
  for (const [field, f] of Object.entries(msgMap(req, 'filters'))) {
    const operator = operatorOf(f.operator ?? 'OP_EQUALS', `filter on ${field}`);
    const value = f.value === undefined || f.value === null ? undefined : wk.valueToJson(f.value, `filters.${field}.value`);
    filters.push(filterOf(field, operator, value));
  }
  const query: SearchQuery = { filters };
  const fullText = str(req, 'full_text');
  if (fullText !== '') query.fullText = fullText;
  const orderBy = orderOf(str(req, 'order_by'), bool(req, 'ascending'));
  if (orderBy.length > 0) query.orderBy = orderBy;
  const limit = count(num(req, 'limit'), 'limit');
  if (limit !== undefined) query.limit = limit;
  const offset = count(num(req, 'offset'), 'offset');
  if (offset !== undefined) query.offset = offset;
  return query;
}

const STRUCT_KEYS = new Set(['full_text', 'fullText', 'q', 'filters', 'order_by', 'orderBy', 'ascending', 'limit', 'offset']);

/**
 * A query given as google.protobuf.Struct (SearchCollections.query, List.filter):
 * `full_text` (or `q`), `filters` as `{field: {operator, value}}` or a list of
 * `{field, operator, value}`, `order_by` (a leading '-' sorts descending), `ascending`,
 * `limit`, `offset`. Any other key is a filter on that field: `{operator, value}`, or a
 * plain value meaning EQUALS.
 */
export function searchQueryFromStruct(json: JsonObject): SearchQuery {
  const filters: SearchFilter[] = [];
  const query: SearchQuery = { filters };
  const text = json.full_text ?? json.fullText ?? json.q;
  if (text !== undefined && text !== null) {
    if (typeof text !== 'string') throw new WwatpError('INVALID_FILTER', 'full_text must be a string');
    if (text !== '') query.fullText = text;
  }
  const rawFilters = json.filters;
  const one = (field: string, spec: JsonValue, where: string): void => {
    if (isObj(spec) && 'operator' in spec) {
      const o = spec as JsonObject;
      filters.push(filterOf(field, operatorOf(o.operator, where), o.value ?? undefined));
    } else {
      filters.push(filterOf(field, 'EQUALS', spec));
    }
  };
  if (Array.isArray(rawFilters)) {
    rawFilters.forEach((f, i) => {
      if (!isObj(f) || typeof (f as JsonObject).field !== 'string') throw new WwatpError('INVALID_FILTER', `filters[${i}] needs a field`);
      const o = f as JsonObject;
      one(o.field as string, { operator: o.operator ?? 'EQUALS', value: o.value ?? null }, `filters[${i}]`);
    });
  } else if (isObj(rawFilters)) {
    for (const [field, spec] of Object.entries(rawFilters as JsonObject)) one(field, spec, `filters.${field}`);
  } else if (rawFilters !== undefined && rawFilters !== null) {
    throw new WwatpError('INVALID_FILTER', 'filters must be an object or a list');
  }
  for (const [field, value] of Object.entries(json)) {
    if (!STRUCT_KEYS.has(field)) one(field, value, field);
  }
  const ascending = json.ascending;
  if (ascending !== undefined && ascending !== null && typeof ascending !== 'boolean') throw new WwatpError('INVALID_FILTER', 'ascending must be true or false');
  const orderBy = json.order_by ?? json.orderBy;
  if (orderBy !== undefined && orderBy !== null) {
    if (typeof orderBy !== 'string') throw new WwatpError('INVALID_FILTER', 'order_by must be a string');
    const orders = orderBy
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '')
      .map((f) => (f.startsWith('-') ? { field: f.slice(1), ascending: false } : { field: f, ascending: ascending !== false }));
    if (orders.length > 0) query.orderBy = orders;
  }
  for (const key of ['limit', 'offset'] as const) {
    const v = json[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw new WwatpError('INVALID_FILTER', `${key} must be a number`);
    const n = count(v, key);
    if (n !== undefined) query[key] = n;
  }
  return query;
}

// ---- pages ---------------------------------------------------------------

/** Page tokens are the base64 of the decimal offset, as the earlier server wrote them. */
export function pageToken(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64');
}

export function offsetOfToken(token: string): number {
  if (token === '') return 0;
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!/^\d{1,15}$/.test(text)) throw new WwatpError('MALFORMED', `page_token ${JSON.stringify(token)} is not one this server issued`);
  return Number(text);
}
