/**
 * The seed's depth-first length-value page encoding (docs/ENCODING.md has the full table).
 * All integers are little-endian; "LV" is a u32 byte length followed by that many bytes,
 * and strings are UTF-8.
 *
 *   page     = u32 nodeCount, then nodeCount × (u32 recordLength, record)
 *   record   = [datagram only: 16-byte uuid, u32 CRC-32 of the uuid and fields] fields
 *   fields   = LV label, LV description,
 *              u8 present + [LV queryHowTo], u8 present + [LV qaSequence],
 *              u32 propertyCount, propertyCount × (LV type, LV name),
 *              u16 versionNumber, u32 maxVersionSequence, LV policy,
 *              u8 present + [LV authorialProof], u8 present + [LV authors],
 *              u8 present + [LV readers], u8 present + [u32 collisionDepth],
 *              u32 childCount, childCount × LV childName,
 *              LV contents
 *
 * A presence byte is 0 (absent, nothing follows) or 1 (present). Decoding is strict:
 * truncation, trailing bytes, a bad presence byte, a count that cannot fit in the bytes
 * left or a checksum mismatch are MALFORMED; invalid labels, property types and versions
 * keep the code the node model gives them (INVALID_LABEL, INVALID_PROPERTY, INVALID_NODE).
 */
import { WwatpError } from '../errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../limits.js';
import { nodeFromState, stateFromFields, stateOf, type NodeState, type TreeNode } from '../tree-node.js';
import type { VersionInit } from '../versions.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32 } from './crc32.js';

export interface EncodePageOptions {
  /** Prefix every record with a random uuid and a CRC-32, for unreliable transports. */
  datagram?: boolean;
}

export interface DecodePageOptions {
  datagram?: boolean;
  /** Largest contents accepted per node (default DEFAULT_MAX_CONTENT_BYTES). */
  maxContentBytes?: number;
}

const UUID_BYTES = 16;
const DATAGRAM_HEADER = UUID_BYTES + 4;
// ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readString(reader: ByteReader, what: string): string {
  const bytes = reader.lv(what);
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new WwatpError('MALFORMED', `${what} is not valid UTF-8`, { cause });
  }
}

function randomUuidBytes(): Uint8Array {
  const hex = globalThis.crypto.randomUUID().replaceAll('-', '');
  const out = new Uint8Array(UUID_BYTES);
  for (let i = 0; i < UUID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function writeOptional(writer: ByteWriter, text: string | undefined): void {
  if (text === undefined) writer.u8(0);
  else writer.u8(1).lvString(text);
}

function writeFields(writer: ByteWriter, s: NodeState): void {
  writer.lvString(s.labelRule).lvString(s.description);
  writeOptional(writer, s.queryHowTo);
  writeOptional(writer, s.qaSequence);
  writer.u32(s.propertyInfos.length);
  for (const info of s.propertyInfos) writer.lvString(info.type).lvString(info.name);
  const v = s.version;
  writer.u16(v.versionNumber).u32(v.maxVersionSequence).lvString(v.policy);
  writeOptional(writer, v.authorialProof);
  writeOptional(writer, v.authors);
  writeOptional(writer, v.readers);
  if (v.collisionDepth === undefined) writer.u8(0);
  else writer.u8(1).u32(v.collisionDepth);
  writer.u32(s.childNames.length);
  for (const name of s.childNames) writer.lvString(name);
  writer.lv(s.propertyData);
}

/** UTF-8 byte length without encoding (lone surrogates become 3-byte U+FFFD). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const lvSize = (text: string): number => 4 + utf8Length(text);
const optSize = (text: string | undefined): number => 1 + (text === undefined ? 0 : lvSize(text));

/** The exact size of writeFields' output, so the writer is allocated once. */
function fieldsSize(s: NodeState): number {
  const v = s.version;
  let n = lvSize(s.labelRule) + lvSize(s.description) + optSize(s.queryHowTo) + optSize(s.qaSequence);
  n += 4;
  for (const info of s.propertyInfos) n += lvSize(info.type) + lvSize(info.name);
  n += 2 + 4 + lvSize(v.policy) + optSize(v.authorialProof) + optSize(v.authors) + optSize(v.readers);
  n += v.collisionDepth === undefined ? 1 : 5;
  n += 4;
  for (const name of s.childNames) n += lvSize(name);
  return n + 4 + s.propertyData.length;
}

/** Encodes nodes, in the given order, as one page. */
export function encodePage(nodes: readonly TreeNode[], options: EncodePageOptions = {}): Uint8Array {
  const states = nodes.map(stateOf);
  const header = options.datagram ? DATAGRAM_HEADER : 0;
  const sizes = states.map(fieldsSize);
  const total = sizes.reduce((sum, size) => sum + 4 + header + size, 4);
  // Sized exactly: one allocation, and the writer never has to grow.
  const page = new ByteWriter(total);
  page.u32(states.length);
  const crcAt: number[] = [];
  states.forEach((state, i) => {
    page.u32(header + (sizes[i] as number));
    if (options.datagram) {
      page.raw(randomUuidBytes());
      crcAt.push(page.length);
      page.u32(0);
    }
    writeFields(page, state);
  });
  if (page.length !== total) throw new WwatpError('INTERNAL', `page size ${page.length} differs from the computed ${total}`);
  const out = page.finish();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  crcAt.forEach((at, i) => {
    const uuid = out.subarray(at - UUID_BYTES, at);
    view.setUint32(at, crc32(out.subarray(at + 4, at + 4 + (sizes[i] as number)), crc32(uuid)), true);
  });
  return out;
}

function readPresence(reader: ByteReader, what: string): boolean {
  const flag = reader.u8(`the presence byte of ${what}`);
  if (flag > 1) throw new WwatpError('MALFORMED', `the presence byte of ${what} is ${flag}, not 0 or 1`);
  return flag === 1;
}

function readOptional(reader: ByteReader, what: string): string | undefined {
  return readPresence(reader, what) ? readString(reader, what) : undefined;
}

/** Reads a count, refusing one that cannot fit: each item takes at least `minItemBytes`. */
function readCount(reader: ByteReader, what: string, minItemBytes: number): number {
  const count = reader.u32(`the count of ${what}`);
  if (count * minItemBytes > reader.remaining) {
    throw new WwatpError('MALFORMED', `${count} ${what} cannot fit in the ${reader.remaining} bytes left`);
  }
  return count;
}

function readFields(reader: ByteReader, maxContentBytes: number): NodeState {
  const labelRule = readString(reader, 'label');
  const description = readString(reader, 'description');
  const queryHowTo = readOptional(reader, 'queryHowTo');
  const qaSequence = readOptional(reader, 'qaSequence');
  const propertyInfos: Array<{ type: string; name: string }> = [];
  const propertyCount = readCount(reader, 'properties', 8);
  for (let i = 0; i < propertyCount; i++) {
    const type = readString(reader, 'a property type');
    propertyInfos.push({ type, name: readString(reader, 'a property name') });
  }
  const version: { -readonly [K in keyof VersionInit]: VersionInit[K] } = {
    versionNumber: reader.u16('versionNumber'),
    maxVersionSequence: reader.u32('maxVersionSequence'),
    policy: readString(reader, 'version policy'),
    authorialProof: readOptional(reader, 'authorialProof'),
    authors: readOptional(reader, 'authors'),
    readers: readOptional(reader, 'readers'),
  };
  if (readPresence(reader, 'collisionDepth')) version.collisionDepth = reader.u32('collisionDepth');
  const childNames: string[] = [];
  const childCount = readCount(reader, 'child names', 4);
  for (let i = 0; i < childCount; i++) childNames.push(readString(reader, 'a child name'));
  const propertyData = reader.lv('contents', maxContentBytes);
  return stateFromFields({ labelRule, description, queryHowTo, qaSequence, propertyInfos, version, childNames, propertyData });
}

function checkRecord(bytes: Uint8Array, start: number, end: number): void {
  if (end - start < DATAGRAM_HEADER) throw new WwatpError('MALFORMED', 'the record is too short for a datagram header');
  const stored = new DataView(bytes.buffer, bytes.byteOffset + start + UUID_BYTES, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(start + DATAGRAM_HEADER, end), crc32(bytes.subarray(start, start + UUID_BYTES)));
  if (stored !== actual) throw new WwatpError('MALFORMED', 'the record fails its CRC-32 check');
}

/** Decodes a page; any defect in the bytes is a WwatpError, never another exception. */
export function decodePage(bytes: Uint8Array, options: DecodePageOptions = {}): TreeNode[] {
  if (!(bytes instanceof Uint8Array)) throw new WwatpError('MALFORMED', 'a page must be a Uint8Array');
  const maxContentBytes = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const page = new ByteReader(bytes);
  const nodes: TreeNode[] = [];
  let where = 'page header';
  try {
    const count = readCount(page, 'records', 4);
    for (let index = 0; index < count; index++) {
      where = `page record ${index}`;
      const length = page.u32('the record length');
      const start = page.position;
      page.raw(length, 'the record');
      let fieldsStart = start;
      if (options.datagram) {
        checkRecord(bytes, start, start + length);
        fieldsStart += DATAGRAM_HEADER;
      }
      const reader = new ByteReader(bytes, fieldsStart, start + length);
      const state = readFields(reader, maxContentBytes);
      if (reader.remaining !== 0) throw new WwatpError('MALFORMED', `${reader.remaining} unread bytes at the end of the record`);
      nodes.push(nodeFromState(state));
    }
    where = 'page end';
    if (page.remaining !== 0) throw new WwatpError('MALFORMED', `${page.remaining} bytes after the last record`);
  } catch (cause) {
    if (cause instanceof WwatpError) throw new WwatpError(cause.code, `${where}: ${cause.message}`, { cause });
    throw new WwatpError('MALFORMED', `${where}: ${String(cause)}`, { cause });
  }
  return nodes;
}
