/**
 * Huffman coding of string literals (RFC 7541 §5.2, Appendix B), used by QPACK too.
 * Decoding rejects EOS, padding longer than 7 bits and padding that is not all ones,
 * as the RFC requires.
 */
import { QpackFormatError } from './format-error.js';
import { HUFFMAN_CODE_LENGTHS } from './huffman-table.js';
import { HUFFMAN_CODES, HUFFMAN_DECODE } from './huffman-codes.js';


/** Bytes the Huffman encoding of `bytes` takes, padding included. */
export function huffmanEncodedLength(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) bits += HUFFMAN_CODE_LENGTHS[b] as number;
  return Math.ceil(bits / 8);
}

export function huffmanEncode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(bytes));
  let pos = 0;
  // acc holds fewer than 8 pending bits, so acc * 2^len stays below 2^38: exact in doubles.
  let acc = 0;
  let accBits = 0;
  for (const b of bytes) {
    const len = HUFFMAN_CODE_LENGTHS[b] as number;
    acc = acc * 2 ** len + (HUFFMAN_CODES[b] as number);
    accBits += len;
    while (accBits >= 8) {
      accBits -= 8;
      const byte = Math.floor(acc / 2 ** accBits);
      out[pos++] = byte;
      acc -= byte * 2 ** accBits;
    }
  }
  if (accBits > 0) {
    // Pad with the most significant bits of EOS, which are all ones.
    out[pos++] = (acc << (8 - accBits)) | (0xff >> accBits);
  }
  return out;
}

/** Decodes a Huffman string literal; throws QpackFormatError on EOS or invalid padding. */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  const { next, emit, fail, accept } = HUFFMAN_DECODE;
  // The shortest code is 5 bits, so the output is at most 8/5 of the input.
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5));
  let pos = 0;
  let state = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    // Two table steps per byte, high nibble first.
    let at = state * 16 + (b >> 4);
    if (fail[at] === 1) throw new QpackFormatError('Huffman string contains EOS');
    let sym = emit[at] as number;
    if (sym >= 0) out[pos++] = sym;
    state = next[at] as number;
    at = state * 16 + (b & 0xf);
    if (fail[at] === 1) throw new QpackFormatError('Huffman string contains EOS');
    sym = emit[at] as number;
    if (sym >= 0) out[pos++] = sym;
    state = next[at] as number;
  }
  if (accept[state] !== 1) throw new QpackFormatError('Huffman padding is longer than 7 bits or not all ones');
  return out.subarray(0, pos);
}
