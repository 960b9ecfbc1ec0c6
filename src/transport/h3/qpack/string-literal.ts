/**
 * String literals (RFC 9204 §4.1.2): an H bit (Huffman or raw), a prefixed length, then
 * the bytes. The H bit sits just above the N-bit length prefix.
 */
import type { BytesBuilder } from './bytes-builder.js';
import { QpackFormatError } from './format-error.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js';
import { decodePrefixedInt, encodePrefixedInt } from './integer.js';

/**
 * Appends `raw` as a string literal with an N-bit length prefix; `flags` are the first
 * byte's bits above the H bit. Huffman is used only when it is strictly shorter.
 */
export function writeStringLiteral(out: BytesBuilder, raw: Uint8Array, prefixBits: number, flags: number, huffman = true): void {
  const hBit = 1 << prefixBits;
  if (huffman && raw.length > 0 && huffmanEncodedLength(raw) < raw.length) {
    const coded = huffmanEncode(raw);
    out.bytes(encodePrefixedInt(coded.length, prefixBits, flags | hBit));
    out.bytes(coded);
    return;
  }
  out.bytes(encodePrefixedInt(raw.length, prefixBits, flags));
  out.bytes(raw);
}

export interface DecodedString {
  readonly bytes: Uint8Array;
  /** Bytes consumed from the input. */
  readonly length: number;
}

/**
 * Reads a string literal at `offset`; undefined if the input ends first. Throws
 * QpackFormatError on bad input or a length past `maxLength`.
 */
export function readStringLiteral(input: Uint8Array, offset: number, prefixBits: number, maxLength: number): DecodedString | undefined {
  const first = input[offset];
  if (first === undefined) return undefined;
  const huffman = (first & (1 << prefixBits)) !== 0;
  const len = decodePrefixedInt(input, offset, prefixBits);
  if (len === undefined) return undefined;
  if (len.value > maxLength) throw new QpackFormatError(`string literal of ${len.value} bytes exceeds ${maxLength}`);
  const start = offset + len.length;
  const end = start + len.value;
  if (end > input.length) return undefined;
  const body = input.subarray(start, end);
  return { bytes: huffman ? huffmanDecode(body) : body, length: end - offset };
}
