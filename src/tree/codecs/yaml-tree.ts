/**
 * A whole tree as one YAML document, for the YAML mediator and people editing files.
 * The top level maps first label segments to node mappings; a node mapping holds the
 * reserved keys below plus one `name.type: value` key per property (split on the last
 * `.`; reserved keys never hold a dot). See docs/ENCODING.md for the full shape.
 *
 *   description, version {number, max, policy, authorial_proof, authors, readers,
 *   collision_depth}, query_how_to, qa_sequence, child_names, children
 *
 * A mapping with only `children` is a placeholder for a label without a node of its own.
 * Reading is type-directed: each value goes through its property type's encoder, so a
 * wrong-typed value fails with TYPE_MISMATCH naming the node and the property.
 */
import { isMap, isNode, isScalar, parseDocument, stringify, type CreateNodeOptions, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions, type YAMLMap } from 'yaml';
import { WwatpError } from '../errors.js';
import { isLink, joinLabel, normalizeLabel } from '../labels.js';
import { encodeSlot } from '../property-layout.js';
import { propertyType } from '../property-types.js';
import { nodeFromState, stateFromFields, stateOf, type TreeNode } from '../tree-node.js';
import { DEFAULT_VERSION, versionsEqual, type Version, type VersionInit } from '../versions.js';

// `binary` makes Uint8Array values `!!binary` base64 under the YAML 1.2 core schema.
const STRINGIFY_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions = { customTags: ['binary'], aliasDuplicateObjects: false };
// Integers read as bigint so int64/uint64 keep full precision; other types convert back.
const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = { customTags: ['binary'], intAsBigInt: true, uniqueKeys: true };
const TO_JS = { maxAliasCount: 100 } as const;
const RESERVED_KEYS = ['description', 'version', 'query_how_to', 'qa_sequence', 'child_names', 'children'];

interface Entry {
  node?: TreeNode;
  readonly children: Map<string, Entry>;
}

type YamlOut = Map<string, unknown>;

/** Child keys in the node's own childNames order where possible, the rest sorted. */
function orderChildren(entry: Entry): string[] {
  const keys: string[] = [];
  for (const name of entry.node?.childNames ?? []) {
    if (!isLink(name) && entry.children.has(name) && !keys.includes(name)) keys.push(name);
  }
  const rest = [...entry.children.keys()].filter((k) => !keys.includes(k)).sort();
  return [...keys, ...rest];
}

function versionToYaml(v: Version): YamlOut {
  const out: YamlOut = new Map<string, unknown>([
    ['number', v.versionNumber],
    ['max', v.maxVersionSequence],
    ['policy', v.policy],
  ]);
  if (v.authorialProof !== undefined) out.set('authorial_proof', v.authorialProof);
  if (v.authors !== undefined) out.set('authors', v.authors);
  if (v.readers !== undefined) out.set('readers', v.readers);
  if (v.collisionDepth !== undefined) out.set('collision_depth', v.collisionDepth);
  return out;
}

function entryToYaml(entry: Entry): YamlOut {
  const keys = orderChildren(entry);
  const children: YamlOut = new Map(keys.map((k) => [k, entryToYaml(entry.children.get(k) as Entry)]));
  if (!entry.node) return new Map([['children', children]]);
  const s = stateOf(entry.node);
  const out: YamlOut = new Map([['description', s.description]]);
  if (!versionsEqual(s.version, DEFAULT_VERSION)) out.set('version', versionToYaml(s.version));
  if (s.queryHowTo !== undefined) out.set('query_how_to', s.queryHowTo);
  if (s.qaSequence !== undefined) out.set('qa_sequence', s.qaSequence);
  for (const { name, type, value } of entry.node.properties()) {
    out.set(`${name}.${type}`, value instanceof Date ? value.toISOString() : value);
  }
  const sameNames = s.childNames.length === keys.length && s.childNames.every((n, i) => n === keys[i]);
  if (!sameNames) out.set('child_names', [...s.childNames]);
  if (children.size > 0) out.set('children', children);
  return out;
}

/** The YAML document for a set of nodes; the same nodes in any order give the same text. */
export function treeToYaml(nodes: readonly TreeNode[]): string {
  const root = new Map<string, Entry>();
  for (const node of nodes) {
    let level = root;
    let entry: Entry | undefined;
    for (const segment of node.labelRule.split('/')) {
      entry = level.get(segment);
      if (!entry) level.set(segment, (entry = { children: new Map() }));
      level = entry.children;
    }
    if (!entry) continue;
    if (entry.node) throw new WwatpError('INVALID_NODE', `label "${node.labelRule}" appears twice in the tree`);
    entry.node = node;
  }
  const top: YamlOut = new Map([...root.keys()].sort().map((k) => [k, entryToYaml(root.get(k) as Entry)]));
  return stringify(top, STRINGIFY_OPTIONS);
}

function malformed(message: string): WwatpError {
  return new WwatpError('MALFORMED', message);
}

/** Runs `fn`, naming the node in any WwatpError it throws. */
function atNode<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof WwatpError) throw new WwatpError(cause.code, `node "${label}": ${cause.message}`, { cause });
    throw cause;
  }
}

/** A mapping key as text; scalars keep their source spelling (`010` stays `010`). */
function keyText(key: unknown): string {
  if (!isScalar(key)) throw malformed('every key must be a plain scalar');
  if (typeof key.value === 'string') return key.value;
  return key.source ?? String(key.value);
}

function toJs(doc: Document, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (!isNode(value)) throw malformed('expected a YAML node');
  // Aliases resolve here, counted against maxAliasCount.
  return value.toJS(doc, TO_JS) as unknown;
}

function text(doc: Document, value: unknown, field: string, optional = false): string | undefined {
  const js = toJs(doc, value);
  if (js === null && optional) return undefined;
  if (typeof js !== 'string') throw malformed(`${field} must be a string`);
  return js;
}

/** Bigints back to numbers, for the types that do not hold 64-bit integers. */
function plainNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  }
  return value;
}

function propertyValue(doc: Document, node: unknown, typeName: string): unknown {
  const base = propertyType(typeName).base;
  const js = toJs(doc, node);
  if (base === 'double' || base === 'float') {
    // A plain `-0` resolves as the integer 0; its sign matters to a double.
    if (js === 0n && isScalar(node) && node.source?.trimStart().startsWith('-')) return -0;
    return typeof js === 'bigint' ? Number(js) : js;
  }
  if (base === 'bytes' && js instanceof Uint8Array) return new Uint8Array(js.buffer, js.byteOffset, js.byteLength);
  if (base === 'json' || base === 'yaml') return plainNumbers(js);
  return js;
}

const VERSION_KEYS: Record<string, keyof Version> = {
  number: 'versionNumber',
  max: 'maxVersionSequence',
  policy: 'policy',
  authorial_proof: 'authorialProof',
  authors: 'authors',
  readers: 'readers',
  collision_depth: 'collisionDepth',
};

function readVersion(doc: Document, value: unknown): VersionInit {
  if (!isMap(value)) throw malformed('version must be a mapping');
  const out: Record<string, unknown> = {};
  for (const pair of value.items) {
    const key = keyText(pair.key);
    const field = VERSION_KEYS[key];
    if (field === undefined) throw malformed(`unknown version key "${key}"`);
    const js = toJs(doc, pair.value);
    const isNumber = field === 'versionNumber' || field === 'maxVersionSequence' || field === 'collisionDepth';
    if (js !== null && (isNumber ? typeof js !== 'bigint' && typeof js !== 'number' : typeof js !== 'string')) {
      throw malformed(`version ${key} must be ${isNumber ? 'an integer' : 'a string'}`);
    }
    out[field] = typeof js === 'bigint' ? Number(js) : (js ?? undefined);
  }
  return out as VersionInit;
}

function mapKeys(map: YAMLMap): string[] {
  return map.items.map((pair) => keyText(pair.key));
}

/** Reads one node mapping into `out` (unless it is a placeholder); returns its children. */
function readOwnNode(doc: Document, value: unknown, label: string, out: TreeNode[]): YAMLMap | undefined {
  if (!isMap(value)) throw malformed('a node must be a mapping');
  const reserved = new Map<string, unknown>();
  const props: Array<{ name: string; type: string; slot: Uint8Array }> = [];
  for (const pair of value.items) {
    const key = keyText(pair.key);
    const dot = key.lastIndexOf('.');
    if (dot >= 0) {
      const name = key.slice(0, dot);
      const type = key.slice(dot + 1);
      props.push({ name, type, slot: encodeSlot(type, propertyValue(doc, pair.value, type), name) });
    } else if (RESERVED_KEYS.includes(key)) {
      reserved.set(key, pair.value);
    } else {
      throw malformed(`unknown key "${key}" (property keys are written name.type)`);
    }
  }
  const children = reserved.get('children');
  if (children !== undefined && !isMap(children)) throw malformed('children must be a mapping');
  if (children !== undefined && reserved.size === 1 && props.length === 0) return children;
  let childNames = children ? mapKeys(children) : [];
  const names = reserved.has('child_names') ? toJs(doc, reserved.get('child_names')) : childNames;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw malformed('child_names must be a list of strings');
  childNames = names as string[];
  const version = reserved.get('version');
  const state = stateFromFields({
    labelRule: label,
    description: reserved.has('description') ? text(doc, reserved.get('description'), 'description') : '',
    version: version === undefined ? undefined : readVersion(doc, version),
    queryHowTo: text(doc, reserved.get('query_how_to'), 'query_how_to', true),
    qaSequence: text(doc, reserved.get('qa_sequence'), 'qa_sequence', true),
    childNames,
    propertyInfos: props.map(({ name, type }) => ({ name, type })),
    propertyData: concat(props.map((p) => p.slot)),
  });
  out.push(nodeFromState(state));
  return children;
}

function readChildren(doc: Document, map: YAMLMap, parent: string, out: TreeNode[]): void {
  const seen = new Set<string>();
  for (const pair of map.items) {
    const segment = atNode(parent === '' ? '(top level)' : parent, () => keyText(pair.key));
    const label = joinLabel(parent, segment);
    if (segment.includes('/') || segment === '') throw new WwatpError('INVALID_LABEL', `node "${label}": "${segment}" is not a single label segment`);
    if (seen.has(segment)) throw malformed(`node "${label}": the label appears twice`);
    seen.add(segment);
    normalizeLabel(label);
    const children = atNode(label, () => readOwnNode(doc, pair.value, label, out));
    if (children) readChildren(doc, children, label, out);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Parses a tree document; nodes come back parents first, in document order. */
export function yamlToTree(text: string): TreeNode[] {
  if (typeof text !== 'string') throw new WwatpError('MALFORMED', 'a YAML tree must be a string');
  try {
    const doc = parseDocument(text, PARSE_OPTIONS);
    const error = doc.errors[0];
    if (error) throw new WwatpError('MALFORMED', `invalid YAML: ${error.message}`);
    const out: TreeNode[] = [];
    if (doc.contents === null) return out;
    if (!isMap(doc.contents)) throw new WwatpError('MALFORMED', 'a YAML tree must be a mapping from labels to nodes');
    readChildren(doc, doc.contents, '', out);
    return out;
  } catch (cause) {
    if (cause instanceof WwatpError) throw cause;
    throw new WwatpError('MALFORMED', `invalid YAML tree: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
