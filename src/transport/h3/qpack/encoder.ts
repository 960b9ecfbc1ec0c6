/**
 * QPACK field section encoder without a dynamic table (we and our peers may use
 * capacity 0): Required Insert Count 0, Base 0, then per field the shortest of an
 * indexed static field, a literal with a static name reference, or a literal name.
 */
import { latin1Bytes, type HeaderList } from '../headers.js';
import { BytesBuilder } from './bytes-builder.js';
import { encodePrefixedInt } from './integer.js';
import { staticIndexOf, staticNameIndexOf } from './static-lookup.js';
import { writeStringLiteral } from './string-literal.js';

export interface EncodeOptions {
  /** Huffman-code literals when that is shorter (default true). */
  readonly huffman?: boolean;
}

export function encodeFieldSection(fields: HeaderList, options: EncodeOptions = {}): Uint8Array {
  const huffman = options.huffman ?? true;
  const out = new BytesBuilder(64 + fields.length * 16);
  // Encoded Required Insert Count 0; Sign 0, Delta Base 0 (RFC 9204 §4.5.1).
  out.byte(0x00);
  out.byte(0x00);
  for (const [name, value] of fields) {
    const exact = staticIndexOf(name, value);
    if (exact !== undefined) {
      // Indexed field line: 1 T=1 index(6).
      out.bytes(encodePrefixedInt(exact, 6, 0xc0));
      continue;
    }
    const nameIndex = staticNameIndexOf(name);
    if (nameIndex !== undefined) {
      // Literal with name reference: 01 N=0 T=1 index(4), then the value (H + 7-bit length).
      out.bytes(encodePrefixedInt(nameIndex, 4, 0x50));
    } else {
      // Literal with literal name: 001 N=0 H length(3) name, then the value.
      writeStringLiteral(out, latin1Bytes(name), 3, 0x20, huffman);
    }
    writeStringLiteral(out, latin1Bytes(value), 7, 0x00, huffman);
  }
  return out.finish();
}
