/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by zlib, PNG and
 * Ethernet, so another implementation can check our datagram records with a stock CRC.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes`. Pass a previous result as `crc` to continue over more bytes:
 * crc32(b, crc32(a)) equals the CRC-32 of a followed by b.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return ~c >>> 0;
}
