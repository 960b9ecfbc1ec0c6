/**
 * Byte arrays carved from shared slabs, like Node's Buffer pool: a byte array of its own
 * costs about 100 bytes of bookkeeping and, with its share of garbage collection, about
 * 1.2 µs to make, against 0.07 µs for a view into a slab. A slab lives while any view
 * into it does, so pooling is limited to small sizes, and slabs are never reused (so a
 * view is never overwritten, and starts zero-filled).
 */
class SlabPool {
  #slab: ArrayBuffer;
  #offset = 0;

  constructor(
    private readonly slabBytes: number,
    private readonly maxPooled: number,
  ) {
    this.#slab = new ArrayBuffer(slabBytes);
  }

  alloc(n: number): Uint8Array {
    if (n === 0 || n > this.maxPooled) return new Uint8Array(n);
    if (this.#offset + n > this.slabBytes) {
      this.#slab = new ArrayBuffer(this.slabBytes);
      this.#offset = 0;
    }
    const view = new Uint8Array(this.#slab, this.#offset, n);
    this.#offset += (n + 7) & ~7; // keep views 8-byte aligned
    return view;
  }
}

/** Node contents, which may live long: small slabs, to bound what a stray view can retain. */
const contents = new SlabPool(16 * 1024, 512);

/**
 * Encoded bytes on their way out (a message, a chunk, a frame), which live until the
 * transport has copied them; each message took several on its way down the stack. Only
 * for short-lived bytes: a view kept keeps its whole slab.
 */
const outgoing = new SlabPool(64 * 1024, 4096);

/** A zero-filled byte array of length n, pooled when small. */
export function allocBytes(n: number): Uint8Array {
  return contents.alloc(n);
}

/** A copy of `bytes` in pooled storage. */
export function pooledCopy(bytes: Uint8Array): Uint8Array {
  const out = allocBytes(bytes.length);
  out.set(bytes);
  return out;
}

/** A zero-filled byte array of length n for bytes about to be sent, pooled when small. */
export function allocTransient(n: number): Uint8Array {
  return outgoing.alloc(n);
}
