import { TreeNode } from '../tree-node.js';
import type { JsonValue, PropertyValue } from '../property-types.js';
import { WwatpError } from '../errors.js';

/**
 * A node as plain JSON, for people and tools (the CLI's --json, logs, the browser's
 * inspector): bigints become decimal strings, bytes become base64, dates ISO strings.
 * `nodeFromJson` reads the same shape back, converting each value by its type.
 */
export interface JsonNode {
  label: string;
  description: string;
  version: { number: number; max: number; policy: string; authorialProof?: string; authors?: string; readers?: string; collisionDepth?: number };
  childNames: string[];
  properties: Array<{ name: string; type: string; value: JsonValue }>;
  queryHowTo?: string;
  qaSequence?: string;
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch (cause) {
    throw new WwatpError('MALFORMED', 'bytes must be base64 text', { cause });
  }
}

function valueToJson(value: PropertyValue): JsonValue {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return base64(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

export function nodeToJson(node: TreeNode): JsonNode {
  const v = node.version;
  const out: JsonNode = {
    label: node.labelRule,
    description: node.description,
    version: { number: v.versionNumber, max: v.maxVersionSequence, policy: v.policy },
    childNames: [...node.childNames],
    properties: node.properties().map((p) => ({ name: p.name, type: p.type, value: valueToJson(p.value) })),
  };
  if (v.authorialProof !== undefined) out.version.authorialProof = v.authorialProof;
  if (v.authors !== undefined) out.version.authors = v.authors;
  if (v.readers !== undefined) out.version.readers = v.readers;
  if (v.collisionDepth !== undefined) out.version.collisionDepth = v.collisionDepth;
  if (node.queryHowTo !== undefined) out.queryHowTo = node.queryHowTo;
  if (node.qaSequence !== undefined) out.qaSequence = node.qaSequence;
  return out;
}

const BYTES_TYPES = new Set(['bytes', 'Bytes', 'Image']);

export function nodeFromJson(value: unknown): TreeNode {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WwatpError('MALFORMED', 'a JSON node must be an object');
  const j = value as Partial<JsonNode>;
  if (typeof j.label !== 'string') throw new WwatpError('MALFORMED', 'a JSON node needs a "label" string');
  const node = new TreeNode({
    labelRule: j.label,
    description: j.description ?? '',
    childNames: j.childNames ?? [],
    version: j.version && {
      versionNumber: j.version.number,
      maxVersionSequence: j.version.max,
      policy: j.version.policy,
      authorialProof: j.version.authorialProof,
      authors: j.version.authors,
      readers: j.version.readers,
      collisionDepth: j.version.collisionDepth,
    },
    queryHowTo: j.queryHowTo,
    qaSequence: j.qaSequence,
  });
  if (j.properties !== undefined && !Array.isArray(j.properties)) throw new WwatpError('MALFORMED', '"properties" must be an array');
  for (const p of j.properties ?? []) {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || typeof p.type !== 'string') {
      throw new WwatpError('MALFORMED', `node "${j.label}": each property needs "name" and "type"`);
    }
    const raw = BYTES_TYPES.has(p.type) && typeof p.value === 'string' ? fromBase64(p.value) : p.value;
    node.insertProperty(p.name, p.type, raw);
  }
  return node;
}
