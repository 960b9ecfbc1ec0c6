import { Decoder, Encoder } from 'cbor-x';
import { WwatpError, isWwatpErrorCode, type WwatpErrorCode } from '../../tree/errors.js';
import { CBOR_OPTIONS, nodeFromWire, nodeToWireShared, type WireNode } from '../../tree/codecs/cbor-node.js';
import { readWireNode, readWireNodeList } from '../../tree/codecs/cbor-node-reader.js';
import { CBOR_FALSE, CBOR_NULL, CBOR_TRUE, CborCursor, MAJOR_MAP, MAJOR_TEXT, MAJOR_UINT } from '../../tree/codecs/cbor-cursor.js';
import type { TreeNode } from '../../tree/tree-node.js';
import type { NewNodeVersion, Transaction } from '../../backends/backend.js';
import type { JournalAnswer, JournalEntry } from '../../backends/journal.js';

/**
 * The CBOR payloads of WWATP messages, as plain maps with short keys, and the strict
 * checks that turn a peer's bytes back into typed values. Anything that does not have
 * the expected shape is MALFORMED, naming the field.
 */
const encoder = new Encoder(CBOR_OPTIONS);
const decoder = new Decoder(CBOR_OPTIONS);

export function encodePayload(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/**
 * Decodes a payload map, most of them without cbor-x (readPlainMap). The fields that carry
 * nodes ("node", "nodes") are left as their bytes (NodeBytes) when the map is plain CBOR,
 * and field.node / field.nodes read them straight into nodes (cbor-node-reader.ts); so
 * read those fields only through `field`.
 */
export function decodePayload(bytes: Uint8Array): Record<string, unknown> {
  const fast = bytes.length === 0 ? undefined : readPlainMap(bytes);
  if (fast) return fast;
  const value = bytes.length === 0 ? {} : decodeCbor(bytes);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new WwatpError('MALFORMED', 'payload must be a CBOR map');
  }
  return value as Record<string, unknown>;
}

/** A node field's CBOR, decoded when read (see decodePayload). */
class NodeBytes {
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}

  /** The value as cbor-x gives it, for the generic path. */
  generic(): unknown {
    return decodeCbor(this.bytes.subarray(this.start, this.end));
  }
}

const NODE_FIELDS = new Set(['node', 'nodes']);

/**
 * A map of plain CBOR (see CborCursor): numbers, text and simple values read here, node
 * fields kept as bytes, other values (arrays, maps, byte strings) decoded by cbor-x one by
 * one. That gives what decoding the whole map gives, since plain CBOR holds no tags and
 * so no references between fields. Undefined for any other payload.
 */
function readPlainMap(bytes: Uint8Array): Record<string, unknown> | undefined {
  const c = new CborCursor(bytes, 0, bytes.length);
  const out: Record<string, unknown> = {};
  try {
    const n = c.expect(MAJOR_MAP);
    for (let i = 0; i < n; i++) {
      const key = c.text();
      // cbor-x would set the object's prototype for this key.
      if (key === '__proto__') return undefined;
      out[key] = readField(c, key, i === n - 1);
    }
  } catch {
    return undefined; // unusual input, or cbor-x refused a value: the whole map's decode reports it
  }
  return c.atEnd ? out : undefined;
}

function readField(c: CborCursor, key: string, last: boolean): unknown {
  const bytes = c.bytes;
  const first = bytes[c.pos] ?? 0;
  const start = c.pos;
  if (NODE_FIELDS.has(key) && first !== CBOR_NULL) {
    // The last field runs to the end: a node list is not walked twice (the node reader
    // checks that it ends there).
    if (last) c.pos = c.end;
    else c.skipItem();
    return new NodeBytes(bytes, start, c.pos);
  }
  // Heads of at most four bytes: cbor-x gives a plain number for these, as here.
  if ((first & 31) < 27) {
    if (first >> 5 === MAJOR_UINT) return c.uint();
    if (first >> 5 === MAJOR_TEXT) return c.text();
  }
  if (first >= CBOR_FALSE && first <= CBOR_NULL) {
    c.pos++;
    return first === CBOR_NULL ? null : first === CBOR_TRUE;
  }
  c.skipItem();
  return decoder.decode(bytes.subarray(start, c.pos));
}

function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', 'payload is not valid CBOR', { cause });
  }
}

export interface DecodeLimits {
  maxContentBytes: number;
}

/** A node of a payload just received: the payload is ours alone, so a bulk node's contents are kept, not copied. */
function fromWire(value: unknown, limits: DecodeLimits): TreeNode {
  const options = { maxContentBytes: limits.maxContentBytes, ownedInput: true };
  if (value instanceof NodeBytes) return readWireNode(value.bytes, value.start, value.end, options) ?? nodeFromWire(value.generic(), options);
  return nodeFromWire(value, options);
}

function listFromWire(value: unknown, key: string, limits: DecodeLimits): TreeNode[] {
  if (value instanceof NodeBytes) {
    const fast = readWireNodeList(value.bytes, value.start, value.end, { maxContentBytes: limits.maxContentBytes, ownedInput: true });
    if (fast) return fast;
    value = value.generic();
  }
  if (!Array.isArray(value)) throw new WwatpError('MALFORMED', `field "${key}" must be an array of nodes`);
  return value.map((n) => fromWire(n, limits));
}

export const field = {
  string(p: Record<string, unknown>, key: string): string {
    const v = p[key];
    if (typeof v !== 'string') throw new WwatpError('MALFORMED', `field "${key}" must be a string`);
    return v;
  },
  boolean(p: Record<string, unknown>, key: string): boolean {
    const v = p[key];
    if (typeof v !== 'boolean') throw new WwatpError('MALFORMED', `field "${key}" must be a boolean`);
    return v;
  },
  count(p: Record<string, unknown>, key: string, fallback?: number): number {
    const v = p[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new WwatpError('MALFORMED', `field "${key}" must be a non-negative integer`);
    return v;
  },
  node(p: Record<string, unknown>, key: string, limits: DecodeLimits): TreeNode {
    return fromWire(p[key], limits);
  },
  maybeNode(p: Record<string, unknown>, key: string, limits: DecodeLimits): TreeNode | undefined {
    const v = p[key];
    return v === null || v === undefined ? undefined : fromWire(v, limits);
  },
  nodes(p: Record<string, unknown>, key: string, limits: DecodeLimits): TreeNode[] {
    return listFromWire(p[key], key, limits);
  },
};

export const wireNodes = (nodes: readonly TreeNode[]): WireNode[] => nodes.map(nodeToWireShared);
export const wireMaybeNode = (node: TreeNode | undefined): WireNode | null => (node ? nodeToWireShared(node) : null);

type WireVersionEntry = [prior: number | null, label: string, node: WireNode | null];

function versionToWire(v: NewNodeVersion): WireVersionEntry {
  return [v.priorVersion ?? null, v.label, v.node ? nodeToWireShared(v.node) : null];
}

function versionFromWire(value: unknown, limits: DecodeLimits): NewNodeVersion {
  if (!Array.isArray(value) || value.length !== 3) throw new WwatpError('MALFORMED', 'a transaction entry must be [prior, label, node]');
  const [prior, label, node] = value as unknown[];
  if (prior !== null && (typeof prior !== 'number' || !Number.isInteger(prior) || prior < 0)) throw new WwatpError('MALFORMED', 'a prior version must be a non-negative integer or null');
  if (typeof label !== 'string') throw new WwatpError('MALFORMED', 'a transaction label must be a string');
  return { priorVersion: prior ?? undefined, label, node: node === null ? undefined : fromWire(node, limits) };
}

export function transactionToWire(tx: Transaction): unknown[] {
  return tx.map((sub) => [versionToWire(sub.parent), sub.children.map(versionToWire)]);
}

export function transactionFromWire(value: unknown, limits: DecodeLimits): Transaction {
  if (!Array.isArray(value)) throw new WwatpError('MALFORMED', 'field "tx" must be an array');
  return value.map((sub: unknown) => {
    if (!Array.isArray(sub) || sub.length !== 2 || !Array.isArray(sub[1])) throw new WwatpError('MALFORMED', 'a sub-transaction must be [parent, [children]]');
    return { parent: versionFromWire(sub[0], limits), children: (sub[1] as unknown[]).map((c) => versionFromWire(c, limits)) };
  });
}

/** `true` in the node's place: changed, node withheld (over the subscriber's body limit). */
type WireJournalEntry = [sequence: number, label: string, node: WireNode | null | true];

/** Entries as they travel; nodes whose contents exceed `bodyLimit` bytes are withheld. */
export function journalEntriesToWire(entries: readonly JournalEntry[], bodyLimit = Infinity): WireJournalEntry[] {
  return entries.map((e) => [e.sequence, e.label, e.withheld || (e.node && e.node.contentSize > bodyLimit) ? true : e.node ? nodeToWireShared(e.node) : null]);
}

export function journalEntriesFromWire(value: unknown, limits: DecodeLimits): JournalEntry[] {
  if (!Array.isArray(value)) throw new WwatpError('MALFORMED', 'journal entries must be an array');
  return value.map((e: unknown): JournalEntry => {
    if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'number' || typeof e[1] !== 'string') throw new WwatpError('MALFORMED', 'a journal entry must be [sequence, label, node]');
    if (e[2] === true) return { sequence: e[0], label: e[1], node: undefined, withheld: true };
    return { sequence: e[0], label: e[1], node: e[2] === null ? undefined : fromWire(e[2], limits) };
  });
}

export function journalAnswerToWire(answer: JournalAnswer): Record<string, unknown> {
  return answer.kind === 'entries'
    ? { kind: 'entries', entries: journalEntriesToWire(answer.entries), latest: answer.latest }
    : { kind: 'resync', oldest: answer.oldest, latest: answer.latest };
}

export function journalAnswerFromWire(p: Record<string, unknown>, limits: DecodeLimits): JournalAnswer {
  const latest = field.count(p, 'latest');
  if (p['kind'] === 'resync') return { kind: 'resync', oldest: field.count(p, 'oldest'), latest };
  if (p['kind'] !== 'entries') throw new WwatpError('MALFORMED', 'journal answer kind must be "entries" or "resync"');
  return { kind: 'entries', entries: journalEntriesFromWire(p['entries'], limits), latest };
}

/** An ERROR payload: the WwatpError code and message, the same on both ends. */
export function errorToWire(error: unknown): Record<string, unknown> {
  if (error instanceof WwatpError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

export function errorFromWire(p: Record<string, unknown>): WwatpError {
  const code: WwatpErrorCode = isWwatpErrorCode(p['code']) ? p['code'] : 'INTERNAL';
  return new WwatpError(code, typeof p['message'] === 'string' ? p['message'] : 'remote error');
}
