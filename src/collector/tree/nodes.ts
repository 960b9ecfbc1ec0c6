import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_VERSION_SEQUENCE } from '../../tree/limits.js';
import { TreeNode } from '../../tree/tree-node.js';
import type { CollectionFile, CollectionInfo, CollectionRecord, JsonObject, JsonValue } from '../types.js';
import { collectionLabel, fileLabel, FILES_SEGMENT, recordLabel } from './places.js';

/**
 * Tree nodes made from collector values and read back from nodes clients write. The
 * property names and types here are the contract documented in docs/COLLECTOR.md.
 */

/** Record ids a collection node lists as child names; queries page through the rest. */
export const MAX_LISTED_RECORDS = 1000;

/** Collector versions grow without bound; tree versions wrap at the default modulus. */
export function treeVersion(version: number): { versionNumber: number; maxVersionSequence: number } {
  const n = Number.isSafeInteger(version) && version >= 0 ? version : 0;
  return { versionNumber: n % DEFAULT_MAX_VERSION_SEQUENCE, maxVersionSequence: DEFAULT_MAX_VERSION_SEQUENCE };
}

export function namespaceNode(namespace: string, collections: readonly string[]): TreeNode {
  return new TreeNode({ labelRule: namespace, description: `Collector namespace ${namespace}`, childNames: collections });
}

/** A collection's description node; `childNames` are its first record ids (and `.files` when it has files). */
export function collectionNode(info: CollectionInfo, childNames: readonly string[]): TreeNode {
  const node = new TreeNode({
    labelRule: collectionLabel(info.namespace, info.name),
    description: `Collection of ${info.messageType === 'json' ? 'schemaless JSON records' : info.messageType}`,
    version: treeVersion(info.version),
    childNames,
  });
  node.insertProperty('messageType', 'string', info.messageType);
  node.insertProperty('indexedFields', 'json', [...info.indexedFields]);
  node.insertProperty('labels', 'json', { ...info.labels });
  node.insertProperty('recordCount', 'int64', info.recordCount);
  if (info.serverEndpoint !== '') node.insertProperty('serverEndpoint', 'string', info.serverEndpoint);
  return node;
}

export function recordNode(namespace: string, name: string, record: CollectionRecord): TreeNode {
  const node = new TreeNode({ labelRule: recordLabel(namespace, name, record.id), version: treeVersion(record.version) });
  node.insertProperty('type', 'string', record.type);
  node.insertProperty('record', 'json', record.json);
  if (record.dataUri !== '') node.insertProperty('dataUri', 'string', record.dataUri);
  return node;
}

export function fileNode(namespace: string, name: string, file: CollectionFile): TreeNode {
  const node = new TreeNode({ labelRule: fileLabel(namespace, name, file.path) });
  if (file.uri !== undefined && file.uri !== '') node.insertProperty('uri', 'string', file.uri);
  else node.insertProperty('data', 'bytes', file.data ?? new Uint8Array(0));
  return node;
}

/** A directory of files (`.files` itself when `path` is ''): its child names are the next segments. */
export function directoryNode(namespace: string, name: string, path: string, childNames: readonly string[]): TreeNode {
  return new TreeNode({
    labelRule: fileLabel(namespace, name, path),
    description: path === '' ? `Files of ${namespace}/${name}` : `Directory ${path}`,
    childNames,
  });
}

/** The distinct next segments below `dir` ('' for the top) among file paths, in first-seen order. */
export function directoryChildren(paths: readonly string[], dir: string): string[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  const out = new Set<string>();
  for (const path of paths) {
    if (!path.startsWith(prefix) || path === dir) continue;
    out.add(path.slice(prefix.length).split('/')[0] as string);
  }
  return [...out];
}

/** Every directory above the given file paths ('' first), parents before children. */
export function directoriesOf(paths: readonly string[]): string[] {
  const dirs = new Set<string>(['']);
  for (const path of paths) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) dirs.add(segments.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
}

export { FILES_SEGMENT };

function optionalString(node: TreeNode, property: string): string | undefined {
  if (!node.hasProperty(property)) return undefined;
  const value = node.getProperty(property);
  if (typeof value !== 'string') throw new WwatpError('INVALID_PROPERTY', `node "${node.labelRule}": property "${property}" must be a string property`);
  return value;
}

function jsonProperty(node: TreeNode, property: string): JsonValue | undefined {
  if (!node.hasProperty(property)) return undefined;
  const value = node.getProperty(property);
  if (value === undefined || typeof value === 'bigint' || value instanceof Uint8Array || value instanceof Date) {
    throw new WwatpError('INVALID_PROPERTY', `node "${node.labelRule}": property "${property}" must be a json property`);
  }
  return value;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** What a collection node written by a client asks for. */
export interface CollectionWrite {
  messageType: string;
  indexedFields: string[] | undefined;
  labels: Record<string, string> | undefined;
}

export function readCollectionWrite(node: TreeNode): CollectionWrite {
  const messageType = optionalString(node, 'messageType');
  if (messageType === undefined || messageType === '') {
    throw new WwatpError('INVALID_PROPERTY', `collection node "${node.labelRule}" needs a string property "messageType" ("json" for schemaless, or a registered <package>.<Message>)`);
  }
  const fields = jsonProperty(node, 'indexedFields');
  if (fields !== undefined && !(Array.isArray(fields) && fields.every((f) => typeof f === 'string'))) {
    throw new WwatpError('INVALID_PROPERTY', `collection node "${node.labelRule}": "indexedFields" must be a JSON array of field names`);
  }
  const labels = jsonProperty(node, 'labels');
  if (labels !== undefined && !(isObject(labels) && Object.values(labels).every((v) => typeof v === 'string'))) {
    throw new WwatpError('INVALID_PROPERTY', `collection node "${node.labelRule}": "labels" must be a JSON object of strings`);
  }
  return {
    messageType,
    indexedFields: fields === undefined ? undefined : (fields as string[]),
    labels: labels === undefined ? undefined : (labels as Record<string, string>),
  };
}

/** What a record node written by a client holds. */
export interface RecordWrite {
  type: string | undefined;
  json: JsonObject;
  dataUri: string | undefined;
  version: number;
}

export function readRecordWrite(node: TreeNode): RecordWrite {
  const json = jsonProperty(node, 'record');
  if (json === undefined) throw new WwatpError('INVALID_PROPERTY', `record node "${node.labelRule}" needs a json property "record" holding the record`);
  if (!isObject(json)) throw new WwatpError('TYPE_MISMATCH', `record node "${node.labelRule}": "record" must be a JSON object`);
  return { type: optionalString(node, 'type'), json, dataUri: optionalString(node, 'dataUri'), version: node.version.versionNumber };
}

export function readFileWrite(node: TreeNode): { data?: Uint8Array; uri?: string } {
  const uri = optionalString(node, 'uri');
  if (node.hasProperty('data')) {
    const data = node.getProperty('data');
    if (!(data instanceof Uint8Array)) throw new WwatpError('INVALID_PROPERTY', `file node "${node.labelRule}": "data" must be a bytes property`);
    if (uri !== undefined) throw new WwatpError('INVALID_PROPERTY', `file node "${node.labelRule}" has both "data" and "uri"; give one`);
    return { data };
  }
  if (uri !== undefined) return { uri };
  throw new WwatpError('INVALID_PROPERTY', `file node "${node.labelRule}" needs a bytes property "data" or a string property "uri"`);
}
