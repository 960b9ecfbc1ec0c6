/**
 * Malformed QPACK input found by a low-level codec (prefixed integer, string literal,
 * Huffman). Callers turn it into the H3Error the context calls for: decompression failure
 * in a field section, encoder or decoder stream error on those streams.
 */
export class QpackFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QpackFormatError';
  }
}
