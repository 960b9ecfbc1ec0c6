/**
 * Joining byte arrays, shared by every transport layer. No Node APIs: the browser client
 * bundles the WWATP layer too.
 */

/** The parts copied, in order, into one new array; pass `total` when it is already known. */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  let size = total;
  if (size === undefined) {
    size = 0;
    for (const part of parts) size += part.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
