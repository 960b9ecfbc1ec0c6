import { WwatpError } from '../../tree/errors.js';
import type { TreeNode } from '../../tree/tree-node.js';
import type { CollectionRecord } from '../types.js';
import { SCHEMALESS } from '../types.js';
import type { CollectionStoreApi, CollectorApi } from './collector-api.js';
import { readCollectionWrite, readFileWrite, readRecordWrite } from './nodes.js';
import { labelOf, placeOf, SYSTEM, type Place } from './places.js';

/**
 * What a node written to CollectorBackend asks the Collector to do: planned (and refused)
 * before anything is written, then applied. Both upsertNode and transactions.ts write
 * through it, so it stands apart from either.
 */

/** One planned write, checked before anything is written. */
export type Op =
  | { kind: 'collection'; place: Extract<Place, { kind: 'collection' }>; node: TreeNode }
  | { kind: 'record'; place: Extract<Place, { kind: 'record' }>; node: TreeNode }
  | { kind: 'proto'; place: Extract<Place, { kind: 'record' }>; node: TreeNode }
  | { kind: 'file'; place: Extract<Place, { kind: 'file' }>; node: TreeNode }
  | { kind: 'derived' };

/** The collection's store, or undefined when there is no such collection. */
export async function collectionStore(collector: CollectorApi, namespace: string, name: string): Promise<CollectionStoreApi | undefined> {
  return collector.repo.collection(namespace, name);
}

/** Maps a node to the write it asks for, refusing what cannot be written, before anything is written. */
export async function planWrite(collector: CollectorApi, node: TreeNode, pendingCollections: Map<string, string>): Promise<Op> {
  const place = placeOf(node.labelRule);
  if (!place) throw new WwatpError('INVALID_LABEL', `"${node.labelRule}" names nothing in the collector: use <namespace>/<collection>[/<record id> | /.files/<path>]`);
  switch (place.kind) {
    case 'namespace':
      // Namespaces exist while they hold collections; writing one (a tree copy does) changes nothing.
      return { kind: 'derived' };
    case 'collection': {
      if (place.namespace === SYSTEM) throw new WwatpError('UNSUPPORTED', `the "${SYSTEM}" namespace belongs to the registry; its collections cannot be defined through the tree`);
      const write = readCollectionWrite(node);
      const existing = await collector.repo.describe(place.namespace, place.name);
      if (existing && existing.messageType !== write.messageType) {
        throw new WwatpError(
          'TYPE_MISMATCH',
          `collection "${node.labelRule}" holds ${existing.messageType}; its messageType cannot change to ${write.messageType} (delete the collection and create it again)`,
        );
      }
      pendingCollections.set(labelOf(place), write.messageType);
      return { kind: 'collection', place, node };
    }
    case 'record': {
      const write = readRecordWrite(node);
      const info = await collector.repo.describe(place.namespace, place.name);
      const messageType = pendingCollections.get(`${place.namespace}/${place.name}`) ?? info?.messageType;
      if (messageType === undefined) {
        throw new WwatpError('NOT_FOUND', `no collection "${place.namespace}/${place.name}" for record "${node.labelRule}": create it first (upsert it with a messageType)`);
      }
      if (place.namespace === SYSTEM) {
        if (place.name === 'protos' || place.name === 'services') return { kind: 'proto', place, node };
        throw new WwatpError('UNSUPPORTED', `records of "${SYSTEM}/${place.name}" are written by the registry, not through the tree`);
      }
      if (write.type !== undefined && write.type !== messageType) {
        throw new WwatpError('TYPE_MISMATCH', `record "${node.labelRule}" says type ${write.type}, but collection ${place.namespace}/${place.name} holds ${messageType}`);
      }
      // Checked now, so a batch with one record that does not fit its type writes nothing.
      if (messageType !== SCHEMALESS) collector.registry.codec(place.namespace, messageType).normalize({ json: write.json });
      return { kind: 'record', place, node };
    }
    case 'file': {
      if (place.path === '' || !(node.hasProperty('data') || node.hasProperty('uri'))) {
        if (node.propertyInfos.length === 0) return { kind: 'derived' }; // a directory node: derived from its files
      }
      readFileWrite(node);
      if (place.path === '') throw new WwatpError('INVALID_LABEL', `"${node.labelRule}" is the files directory itself; write files below it`);
      const info = await collector.repo.describe(place.namespace, place.name);
      if (!info && !pendingCollections.has(`${place.namespace}/${place.name}`)) {
        throw new WwatpError('NOT_FOUND', `no collection "${place.namespace}/${place.name}" for file "${node.labelRule}"`);
      }
      return { kind: 'file', place, node };
    }
  }
}

/** Carries out a planned write; with `priorVersion` a record write is conditional on it (transactions). */
export async function applyWrite(collector: CollectorApi, op: Op, priorVersion?: number): Promise<void> {
  switch (op.kind) {
    case 'derived':
      return;
    case 'collection': {
      const { namespace, name } = op.place;
      const write = readCollectionWrite(op.node);
      const spec = {
        namespace,
        name,
        messageType: write.messageType,
        ...(write.indexedFields !== undefined ? { indexedFields: write.indexedFields } : {}),
        ...(write.labels !== undefined ? { labels: write.labels } : {}),
      };
      const existing = await collector.repo.describe(namespace, name);
      if (existing) await collector.repo.updateCollection(spec);
      else await collector.repo.createCollection(spec);
      return;
    }
    case 'record': {
      const { namespace, name, id } = op.place;
      const store = await collectionStore(collector, namespace, name);
      if (!store) throw new WwatpError('NOT_FOUND', `no collection "${namespace}/${name}"`);
      const write = readRecordWrite(op.node);
      const input = { id, json: write.json, version: write.version, ...(write.dataUri !== undefined ? { dataUri: write.dataUri } : {}) };
      if (priorVersion === undefined) await store.upsert(input);
      else await store.update(input, priorVersion);
      return;
    }
    case 'proto':
      await register(collector, op.place, readRecordWrite(op.node).json);
      return;
    case 'file': {
      const store = await collectionStore(collector, op.place.namespace, op.place.name);
      if (!store) throw new WwatpError('NOT_FOUND', `no collection "${op.place.namespace}/${op.place.name}"`);
      await store.putFile({ path: op.place.path, ...readFileWrite(op.node) });
      return;
    }
  }
}

/**
 * A record written to system/protos registers a .proto file: { source, namespace?,
 * fileName? }, the last two defaulting from an id `<namespace>:<fileName>`. One written
 * to system/services registers a service: { name, namespace? }. The registry then
 * stores its own record (under its own id for the file).
 */
async function register(collector: CollectorApi, place: Extract<Place, { kind: 'record' }>, json: CollectionRecord['json']): Promise<void> {
  const colon = place.id.indexOf(':');
  const idNamespace = colon > 0 ? place.id.slice(0, colon) : undefined;
  const idName = colon > 0 ? place.id.slice(colon + 1) : place.id;
  const text = (key: string): string | undefined => (typeof json[key] === 'string' && json[key] !== '' ? (json[key] as string) : undefined);
  const namespace = text('namespace') ?? idNamespace;
  if (namespace === undefined) {
    throw new WwatpError('INVALID_PROPERTY', `"${labelOf(place)}": say which namespace registers it, in record.namespace or an id <namespace>:<name>`);
  }
  if (place.name === 'services') {
    await collector.registry.registerService({ namespace, name: text('name') ?? idName });
    return;
  }
  const source = text('source');
  if (source === undefined) throw new WwatpError('INVALID_PROPERTY', `registering a proto: "${labelOf(place)}" needs record.source (the .proto text)`);
  await collector.registry.registerProto({ namespace, fileName: text('fileName') ?? idName, source });
}
