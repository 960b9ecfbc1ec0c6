/**
 * QPACK field section decoder for a dynamic table capacity of 0 (what we advertise):
 * any dynamic-table reference or non-zero Required Insert Count is
 * QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3, §4.5.1), as are truncated integers or
 * strings, bad static indices and bad Huffman. Too large a section is H3_EXCESSIVE_LOAD.
 */
import { connectionError, H3_ERROR, H3Error, streamError } from '../errors.js';
import { latin1String, type HeaderField, type HeaderList } from '../headers.js';
import { QpackFormatError } from './format-error.js';
import { decodePrefixedInt } from './integer.js';
import { staticEntry } from './static-lookup.js';
import { readStringLiteral } from './string-literal.js';

export interface DecodeOptions {
  /** Largest decoded size (name + value + 32 per field) accepted; default unlimited. */
  readonly maxFieldSectionSize?: number;
}

/**
 * Decoded small field sections by their bytes. A peer sends the same request head on
 * every stream (Huffman-coded by Chromium and by us), and decoding it anew was a
 * measurable part of each request. Only sections that decoded cleanly are kept.
 */
const decodedSections = new Map<string, { fields: HeaderList; size: number }>();
const CACHED_SECTION_BYTES = 512;
const SECTIONS_KEPT = 256;

export function decodeFieldSection(block: Uint8Array, options: DecodeOptions = {}): HeaderList {
  const maxSize = options.maxFieldSectionSize ?? Number.POSITIVE_INFINITY;
  const key = block.length <= CACHED_SECTION_BYTES ? Buffer.from(block.buffer, block.byteOffset, block.length).toString('latin1') : undefined;
  const known = key === undefined ? undefined : decodedSections.get(key);
  if (known) {
    if (known.size > maxSize) throw streamError(H3_ERROR.H3_EXCESSIVE_LOAD, `field section exceeds ${maxSize} bytes`);
    return known.fields;
  }
  try {
    const fields = decode(block, maxSize);
    if (key !== undefined) {
      if (decodedSections.size >= SECTIONS_KEPT) decodedSections.clear();
      decodedSections.set(key, { fields, size: fields.reduce((n, [name, value]) => n + name.length + value.length + 32, 0) });
    }
    return fields;
  } catch (err) {
    if (err instanceof QpackFormatError) throw failed(err.message, err);
    throw err;
  }
}

function failed(message: string, cause?: unknown): H3Error {
  return connectionError(H3_ERROR.QPACK_DECOMPRESSION_FAILED, message, cause);
}

function decode(block: Uint8Array, maxSize: number): HeaderList {
  const ric = decodePrefixedInt(block, 0, 8);
  if (ric === undefined) throw failed('field section prefix is truncated');
  if (ric.value !== 0) throw failed('Required Insert Count is not 0 but our dynamic table capacity is 0');
  const signByte = block[ric.length];
  const base = decodePrefixedInt(block, ric.length, 7);
  if (signByte === undefined || base === undefined) throw failed('field section prefix is truncated');
  if ((signByte & 0x80) !== 0) throw failed('negative Base with Required Insert Count 0');

  const fields: HeaderField[] = [];
  let size = 0;
  let offset = ric.length + base.length;
  while (offset < block.length) {
    const { field, length } = fieldLine(block, offset);
    offset += length;
    size += field[0].length + field[1].length + 32;
    if (size > maxSize) {
      throw streamError(H3_ERROR.H3_EXCESSIVE_LOAD, `field section exceeds ${maxSize} bytes`);
    }
    fields.push(field);
  }
  return fields;
}

function fieldLine(block: Uint8Array, offset: number): { field: HeaderField; length: number } {
  const first = block[offset] as number;
  if ((first & 0x80) !== 0) {
    // Indexed field line: 1 T index(6).
    if ((first & 0x40) === 0) throw failed('indexed field line refers to the dynamic table');
    const index = need(decodePrefixedInt(block, offset, 6));
    return { field: staticField(index.value), length: index.length };
  }
  if ((first & 0x40) !== 0) {
    // Literal with name reference: 01 N T index(4), value.
    if ((first & 0x10) === 0) throw failed('literal field line refers to a dynamic-table name');
    const index = need(decodePrefixedInt(block, offset, 4));
    const value = need(readStringLiteral(block, offset + index.length, 7, block.length));
    const [name] = staticField(index.value);
    return { field: [name, latin1String(value.bytes)], length: index.length + value.length };
  }
  if ((first & 0x20) !== 0) {
    // Literal with literal name: 001 N H length(3) name, value.
    const name = need(readStringLiteral(block, offset, 3, block.length));
    const value = need(readStringLiteral(block, offset + name.length, 7, block.length));
    return { field: [latin1String(name.bytes), latin1String(value.bytes)], length: name.length + value.length };
  }
  // 0001xxxx indexed post-base, 0000xxxx literal with post-base name: both dynamic.
  throw failed('post-base field line refers to the dynamic table');
}

function staticField(index: number): HeaderField {
  const entry = staticEntry(index);
  if (entry === undefined) throw failed(`static table index ${index} is past the table`);
  return entry;
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw failed('field line is truncated');
  return value;
}
