/**
 * Joining byte arrays, shared by every transport layer. No Node APIs: the browser client
 * bundles the WWATP layer too.
 */
import { allocTransient } from '../tree/byte-pool.js';

/**
 * The parts copied, in order, into one new array; pass `total` when it is already known.
 * `transient`: bytes about to be sent, which may share a slab (see allocTransient).
 */
export function concatBytes(parts: readonly Uint8Array[], total?: number, transient = false): Uint8Array {
  let size = total;
  if (size === undefined) {
    size = 0;
    for (const part of parts) size += part.length;
  }
  const out = transient ? allocTransient(size) : new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
