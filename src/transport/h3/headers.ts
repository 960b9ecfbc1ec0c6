/**
 * Header (field) lists as this layer passes them around: ordered [name, value] pairs,
 * names lowercase, pseudo-headers first. Values travel as ISO-8859-1 (one byte per
 * char), as in Node's HTTP modules, so any byte a peer sends survives a round trip.
 */
import { Buffer } from 'node:buffer';
import { H3_ERROR, streamError } from './errors.js';

export type HeaderField = readonly [name: string, value: string];
export type HeaderList = readonly HeaderField[];

/** The first value of `name` (case-insensitive), or undefined. */
export function getHeader(fields: HeaderList, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [n, v] of fields) if (n === wanted) return v;
  return undefined;
}

/** Every value of `name` (case-insensitive), in order. */
export function getHeaders(fields: HeaderList, name: string): string[] {
  const wanted = name.toLowerCase();
  return fields.filter(([n]) => n === wanted).map(([, v]) => v);
}

/** The same list with names lowercased (RFC 9114 §4.2 requires lowercase on the wire). */
export function lowercaseNames(fields: HeaderList): HeaderList {
  return fields.every(([n]) => n === n.toLowerCase()) ? fields : fields.map(([n, v]) => [n.toLowerCase(), v] as const);
}

/** Sum of name + value + 32 per field: the size SETTINGS_MAX_FIELD_SECTION_SIZE limits (RFC 9114 §4.2.2). */
export function fieldSectionSize(fields: HeaderList): number {
  let size = 0;
  for (const [n, v] of fields) size += n.length + v.length + 32;
  return size;
}

/** Bytes of a header string; chars above U+00FF cannot travel and are H3_MESSAGE_ERROR. */
export function latin1Bytes(text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      throw streamError(H3_ERROR.H3_MESSAGE_ERROR, `header text has a character above U+00FF at ${i}; percent-encode it`);
    }
  }
  return Buffer.from(text, 'latin1');
}

export function latin1String(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}
