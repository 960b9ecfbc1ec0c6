/**
 * A TreeNode as CBOR for the wire. The node is a compact array (field order is the
 * format, see docs/ENCODING.md) so a message can embed many nodes cheaply:
 *
 *   [label, description, [[type, name], ...],
 *    [versionNumber, maxVersionSequence, policy, authorialProof|null, authors|null,
 *     readers|null, collisionDepth|null],
 *    [childName, ...], contents (byte string), queryHowTo|null, qaSequence|null]
 *
 * Only standard CBOR is written (no cbor-x record extension, no typed-array tags), so
 * any CBOR library can read it.
 */
import { Decoder, Encoder } from 'cbor-x';
import { WwatpError } from '../errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../limits.js';
import { nodeFromState, stateFromFields, stateOf, type NodeState, type TreeNode } from '../tree-node.js';

export type WireVersion = [
  versionNumber: number,
  maxVersionSequence: number,
  policy: string,
  authorialProof: string | null,
  authors: string | null,
  readers: string | null,
  collisionDepth: number | null,
];

export type WireNode = [
  label: string,
  description: string,
  propertyInfos: Array<[type: string, name: string]>,
  version: WireVersion,
  childNames: string[],
  contents: Uint8Array,
  queryHowTo: string | null,
  qaSequence: string | null,
];

export interface NodeDecodeOptions {
  /**
   * The CBOR being decoded is the caller's alone and never written again (a message just
   * received): large contents that fill most of it are kept as views, not copied.
   */
  ownedInput?: boolean;
  /** Largest contents accepted (default DEFAULT_MAX_CONTENT_BYTES). */
  maxContentBytes?: number;
}

/** cbor-x settings for standard CBOR; the wire protocol should use the same. */
export const CBOR_OPTIONS = { useRecords: false, mapsAsObjects: true, tagUint8Array: false } as const;

const encoder = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);

function toWire(s: NodeState, contents: Uint8Array): WireNode {
  const v = s.version;
  return [
    s.labelRule,
    s.description,
    s.propertyInfos.map((info): [string, string] => [info.type, info.name]),
    [v.versionNumber, v.maxVersionSequence, v.policy, v.authorialProof ?? null, v.authors ?? null, v.readers ?? null, v.collisionDepth ?? null],
    [...s.childNames],
    contents,
    s.queryHowTo ?? null,
    s.qaSequence ?? null,
  ];
}

/** A plain CBOR-able value for the node (its contents copied, so the caller may keep it). */
export function nodeToWire(node: TreeNode): WireNode {
  const s = stateOf(node);
  return toWire(s, s.propertyData.slice());
}

/**
 * Like nodeToWire, but the contents are the node's own (immutable) bytes, not a copy:
 * for values encoded at once, as every wire message is, and never modified.
 */
export function nodeToWireShared(node: TreeNode): WireNode {
  const s = stateOf(node);
  return toWire(s, s.propertyData);
}

/** CBOR bytes of one node. */
export function encodeNodeCbor(node: TreeNode): Uint8Array {
  const s = stateOf(node);
  // The encoder only reads the contents, so the stored bytes need no copy here.
  const out = encoder.encode(toWire(s, s.propertyData));
  // A plain Uint8Array view (cbor-x returns a Buffer over a shared slab it never rewrites).
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Contents from this size up may be adopted (see NodeDecodeOptions.ownedInput). */
const ADOPT_MIN_BYTES = 1024 * 1024;

/** A bulk node's contents: at least 1 MiB and nine tenths of their buffer, so keeping the buffer wastes little. */
export function fillsItsBuffer(contents: Uint8Array): boolean {
  return contents.byteLength >= ADOPT_MIN_BYTES && contents.byteLength * 10 >= contents.buffer.byteLength * 9;
}

function malformed(field: string, expected: string): WwatpError {
  return new WwatpError('MALFORMED', `wire node: ${field} must be ${expected}`);
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw malformed(field, 'a string');
  return value;
}

function optStr(value: unknown, field: string): string | undefined {
  return value === null ? undefined : str(value, field);
}

function uint(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw malformed(field, 'a non-negative integer');
  return value;
}

function tuple(value: unknown, length: number, field: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length) throw malformed(field, `an array of ${length} elements`);
  return value as unknown[];
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(field, 'an array');
  return value as unknown[];
}

/** Builds a node from a decoded wire value, checking its shape strictly. */
export function nodeFromWire(value: unknown, options: NodeDecodeOptions = {}): TreeNode {
  const [label, description, infos, version, children, contents, queryHowTo, qaSequence] = tuple(value, 8, 'the node');
  const labelRule = str(label, 'label');
  const propertyInfos = list(infos, 'propertyInfos').map((info, i) => {
    const [type, name] = tuple(info, 2, `propertyInfos[${i}]`);
    return { type: str(type, `propertyInfos[${i}] type`), name: str(name, `propertyInfos[${i}] name`) };
  });
  const [number, max, policy, proof, authors, readers, depth] = tuple(version, 7, 'version');
  const childNames = list(children, 'childNames').map((name, i) => str(name, `childNames[${i}]`));
  if (!(contents instanceof Uint8Array)) throw malformed('contents', 'a byte string');
  const limit = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  if (contents.length > limit) throw new WwatpError('TOO_LARGE', `wire node ${labelRule}: contents are ${contents.length} bytes, over the limit of ${limit}`);
  const state = stateFromFields({
    labelRule,
    description: str(description, 'description'),
    propertyInfos,
    version: {
      versionNumber: uint(number, 'version number'),
      maxVersionSequence: uint(max, 'version maxVersionSequence'),
      policy: str(policy, 'version policy'),
      authorialProof: optStr(proof, 'version authorialProof'),
      authors: optStr(authors, 'version authors'),
      readers: optStr(readers, 'version readers'),
      collisionDepth: depth === null ? undefined : uint(depth, 'version collisionDepth'),
    },
    childNames,
    // A plain view: a Buffer's slice() would share memory instead of copying.
    propertyData: new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength),
    queryHowTo: optStr(queryHowTo, 'queryHowTo'),
    qaSequence: optStr(qaSequence, 'qaSequence'),
  }, { adoptData: options.ownedInput === true && fillsItsBuffer(contents) });
  return nodeFromState(state);
}

/** Decodes one node from CBOR bytes; anything but a well-formed node is a WwatpError. */
export function decodeNodeCbor(bytes: Uint8Array, options: NodeDecodeOptions = {}): TreeNode {
  if (!(bytes instanceof Uint8Array)) throw new WwatpError('MALFORMED', 'CBOR input must be a Uint8Array');
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', `invalid CBOR: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return nodeFromWire(value, options);
}
