/**
 * Prefixed integers (RFC 7541 §5.1, reused by RFC 9204 §4.1.1): the value fills the low
 * N bits of the first byte if it fits, otherwise those bits are all ones and the rest
 * follows 7 bits per byte, least significant first, high bit meaning "more".
 */
import { QpackFormatError } from './format-error.js';

export interface DecodedInt {
  readonly value: number;
  readonly length: number;
}

/**
 * Encodes `value` with an N-bit prefix; `flags` supplies the first byte's bits above the
 * prefix (e.g. the pattern bits of a field line representation).
 */
export function encodePrefixedInt(value: number, prefixBits: number, flags = 0): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new QpackFormatError(`cannot encode ${value}`);
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/**
 * Decodes an N-bit-prefixed integer at `offset` (the prefix is the low N bits of that
 * byte). Returns undefined when the bytes end first; throws QpackFormatError past
 * 2^53-1 or on more continuation bytes than 62 bits need, so hostile input cannot
 * overflow or spin.
 */
export function decodePrefixedInt(bytes: Uint8Array, offset: number, prefixBits: number): DecodedInt | undefined {
  if (offset >= bytes.length) return undefined;
  const max = (1 << prefixBits) - 1;
  let value = (bytes[offset] as number) & max;
  if (value < max) return { value, length: 1 };
  let scale = 1;
  for (let i = offset + 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value += (b & 0x7f) * scale;
    if (value > Number.MAX_SAFE_INTEGER) throw new QpackFormatError('prefixed integer exceeds 2^53-1');
    if ((b & 0x80) === 0) return { value, length: i - offset + 1 };
    scale *= 128;
    if (scale > 2 ** 63) throw new QpackFormatError('prefixed integer has too many continuation bytes');
  }
  return undefined;
}
