import { WwatpError } from './errors.js';
import { isWellFormed } from './codecs/bytes.js';
import { pooledCopy } from './byte-pool.js';
import { isLink, normalizeLabel } from './labels.js';
import { checkLayout, encodeSlot, layoutSlots, splice, type PropertyInfo, type Slot } from './property-layout.js';
import { propertyType, type PropertyValue } from './property-types.js';
import { DEFAULT_VERSION, makeVersion, versionsEqual, type Version, type VersionInit } from './versions.js';

export type { PropertyInfo } from './property-layout.js';

export interface TreeNodeInit {
  labelRule: string;
  description?: string;
  propertyInfos?: readonly PropertyInfo[];
  version?: VersionInit;
  childNames?: readonly string[];
  propertyData?: Uint8Array;
  queryHowTo?: string;
  qaSequence?: string;
}

/**
 * The immutable value behind a TreeNode. Backends store states, never TreeNode objects,
 * so a caller mutating a node it passed in or got back cannot reach a stored node:
 * every TreeNode mutator swaps in a new state (copy on write) and states are frozen.
 */
export interface NodeState {
  readonly labelRule: string;
  readonly description: string;
  readonly propertyInfos: readonly PropertyInfo[];
  readonly version: Version;
  readonly childNames: readonly string[];
  readonly propertyData: Uint8Array;
  readonly queryHowTo: string | undefined;
  readonly qaSequence: string | undefined;
}

const EMPTY_STRINGS: readonly string[] = Object.freeze([]);
const EMPTY_INFOS: readonly PropertyInfo[] = Object.freeze([]);
const EMPTY_BYTES = new Uint8Array(0);

function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new WwatpError('INVALID_NODE', `${field} must be a string, got ${typeof value}`);
  if (!isWellFormed(value)) throw new WwatpError('INVALID_NODE', `${field} holds a lone UTF-16 surrogate, which is not text`);
  return value;
}

function checkOptionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : checkString(value, field);
}

function checkChildNames(names: unknown): readonly string[] {
  if (names === undefined) return EMPTY_STRINGS;
  if (!Array.isArray(names)) throw new WwatpError('INVALID_NODE', 'childNames must be an array of strings');
  if (names.length === 0) return EMPTY_STRINGS;
  return checkedChildNames([...(names as unknown[])]);
}

/** `names` itself, checked and frozen (the caller gives up its array). */
function checkedChildNames(names: unknown[]): readonly string[] {
  for (const name of names) {
    if (typeof name !== 'string') throw new WwatpError('INVALID_NODE', 'childNames must be an array of strings');
    // A relative name is one segment; a link (holding `/`) is an absolute label.
    normalizeLabel(name);
    if (!isLink(name) && (name === '.' || name === '..')) throw new WwatpError('INVALID_LABEL', `child name ${JSON.stringify(name)} is not allowed`);
  }
  return Object.freeze(names as string[]);
}

// Nodes of one kind share one frozen propertyInfos array (bounded, so odd shapes cannot grow it forever).
const INTERNED_SHAPES_LIMIT = 10_000;
const internedInfos = new Map<string, readonly PropertyInfo[]>();

/** A shape's key; lengths first, so no choice of names can make two shapes collide. */
function shapeKey(infos: readonly unknown[]): string | undefined {
  let key = '';
  for (const info of infos) {
    if (info === null || typeof info !== 'object') return undefined;
    const { type, name } = info as { type?: unknown; name?: unknown };
    if (typeof type !== 'string' || typeof name !== 'string') return undefined;
    key += `${type.length}:${type}${name.length}:${name}`;
  }
  return key;
}

/** The shared copy of a checked shape (this one when the shape is new). */
function intern(infos: readonly PropertyInfo[]): readonly PropertyInfo[] {
  const key = shapeKey(infos) as string;
  const known = internedInfos.get(key);
  if (known) return known;
  if (internedInfos.size < INTERNED_SHAPES_LIMIT) internedInfos.set(key, infos);
  return infos;
}

function checkPropertyInfos(infos: unknown): readonly PropertyInfo[] {
  if (infos === undefined) return EMPTY_INFOS;
  if (!Array.isArray(infos)) throw new WwatpError('INVALID_NODE', 'propertyInfos must be an array of { type, name }');
  if (infos.length === 0) return EMPTY_INFOS;
  // Every node decoded from the wire or a database passes here: a shape seen before was
  // checked then, and the same key means the same types and names.
  const key = shapeKey(infos as unknown[]);
  const known = key === undefined ? undefined : internedInfos.get(key);
  if (known) return known;
  const seen = new Set<string>();
  const out: PropertyInfo[] = [];
  for (const info of infos as unknown[]) {
    const { type, name } = (info ?? {}) as { type?: unknown; name?: unknown };
    if (typeof name !== 'string' || name === '') throw new WwatpError('INVALID_PROPERTY', 'a property name must be a non-empty string');
    if (typeof type !== 'string') throw new WwatpError('INVALID_PROPERTY', `property "${name}" needs a type name`);
    propertyType(type);
    if (seen.has(name)) throw new WwatpError('INVALID_PROPERTY', `property "${name}" is declared twice`);
    seen.add(name);
    out.push(Object.freeze({ type, name }));
  }
  const checked = Object.freeze(out);
  if (key !== undefined && internedInfos.size < INTERNED_SHAPES_LIMIT) internedInfos.set(key, checked);
  return checked;
}

/** Builds and validates a state from constructor input; `adoptData`: see stateFromFields. */
function stateFromInit(init: TreeNodeInit, adoptData = false): NodeState {
  if (init === null || typeof init !== 'object') throw new WwatpError('INVALID_NODE', 'a TreeNode needs an object with at least labelRule');
  const propertyInfos = checkPropertyInfos(init.propertyInfos);
  let propertyData: Uint8Array = EMPTY_BYTES;
  if (init.propertyData !== undefined) {
    if (!(init.propertyData instanceof Uint8Array)) throw new WwatpError('INVALID_NODE', 'propertyData must be a Uint8Array');
    propertyData = adoptData ? init.propertyData : pooledCopy(init.propertyData);
  }
  checkLayout(propertyInfos, propertyData);
  return Object.freeze({
    labelRule: normalizeLabel(init.labelRule),
    description: init.description === undefined ? '' : checkString(init.description, 'description'),
    propertyInfos,
    version: init.version === undefined ? DEFAULT_VERSION : makeVersion(init.version),
    childNames: checkChildNames(init.childNames),
    propertyData,
    queryHowTo: checkOptionalString(init.queryHowTo, 'queryHowTo'),
    qaSequence: checkOptionalString(init.qaSequence, 'qaSequence'),
  });
}

let stateAccess: (node: TreeNode) => NodeState;
// Set just before a trusted construction, so nodeFromState skips revalidation.
let trustedState: NodeState | undefined;

/**
 * A node of the tree: label rule, description, typed properties, version, child names.
 * Fields read as immutable values (arrays are frozen); assign a field to change it.
 */
export class TreeNode {
  #s: NodeState;

  constructor(init: TreeNodeInit) {
    if (trustedState !== undefined) {
      this.#s = trustedState;
      trustedState = undefined;
    } else {
      this.#s = stateFromInit(init);
    }
  }

  static {
    stateAccess = (node) => node.#s;
  }

  #set(patch: Partial<NodeState>): void {
    this.#s = Object.freeze({ ...this.#s, ...patch });
  }

  get labelRule(): string {
    return this.#s.labelRule;
  }
  set labelRule(label: string) {
    this.#set({ labelRule: normalizeLabel(label) });
  }

  get description(): string {
    return this.#s.description;
  }
  set description(text: string) {
    this.#set({ description: checkString(text, 'description') });
  }

  get propertyInfos(): readonly PropertyInfo[] {
    return this.#s.propertyInfos;
  }

  get version(): Version {
    return this.#s.version;
  }
  set version(version: VersionInit) {
    this.#set({ version: makeVersion(version) });
  }

  get childNames(): readonly string[] {
    return this.#s.childNames;
  }
  set childNames(names: readonly string[]) {
    this.#set({ childNames: checkChildNames(names) });
  }

  /** A copy of the contents bytes; use the property methods to read and change values. */
  get propertyData(): Uint8Array {
    return this.#s.propertyData.slice();
  }

  /** Size of the contents in bytes. */
  get contentSize(): number {
    return this.#s.propertyData.length;
  }

  get queryHowTo(): string | undefined {
    return this.#s.queryHowTo;
  }
  set queryHowTo(text: string | undefined) {
    this.#set({ queryHowTo: checkOptionalString(text, 'queryHowTo') });
  }

  get qaSequence(): string | undefined {
    return this.#s.qaSequence;
  }
  set qaSequence(text: string | undefined) {
    this.#set({ qaSequence: checkOptionalString(text, 'qaSequence') });
  }

  /** Replaces properties and contents together, keeping them consistent. */
  setProperties(propertyInfos: readonly PropertyInfo[], propertyData: Uint8Array): void {
    const infos = checkPropertyInfos(propertyInfos);
    const data = pooledCopy(propertyData);
    checkLayout(infos, data);
    this.#set({ propertyInfos: infos, propertyData: data });
  }

  #slot(name: string): { index: number; slot: Slot } | undefined {
    const index = this.#s.propertyInfos.findIndex((info) => info.name === name);
    if (index < 0) return undefined;
    const slot = layoutSlots(this.#s.propertyInfos, this.#s.propertyData)[index] as Slot;
    return { index, slot };
  }

  hasProperty(name: string): boolean {
    return this.#s.propertyInfos.some((info) => info.name === name);
  }

  /** The declared type name of a property, or undefined. */
  getPropertyType(name: string): string | undefined {
    return this.#s.propertyInfos.find((info) => info.name === name)?.type;
  }

  /** Adds a property; refuses a name the node already has. */
  insertProperty(name: string, type: string, value: unknown): void {
    if (typeof name !== 'string' || name === '') throw new WwatpError('INVALID_PROPERTY', 'a property name must be a non-empty string');
    if (this.hasProperty(name)) throw new WwatpError('ALREADY_EXISTS', `property "${name}" already exists; use setProperty`);
    const slot = encodeSlot(type, value, name);
    const data = splice(this.#s.propertyData, this.#s.propertyData.length, this.#s.propertyData.length, slot);
    const infos = intern(Object.freeze([...this.#s.propertyInfos, Object.freeze({ type, name })]));
    this.#set({ propertyInfos: infos, propertyData: data });
  }

  /** The value of a property, or undefined when the node has no such property. */
  getProperty(name: string): PropertyValue | undefined {
    const found = this.#slot(name);
    if (!found) return undefined;
    const info = this.#s.propertyInfos[found.index] as PropertyInfo;
    return propertyType(info.type).decode(this.#s.propertyData.subarray(found.slot.payloadStart, found.slot.end), name);
  }

  /** Changes an existing property's value, keeping its type. */
  setProperty(name: string, value: unknown): void {
    const found = this.#slot(name);
    if (!found) throw new WwatpError('NOT_FOUND', `property "${name}" does not exist; use insertProperty`);
    const info = this.#s.propertyInfos[found.index] as PropertyInfo;
    const slot = encodeSlot(info.type, value, name);
    this.#set({ propertyData: splice(this.#s.propertyData, found.slot.start, found.slot.end, slot) });
  }

  /** Removes a property; returns false when there was none. */
  deleteProperty(name: string): boolean {
    const found = this.#slot(name);
    if (!found) return false;
    const infos = intern(Object.freeze(this.#s.propertyInfos.filter((_, i) => i !== found.index)));
    this.#set({ propertyInfos: infos, propertyData: splice(this.#s.propertyData, found.slot.start, found.slot.end, EMPTY_BYTES) });
    return true;
  }

  /** Every property as name → { type, value }, in declaration order. */
  properties(): Array<{ name: string; type: string; value: PropertyValue }> {
    const slots = layoutSlots(this.#s.propertyInfos, this.#s.propertyData);
    return this.#s.propertyInfos.map((info, i) => {
      const slot = slots[i] as Slot;
      const value = propertyType(info.type).decode(this.#s.propertyData.subarray(slot.payloadStart, slot.end), info.name);
      return { name: info.name, type: info.type, value };
    });
  }

  /** An independent copy (cheap: states are shared until one side changes). */
  clone(): TreeNode {
    return nodeFromState(this.#s);
  }

  /** A copy with another label (used by wrappers that map labels). */
  withLabel(labelRule: string): TreeNode {
    const node = this.clone();
    node.labelRule = labelRule;
    return node;
  }

  equals(other: TreeNode): boolean {
    return nodeStatesEqual(this.#s, other.#s);
  }

  toString(): string {
    return `TreeNode(${this.#s.labelRule} v${this.#s.version.versionNumber})`;
  }
}

export function nodeStatesEqual(a: NodeState, b: NodeState): boolean {
  if (a === b) return true;
  return (
    a.labelRule === b.labelRule &&
    a.description === b.description &&
    a.queryHowTo === b.queryHowTo &&
    a.qaSequence === b.qaSequence &&
    versionsEqual(a.version, b.version) &&
    a.childNames.length === b.childNames.length &&
    a.childNames.every((n, i) => n === b.childNames[i]) &&
    a.propertyInfos.length === b.propertyInfos.length &&
    a.propertyInfos.every((p, i) => p.name === b.propertyInfos[i]?.name && p.type === b.propertyInfos[i]?.type) &&
    bytesEqual(a.propertyData, b.propertyData)
  );
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The immutable state behind a node (for backends and codecs; not exported from the package root). */
export function stateOf(node: TreeNode): NodeState {
  if (!(node instanceof TreeNode)) throw new WwatpError('INVALID_NODE', `expected a TreeNode, got ${node === null ? 'null' : typeof node}`);
  return stateAccess(node);
}

/** A TreeNode around a state already known to be valid (for backends and codecs). */
export function nodeFromState(state: NodeState): TreeNode {
  trustedState = state;
  return new TreeNode(TRUSTED_INIT);
}

const TRUSTED_INIT: TreeNodeInit = { labelRule: '' };

/**
 * Builds a validated state from raw fields (for decoders). With `adoptData` the state
 * keeps `init.propertyData` itself instead of a copy: only for bytes the caller owns
 * alone and nobody writes again (a decoded message's buffer), and that fill most of
 * their ArrayBuffer, since the state keeps all of it alive.
 */
export function stateFromFields(init: TreeNodeInit, options: { adoptData?: boolean } = {}): NodeState {
  return stateFromInit(init, options.adoptData === true);
}

/**
 * The checked, shared propertyInfos for a shape given as flat `[type, name, type, name, ...]`
 * pairs (the first `2 × count` entries): a decoder reads the strings into a scratch list
 * and gets the interned array back without building an object per property.
 */
export function propertyInfosFromPairs(pairs: readonly string[], count: number): readonly PropertyInfo[] {
  if (count === 0) return EMPTY_INFOS;
  let key = '';
  for (let i = 0; i < 2 * count; i += 2) {
    const type = pairs[i] as string;
    const name = pairs[i + 1] as string;
    key += `${type.length}:${type}${name.length}:${name}`;
  }
  const known = internedInfos.get(key);
  if (known) return known;
  const infos: PropertyInfo[] = [];
  for (let i = 0; i < 2 * count; i += 2) infos.push({ type: pairs[i] as string, name: pairs[i + 1] as string });
  return checkPropertyInfos(infos);
}

/**
 * stateFromFields for a decoder that read each field itself (cbor-node-reader.ts): the same
 * checks, without a TreeNodeInit. The strings must come from well-formed UTF-8, so none
 * holds a lone surrogate; `childNames` becomes the state's own; `propertyInfos` and
 * `version` are already checked (propertyInfosFromPairs, versionFromFields).
 */
export function stateFromDecoded(
  labelRule: string, description: string, propertyInfos: readonly PropertyInfo[], version: Version, childNames: string[],
  propertyData: Uint8Array, queryHowTo: string | undefined, qaSequence: string | undefined, adoptData: boolean,
): NodeState {
  const data = propertyData.length === 0 ? EMPTY_BYTES : adoptData ? propertyData : pooledCopy(propertyData);
  checkLayout(propertyInfos, data);
  return Object.freeze({
    labelRule: normalizeLabel(labelRule),
    description,
    propertyInfos,
    version,
    childNames: childNames.length === 0 ? EMPTY_STRINGS : checkedChildNames(childNames),
    propertyData: data,
    queryHowTo,
    qaSequence,
  });
}
