import { WwatpError } from '../../tree/errors.js';
import type { PropertyInfo } from '../../tree/property-layout.js';
import type { NodeState } from '../../tree/tree-node.js';
import { pooledCopy } from '../../tree/byte-pool.js';
import { spellsAscii } from '../../tree/codecs/bytes.js';
import { DEFAULT_VERSION, plainVersion, type Version } from '../../tree/versions.js';

/**
 * The row encoding of a node in the `nodes` table. The label is not stored here (it is
 * the row's key). Lengths and counts are unsigned LEB128 varints, strings UTF-8:
 *
 *   u8 format (1), u8 flags,
 *   varint versionNumber, varint maxVersionSequence, str policy,
 *   [str authorialProof] [str authors] [str readers] [varint collisionDepth],
 *   str description, [str queryHowTo] [str qaSequence],
 *   varint propertyCount × (str type, str name),
 *   varint childCount × str childName,
 *   contents: every remaining byte (no length needed, it runs to the end)
 *
 * Bracketed fields are present when their flag bit is set. Rows are validated when
 * written, so decoding checks bounds (a damaged row is a STORAGE error) but does not
 * re-run the node model's validation: reads stay cheap.
 */
const FORMAT = 1;
const F_QUERY = 1;
const F_QA = 2;
const F_PROOF = 4;
const F_AUTHORS = 8;
const F_READERS = 16;
const F_DEPTH = 32;

const EMPTY_STRINGS: readonly string[] = Object.freeze([]);
const EMPTY_INFOS: readonly PropertyInfo[] = Object.freeze([]);

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function strSize(text: string): number {
  const bytes = Buffer.byteLength(text, 'utf8');
  return varintSize(bytes) + bytes;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  str(text: string): void {
    this.varint(Buffer.byteLength(text, 'utf8'));
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }
}

/** Encodes a node's state (label excluded) as one row value. */
export function encodeNode(s: NodeState): Buffer {
  const v = s.version;
  let flags = 0;
  let size = 2 + varintSize(v.versionNumber) + varintSize(v.maxVersionSequence) + strSize(v.policy);
  const optional = (text: string | undefined, flag: number): void => {
    if (text === undefined) return;
    flags |= flag;
    size += strSize(text);
  };
  optional(v.authorialProof, F_PROOF);
  optional(v.authors, F_AUTHORS);
  optional(v.readers, F_READERS);
  if (v.collisionDepth !== undefined) {
    flags |= F_DEPTH;
    size += varintSize(v.collisionDepth);
  }
  size += strSize(s.description);
  optional(s.queryHowTo, F_QUERY);
  optional(s.qaSequence, F_QA);
  size += varintSize(s.propertyInfos.length);
  for (const info of s.propertyInfos) size += strSize(info.type) + strSize(info.name);
  size += varintSize(s.childNames.length);
  for (const name of s.childNames) size += strSize(name);
  size += s.propertyData.length;

  // Sized exactly, so one allocation and no copying.
  const w = new Writer(Buffer.allocUnsafe(size));
  w.buf[w.pos++] = FORMAT;
  w.buf[w.pos++] = flags;
  w.varint(v.versionNumber);
  w.varint(v.maxVersionSequence);
  w.str(v.policy);
  if (v.authorialProof !== undefined) w.str(v.authorialProof);
  if (v.authors !== undefined) w.str(v.authors);
  if (v.readers !== undefined) w.str(v.readers);
  if (v.collisionDepth !== undefined) w.varint(v.collisionDepth);
  w.str(s.description);
  if (s.queryHowTo !== undefined) w.str(s.queryHowTo);
  if (s.qaSequence !== undefined) w.str(s.qaSequence);
  w.varint(s.propertyInfos.length);
  for (const info of s.propertyInfos) {
    w.str(info.type);
    w.str(info.name);
  }
  w.varint(s.childNames.length);
  for (const name of s.childNames) w.str(name);
  w.buf.set(s.propertyData, w.pos);
  w.pos += s.propertyData.length;
  if (w.pos !== size) throw new WwatpError('INTERNAL', `node row size ${w.pos} differs from the computed ${size}`);
  return w.buf;
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly label: string,
  ) {}

  fail(what: string): never {
    throw new WwatpError('STORAGE', `the stored row of node "${this.label}" is damaged (${what})`);
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('truncated');
    return this.buf[this.pos++] as number;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) return n;
      scale *= 0x80;
      if (scale > 2 ** 35) this.fail('an overlong number');
    }
  }

  /**
   * A string; `likely` itself when the row spells it (short ASCII), so the many rows that
   * repeat a property name, a policy or an empty description share one string.
   */
  strLike(likely: string): string {
    if (likely.length < 0x80 && this.buf[this.pos] === likely.length && spellsAscii(this.buf, this.pos + 1, this.buf.length, likely)) {
      this.pos += 1 + likely.length;
      return likely;
    }
    return this.str();
  }

  str(): string {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) this.fail('a string runs past the end');
    const text = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }
}

// The shape of the row decoded last (see decodeNode).
let lastInfos: readonly PropertyInfo[] = EMPTY_INFOS;

function readVersion(r: Reader, flags: number): Version {
  const versionNumber = r.varint();
  const maxVersionSequence = r.varint();
  const policy = r.strLike(DEFAULT_VERSION.policy);
  const version: { -readonly [K in keyof Version]: Version[K] } = { versionNumber, maxVersionSequence, policy };
  if (flags & F_PROOF) version.authorialProof = r.str();
  if (flags & F_AUTHORS) version.authors = r.str();
  if (flags & F_READERS) version.readers = r.str();
  if (flags & F_DEPTH) version.collisionDepth = r.varint();
  // Most nodes have every field at its default but the number: those share one value each.
  const plain = (flags & (F_PROOF | F_AUTHORS | F_READERS | F_DEPTH)) === 0 && maxVersionSequence === DEFAULT_VERSION.maxVersionSequence && policy === DEFAULT_VERSION.policy && versionNumber < maxVersionSequence;
  return plain ? plainVersion(versionNumber) : Object.freeze(version);
}

/**
 * Decodes a row written by encodeNode into a frozen state for `label`. `shared`: `buf` is
 * a view into a buffer of many rows (RowReader), so the contents are copied out and a
 * node kept does not keep the others' bytes alive.
 */
export function decodeNode(label: string, buf: Buffer, shared = false): NodeState {
  const r = new Reader(buf, label);
  const format = r.u8();
  if (format !== FORMAT) r.fail(`unknown row format ${format}`);
  const flags = r.u8();
  const version = readVersion(r, flags);
  const description = r.strLike('');
  const queryHowTo = flags & F_QUERY ? r.str() : undefined;
  const qaSequence = flags & F_QA ? r.str() : undefined;
  const propertyCount = r.varint();
  let propertyInfos = EMPTY_INFOS;
  if (propertyCount > 0) {
    // Rows read together mostly share one shape: the last one is tried first.
    let i = 0;
    if (propertyCount === lastInfos.length) {
      for (; i < propertyCount; i++) {
        const known = lastInfos[i] as PropertyInfo;
        const start = r.pos;
        if (r.strLike(known.type) !== known.type || r.strLike(known.name) !== known.name) {
          r.pos = start;
          break;
        }
      }
    }
    if (i === propertyCount && i === lastInfos.length) propertyInfos = lastInfos;
    else {
      const infos = lastInfos.slice(0, i);
      for (; i < propertyCount; i++) {
        const type = r.str();
        infos.push(Object.freeze({ type, name: r.str() }));
      }
      propertyInfos = lastInfos = Object.freeze(infos);
    }
  }
  const childCount = r.varint();
  let childNames = EMPTY_STRINGS;
  if (childCount > 0) {
    const names: string[] = [];
    for (let i = 0; i < childCount; i++) names.push(r.str());
    childNames = Object.freeze(names);
  }
  // A plain Uint8Array view, not a Buffer: Buffer#slice shares memory, and the node's
  // getters rely on slice() copying so callers can never write into a stored value.
  const view = new Uint8Array(buf.buffer, buf.byteOffset + r.pos, buf.length - r.pos);
  const propertyData = shared ? pooledCopy(view) : view;
  return Object.freeze({ labelRule: label, description, propertyInfos, version, childNames, propertyData, queryHowTo, qaSequence });
}
